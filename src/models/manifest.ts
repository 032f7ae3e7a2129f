/**
 * Model manifests (`models/*.json`): which hub repository and revision a model comes from, which
 * dtype each precision wants per graph, which file names a public listing has confirmed,
 * approximate sizes, the license and what the model is good at. File names are not guessed here:
 * the download finds each graph in the revision's own file list (src/models/modelLayout.ts).
 * Every manifest is validated with this schema when it is loaded, so a typo in a JSON file fails
 * loudly with the file name and the field instead of surfacing mid-download.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ModelError } from './errors';
import { ARCHITECTURES, DTYPES, GRAPH_NAMES, graphFileSpellings, requiredRootFiles } from './modelLayout';

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

const PrecisionSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  label: z.string().min(1),
  description: z.string().min(1),
  /** The dtype transformers.js loads for each graph; the files come from the revision's listing. */
  graphs: z.object({ vision_encoder: z.enum(DTYPES), embed_tokens: z.enum(DTYPES), decoder_model_merged: z.enum(DTYPES) }),
  /** Approximate bytes to download for this precision, shared files included (see `sizeNote`). */
  approxDownloadBytes: z.number().int().positive(),
});
export type Precision = z.infer<typeof PrecisionSchema>;

export const ManifestSchema = z
  .object({
    schemaVersion: z.literal(2),
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
    /** Known-good SHA-256 and size per file; they override what the hub reports. */
    pins: z.record(RepoPathSchema, z.object({ sha256: Sha256Schema, size: z.number().int().nonnegative() })).default({}),
    /** Where the sizes come from and how exact they are. */
    sizeNote: z.string().min(1),
    /** Repository files seen in a public listing of this revision, and where; everything else is expected, not known. */
    confirmed: z.object({ files: z.array(RepoPathSchema), source: z.string().min(1) }),
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
      ctx.addIssue({ code: 'custom', path: ['sharedFiles'], message: `transformers.js needs "${file}" for ${manifest.architecture}` });
    }
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

/** True when a public listing showed every file the precision needs (a graph under any of its spellings). */
export function isPrecisionConfirmed(manifest: ModelManifest, precision: Precision): boolean {
  const seen = new Set(manifest.confirmed.files);
  const graphsSeen = GRAPH_NAMES.every((graph) => graphFileSpellings(graph, precision.graphs[graph]).some((file) => seen.has(file)));
  return graphsSeen && manifest.sharedFiles.every((file) => seen.has(file));
}
