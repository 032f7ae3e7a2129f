/**
 * Model manifests (`models/*.json`): which hub repository and revision a model comes from, which
 * ONNX graph files each precision needs, approximate sizes, the license and what the model is
 * good at. Every manifest is validated with this schema when it is loaded, so a typo in a JSON
 * file fails loudly with the file name and the field instead of surfacing as a 404 mid-download.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ModelError } from './errors';

export const ARCHITECTURES = ['lfm2-vl', 'smolvlm'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The three sessions transformers.js creates for an image-text-to-text model. */
export const GRAPH_NAMES = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type GraphName = (typeof GRAPH_NAMES)[number];

/**
 * transformers.js dtype names; the engine passes them per graph, and transformers.js turns them
 * into file suffixes (`q8` is `_quantized`, `fp32` has none).
 */
export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type Dtype = (typeof DTYPES)[number];

export const DTYPE_FILE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

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

const GraphChoiceSchema = z.object({
  dtype: z.enum(DTYPES),
  /** The graph file, e.g. `onnx/decoder_model_merged_q4.onnx`. */
  file: RepoPathSchema,
  /**
   * External-data files the graph is known to reference. Others that the revision's listing shows
   * next to the graph (`<file>_data`, `<file>_data_1`, ...) are fetched too; these must exist.
   */
  externalData: z.array(RepoPathSchema).default([]),
});
export type GraphChoice = z.infer<typeof GraphChoiceSchema>;

const PrecisionSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  label: z.string().min(1),
  description: z.string().min(1),
  graphs: z.object({
    vision_encoder: GraphChoiceSchema,
    embed_tokens: GraphChoiceSchema,
    decoder_model_merged: GraphChoiceSchema,
  }),
  /** Approximate bytes to download for this precision, shared files included (see `sizeNote`). */
  approxDownloadBytes: z.number().int().positive(),
});
export type Precision = z.infer<typeof PrecisionSchema>;

export const ManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
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
    /** Configuration and tokenizer files every precision needs. */
    sharedFiles: z.array(RepoPathSchema).min(1),
    /** Fetched when the revision has them (license text, extra tokenizer files). */
    optionalFiles: z.array(RepoPathSchema).default([]),
    defaultPrecision: z.string().min(1),
    precisions: z.array(PrecisionSchema).min(1),
    /** Known-good SHA-256 and size per file; they override what the hub reports. */
    pins: z.record(RepoPathSchema, z.object({ sha256: Sha256Schema, size: z.number().int().nonnegative() })).default({}),
    /** Where the sizes come from and how exact they are. */
    sizeNote: z.string().min(1),
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
    manifest.precisions.forEach((precision, index) => {
      for (const graph of GRAPH_NAMES) {
        const choice = precision.graphs[graph];
        const expected = `onnx/${graph}${DTYPE_FILE_SUFFIX[choice.dtype]}.onnx`;
        // transformers.js finds graphs by name + dtype suffix; any other file name would never load.
        if (choice.file !== expected) {
          ctx.addIssue({
            code: 'custom',
            path: ['precisions', index, 'graphs', graph, 'file'],
            message: `dtype "${choice.dtype}" loads "${expected}" in transformers.js, not "${choice.file}"`,
          });
        }
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

/** The per-graph dtypes the engine passes to transformers.js for a precision. */
export function dtypeMap(precision: Precision): Record<GraphName, Dtype> {
  return {
    vision_encoder: precision.graphs.vision_encoder.dtype,
    embed_tokens: precision.graphs.embed_tokens.dtype,
    decoder_model_merged: precision.graphs.decoder_model_merged.dtype,
  };
}
