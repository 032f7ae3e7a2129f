import { z } from 'zod';
import type { PresetName } from './presetNames';
import type { Task } from './tasks';

/** Vision budget knobs from the LFM2-VL design (see config.json of the real export). */
export const VisionBudgetSchema = z.object({
  /** Upper bound of image tokens for one tile / the single-image path (64..256 on LFM2-VL). */
  maxImageTokens: z.number().int().min(16).max(1024),
  minImageTokens: z.number().int().min(1).max(1024),
  /** Split images larger than one tile into 512x512 tiles plus a thumbnail. */
  doImageSplitting: z.boolean(),
  maxTiles: z.number().int().min(1).max(16),
});
export type VisionBudget = z.infer<typeof VisionBudgetSchema>;

export const SamplingSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('greedy') }),
  z.object({
    mode: z.literal('sample'),
    temperature: z.number().gt(0).max(2),
    topP: z.number().gt(0).max(1),
  }),
]);
export type Sampling = z.infer<typeof SamplingSchema>;

export const GenerationOptionsSchema = z.object({
  maxNewTokens: z.number().int().min(1).max(4096),
  sampling: SamplingSchema,
  vision: VisionBudgetSchema,
});
export type GenerationOptions = z.infer<typeof GenerationOptionsSchema>;

export { PRESET_NAMES, type PresetName } from './presetNames';

/** Presets trade detail for speed: fewer tiles and image tokens mean a shorter prefill. */
export const PRESETS: Record<PresetName, GenerationOptions> = {
  fast: {
    maxNewTokens: 256,
    sampling: { mode: 'greedy' },
    vision: { maxImageTokens: 256, minImageTokens: 64, doImageSplitting: false, maxTiles: 1 },
  },
  balanced: {
    maxNewTokens: 512,
    sampling: { mode: 'greedy' },
    vision: { maxImageTokens: 256, minImageTokens: 64, doImageSplitting: true, maxTiles: 4 },
  },
  detailed: {
    maxNewTokens: 1024,
    sampling: { mode: 'greedy' },
    vision: { maxImageTokens: 256, minImageTokens: 64, doImageSplitting: true, maxTiles: 10 },
  },
};

export const OptionOverridesSchema = z
  .object({
    maxNewTokens: z.number().int().min(1).max(4096),
    sampling: SamplingSchema,
    vision: VisionBudgetSchema.partial(),
  })
  .partial();
export type OptionOverrides = z.infer<typeof OptionOverridesSchema>;

/**
 * Answer lengths some tasks never need more of, whatever the preset: alt text is one sentence
 * of at most ~125 characters, and a model that rambles past that is cut off early, not trimmed later.
 */
const TASK_TOKEN_LIMITS: Partial<Record<Task, number>> = { 'alt-text': 64 };

/** A preset with the task's answer limit and per-request overrides applied, validated as a whole. */
export function resolveOptions(preset: PresetName, overrides: OptionOverrides = {}, task?: Task): GenerationOptions {
  const base = PRESETS[preset];
  const taskLimit = task ? TASK_TOKEN_LIMITS[task] : undefined;
  const merged = {
    maxNewTokens: overrides.maxNewTokens ?? Math.min(base.maxNewTokens, taskLimit ?? Infinity),
    sampling: overrides.sampling ?? base.sampling,
    vision: { ...base.vision, ...overrides.vision },
  };
  const parsed = GenerationOptionsSchema.safeParse(merged);
  if (!parsed.success) throw new RangeError(`Invalid generation options: ${z.prettifyError(parsed.error)}`);
  // Upscaling a small image to the minimum rounds up per side; with the minimum close to the
  // maximum that overshoots the patch budget every tile is padded to, and the encoder fails.
  if (merged.vision.minImageTokens * 2 > merged.vision.maxImageTokens) {
    throw new RangeError('Invalid generation options: minImageTokens must be at most half of maxImageTokens');
  }
  return parsed.data;
}
