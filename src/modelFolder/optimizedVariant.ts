/**
 * The CPU-optimised copy of an installed model: `<revision>/loupe-optimized/`, beside the
 * downloaded files, which stay as they were (their checksums are the download's). It holds hard
 * links to the precision's files, the rewritten decoder graph (src/engine/vlm/decoderRewrite.ts)
 * and `optimized.json`: what was changed, how it was verified, and the files it was made from.
 * A change to any of those files, or a new optimiser version, makes it stale: it is then made
 * again. The engine writes it; the engine and Show Model Info read it.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DTYPES, GRAPH_NAMES, type DtypeMap } from './modelLayout';

export const OPTIMIZED_DIR = 'loupe-optimized';
export const OPTIMIZED_MARKER = 'optimized.json';
/** Raised when the rewrite changes, so every copy made by an older one is made again. */
export const OPTIMIZER_VERSION = 2;

const DtypeSchema = z.enum(DTYPES);
export const OptimizationSchema = z.object({
  schemaVersion: z.literal(1),
  optimizerVersion: z.number().int(),
  dtype: z.object({ vision_encoder: DtypeSchema, embed_tokens: DtypeSchema, decoder_model_merged: DtypeSchema }),
  /** The model's files it was made from, as they were then. */
  sources: z.array(z.object({ file: z.string(), size: z.number(), mtimeMs: z.number() })),
  /** optimized: the copy is used; unchanged: nothing to do; rejected: failed verification; failed: could not be made. */
  outcome: z.enum(['optimized', 'unchanged', 'rejected', 'failed']),
  accuracyLevelNodes: z.number().int().nonnegative(),
  depthwiseConvNodes: z.number().int().nonnegative(),
  outputLayer: z.object({ rows: z.number().int(), columns: z.number().int(), bits: z.number().int() }).optional(),
  /** The output layer reads only the last position (logits for the next token only). */
  lastPositionOnly: z.boolean().optional(),
  /** Original against optimised decoder on the same prompt: every position's next-token distribution. */
  verification: z.object({ positions: z.number().int(), top1Agreement: z.number(), meanKl: z.number() }).optional(),
  reason: z.string().optional(),
  createdAt: z.string(),
});
export type Optimization = z.infer<typeof OptimizationSchema>;

export const optimizedDir = (modelDir: string) => join(modelDir, OPTIMIZED_DIR);

/** The files' sizes and modification times now, for `sources`. */
export async function stampsOf(modelDir: string, files: string[]): Promise<Optimization['sources']> {
  return Promise.all(
    files.map(async (file) => {
      const info = await stat(join(modelDir, file));
      return { file, size: info.size, mtimeMs: info.mtimeMs };
    }),
  );
}

/**
 * The record of the model's optimisation, if one was made by this optimiser from the files as they
 * are now; `current`: also for this precision and, when given, exactly these source files.
 */
export async function readOptimization(modelDir: string, current?: { dtype: DtypeMap; files?: string[] }): Promise<Optimization | undefined> {
  let marker: Optimization;
  try {
    marker = OptimizationSchema.parse(JSON.parse(await readFile(join(optimizedDir(modelDir), OPTIMIZED_MARKER), 'utf8')));
  } catch {
    return undefined;
  }
  if (marker.optimizerVersion !== OPTIMIZER_VERSION) return undefined;
  if (current && GRAPH_NAMES.some((graph) => marker.dtype[graph] !== current.dtype[graph])) return undefined;
  const recorded = marker.sources.map((source) => source.file);
  if (current?.files && (current.files.length !== recorded.length || current.files.some((file) => !recorded.includes(file)))) return undefined;
  const now = await stampsOf(modelDir, recorded).catch(() => undefined);
  const unchanged = now?.every((stamp, i) => stamp.size === marker.sources[i]!.size && stamp.mtimeMs === marker.sources[i]!.mtimeMs);
  return unchanged ? marker : undefined;
}

/** One line for Show Model Info: whether the loaded precision runs from an optimised copy, and why (not). */
export function describeOptimization(marker: Optimization | undefined, model: { enabled: boolean; dtype: DtypeMap }): string {
  if (!model.enabled) return 'off (loupe.model.optimizeForCpu)';
  if (model.dtype.decoder_model_merged !== 'q4') return `only 4-bit (q4) decoders are optimised; this one is ${model.dtype.decoder_model_merged}`;
  if (!marker) return 'not optimised for this CPU yet (done at the next load)';
  const verified = marker.verification
    ? `; checked against the original: same next token at ${Math.round(marker.verification.top1Agreement * 100)}% of ${marker.verification.positions} positions, mean KL ${marker.verification.meanKl.toFixed(4)}`
    : '';
  const changes = [
    marker.accuracyLevelNodes > 0 && `int8 arithmetic for ${marker.accuracyLevelNodes} 4-bit layers`,
    marker.outputLayer && `output layer ${marker.outputLayer.rows}×${marker.outputLayer.columns} fp32 → ${marker.outputLayer.bits}-bit`,
    marker.depthwiseConvNodes > 0 && `${marker.depthwiseConvNodes} short convolutions as multiply-adds`,
    marker.lastPositionOnly && 'next-token logits only',
  ].filter(Boolean);
  switch (marker.outcome) {
    case 'optimized':
      return `optimised for this CPU (${changes.join(', ')})${verified}`;
    case 'unchanged':
      return `left as downloaded: ${marker.reason ?? 'nothing to change'}`;
    case 'rejected':
      return `the optimised copy was not used: ${marker.reason ?? 'it did not match the original'}${verified}`;
    case 'failed':
      return `could not be optimised: ${marker.reason ?? 'unknown error'}`;
  }
}
