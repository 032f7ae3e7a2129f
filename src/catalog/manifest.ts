/**
 * Model manifests (`models/*.json`): which hub repository and revision a model comes from, which
 * dtype each precision wants per graph, which files public evidence shows (with sizes and the
 * sources), which precisions are unproven and why, the license and what the model is good at. File names are not guessed here:
 * the download finds each graph in the revision's own file list (src/modelFolder/modelLayout.ts).
 * Every manifest is validated with this schema when it is loaded, so a typo in a JSON file fails
 * loudly with the file name and the field instead of surfacing mid-download.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatBytes } from '../protocol/byteSizes';
import { ModelError } from '../modelFolder/modelErrors';
import { ARCHITECTURES, CHAT_TEMPLATE_FILES, DTYPES, GRAPH_NAMES, graphFileSpellings, isExternalDataChunk, requiredRootFiles } from '../modelFolder/modelLayout';
import { PREPROCESSOR_CONFIG, PROCESSOR_CONFIG } from '../modelFolder/processorConfig';

/** A repository-relative path: forward slashes, no leading slash, no `.`/`..` segments. */
export const RepoPathSchema = z
  .string()
  .min(1)
  .refine(isSafeRepoPath, { message: 'must be a relative path inside the repository (no leading "/", no "." or ".." segments, no backslashes)' });

export function isSafeRepoPath(path: string): boolean {
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** A repository file public evidence shows at the manifest's revision, with what it says of it. */
const EvidenceFileSchema = z.object({
  path: RepoPathSchema,
  bytes: z.number().int().nonnegative().optional(),
  sha256: Sha256Schema.optional(),
});
export type EvidenceFile = z.infer<typeof EvidenceFileSchema>;

const PrecisionSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  label: z.string().min(1),
  description: z.string().min(1),
  /** The dtype transformers.js loads for each graph; the files come from the revision's listing. */
  graphs: z.object({ vision_encoder: z.enum(DTYPES), embed_tokens: z.enum(DTYPES), decoder_model_merged: z.enum(DTYPES) }),
  /** Bytes to download when the evidence lacks a file's size (see `sizeNote`); otherwise derived from it. */
  approxDownloadBytes: z.number().int().positive().optional(),
  /** Why this precision is not offered: no public evidence shows its files. Downloads refuse it before any request. */
  unproven: z.string().min(1).optional(),
});
export type Precision = z.infer<typeof PrecisionSchema>;

export const ManifestSchema = z
  .object({
    schemaVersion: z.literal(3),
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lowercase letters, digits, "." and "-"'),
    label: z.string().min(1),
    architecture: z.enum(ARCHITECTURES),
    parameters: z.string().min(1),
    hub: z.object({
      repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be "owner/name"'),
      revision: z.string().min(1),
      revisionKind: z.enum(['commit', 'branch']),
    }),
    license: z.object({
      name: z.string().min(1),
      url: z.url(),
      requiresAcceptance: z.boolean(),
      summary: z.string().min(1),
    }),
    summary: z.string().min(1),
    goodAt: z.array(z.string().min(1)).min(1),
    /** Relative speed on a laptop CPU, for the chooser; no numbers without a benchmark. */
    speed: z.enum(['fastest', 'fast', 'slower']),
    /** Configuration and tokenizer files every precision needs (at least those transformers.js reads). */
    sharedFiles: z.array(RepoPathSchema).min(1),
    /** Fetched when the revision has them (license text, extra tokenizer files). */
    optionalFiles: z.array(RepoPathSchema).default([]),
    defaultPrecision: z.string().min(1),
    precisions: z.array(PrecisionSchema).min(1),
    /** The model card's recommended sampling, the engine's default for this family (src/catalog/catalog.ts). */
    sampling: z.object({
      temperature: z.number().min(0).max(2),
      minP: z.number().min(0).max(1),
      repetitionPenalty: z.number().min(1).max(2),
      source: z.string().min(20),
    }),
    /**
     * The box answer the model's makers document, which Find asks for (src/prompts/taskPrompts.ts)
     * and reads (src/protocol/findBoxes.ts); absent: the family documents none and Find is refused.
     */
    grounding: z.object({ format: z.literal('label-bbox-0-1'), source: z.string().min(20) }).optional(),
    /** Known-good SHA-256 and size per file; they override what the hub reports. */
    pins: z.record(RepoPathSchema, z.object({ sha256: Sha256Schema, size: z.number().int().nonnegative() })).default({}),
    /** Where the sizes come from and how exact they are. */
    sizeNote: z.string().min(1),
    /** Repository files public sources show at this revision (names, sizes, hashes) and the sources; docs/models.md cites them. */
    evidence: z.object({ files: z.array(EvidenceFileSchema), sources: z.array(z.string().min(20)).min(1) }),
  })
  .superRefine((manifest, ctx) => {
    if (manifest.hub.revisionKind === 'commit' && !/^[0-9a-f]{40}$/.test(manifest.hub.revision)) {
      ctx.addIssue({ code: 'custom', path: ['hub', 'revision'], message: 'a commit revision must be 40 lowercase hex digits' });
    }
    const ids = manifest.precisions.map((p) => p.id);
    if (!ids.includes(manifest.defaultPrecision)) {
      ctx.addIssue({ code: 'custom', path: ['defaultPrecision'], message: `"${manifest.defaultPrecision}" is not one of the precisions (${ids.join(', ')})` });
    }
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: 'custom', path: ['precisions'], message: 'precision ids must be unique' });
    }
    for (const file of requiredRootFiles(manifest.architecture).filter((f) => !manifest.sharedFiles.includes(f))) {
      // processor_config.json's nested image processor stands in for it (src/modelFolder/processorConfig.ts).
      if (file === PREPROCESSOR_CONFIG && manifest.sharedFiles.includes(PROCESSOR_CONFIG)) continue;
      ctx.addIssue({ code: 'custom', path: ['sharedFiles'], message: `transformers.js needs "${file}" for ${manifest.architecture}` });
    }
    manifest.precisions.forEach((precision, index) => {
      const { missing, exact } = precisionFiles(manifest, precision);
      if (!precision.unproven && missing.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['precisions', index], message: `no evidence shows ${missing.join(', ')}: mark the precision "unproven" with the reason, or cite a source` });
      }
      if (!exact && precision.approxDownloadBytes === undefined) {
        ctx.addIssue({ code: 'custom', path: ['precisions', index, 'approxDownloadBytes'], message: 'needed: the evidence does not give every file\'s size' });
      }
    });
  });

export type ModelManifest = z.infer<typeof ManifestSchema>;

/** Validates parsed JSON; `source` names the file in the error. */
export function parseManifest(json: unknown, source: string): ModelManifest {
  const result = ManifestSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ModelError('MANIFEST_INVALID', `Model manifest ${source} is invalid:\n${problems.join('\n')}`);
}

export async function loadManifestFile(path: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelError('MANIFEST_INVALID', `Cannot read model manifest ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelError('MANIFEST_INVALID', `Model manifest ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseManifest(json, path);
}

export function findPrecision(manifest: ModelManifest, precisionId = manifest.defaultPrecision): Precision {
  const precision = manifest.precisions.find((p) => p.id === precisionId);
  if (!precision) {
    const ids = manifest.precisions.map((p) => p.id).join(', ');
    throw new ModelError('UNKNOWN_MODEL', `Model ${manifest.id} has no precision "${precisionId}" (choose one of: ${ids})`);
  }
  return precision;
}

interface PrecisionEvidence {
  /** The evidence files this precision downloads: shared and optional files, its graphs and their external data. */
  files: EvidenceFile[];
  /** The graph file the evidence shows for each session. */
  graphs: Partial<Record<(typeof GRAPH_NAMES)[number], string>>;
  /** Files it needs that no evidence shows (a graph under any of its spellings, a shared file). */
  missing: string[];
  /** Every needed file is shown with its size. */
  exact: boolean;
}

/** What the manifest's evidence says of the files one precision downloads. */
export function precisionFiles(manifest: Pick<ModelManifest, 'evidence' | 'sharedFiles' | 'optionalFiles'>, precision: Precision): PrecisionEvidence {
  const shown = new Map(manifest.evidence.files.map((file) => [file.path, file]));
  const files: EvidenceFile[] = [];
  const graphs: PrecisionEvidence['graphs'] = {};
  const missing: string[] = [];
  for (const path of manifest.sharedFiles) {
    const file = shown.get(path);
    if (file) files.push(file);
    else missing.push(path);
  }
  for (const graph of GRAPH_NAMES) {
    const spellings = graphFileSpellings(graph, precision.graphs[graph]);
    const path = spellings.find((spelling) => shown.has(spelling));
    if (!path) {
      missing.push(spellings.join(' or '));
      continue;
    }
    graphs[graph] = path;
    files.push(...manifest.evidence.files.filter((file) => file.path === path || isExternalDataChunk(path, file.path)));
  }
  for (const path of [...CHAT_TEMPLATE_FILES, ...manifest.optionalFiles]) {
    const file = shown.get(path);
    if (file && !files.includes(file)) files.push(file);
  }
  return { files, graphs, missing, exact: missing.length === 0 && files.every((file) => file.bytes !== undefined) };
}

/** "809 MB" when the evidence gives every size, "about 1.9 GB" otherwise. */
export function sizeText(manifest: ModelManifest, precision: Precision = findPrecision(manifest)): string {
  const { bytes, exact } = downloadSize(manifest, precision);
  return `${exact ? '' : 'about '}${formatBytes(bytes)}`;
}

/** What a download of this precision fetches: exact when the evidence gives every size, else the manifest's estimate. */
export function downloadSize(manifest: ModelManifest, precision: Precision = findPrecision(manifest)): { bytes: number; exact: boolean } {
  const evidence = precisionFiles(manifest, precision);
  if (evidence.exact) return { bytes: evidence.files.reduce((sum, file) => sum + (file.bytes ?? 0), 0), exact: true };
  return { bytes: precision.approxDownloadBytes ?? 0, exact: false };
}
