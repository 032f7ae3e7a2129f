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

/**
 * How the next token is chosen, as overrides of the model's recommended sampling (its model card's:
 * src/catalog/catalog.ts `recommendedSampling`); a field left out takes the recommendation. A
 * temperature of 0 decodes greedily. The seed makes sampled answers reproducible.
 */
export const SamplingSchema = z
  .object({
    temperature: z.number().min(0).max(2),
    /** Keep only tokens at least this fraction as likely as the most likely one. */
    minP: z.number().min(0).max(1),
    /** Above 1 makes tokens already in the conversation less likely (upstream's repetition_penalty). */
    repetitionPenalty: z.number().min(1).max(2),
    seed: z.number().int().min(0).max(0xffff_ffff),
  })
  .partial()
  .strict();
export type Sampling = z.infer<typeof SamplingSchema>;
export type ResolvedSampling = Required<Sampling>;

/** The valid fields of a user's sampling setting (`loupe.generation`); anything else is left to the model card. */
export function validSampling(value: unknown): Sampling {
  if (!value || typeof value !== 'object') return {};
  const fields = Object.entries(value).filter(([key, field]) => SamplingSchema.safeParse({ [key]: field }).success);
  return Object.fromEntries(fields) as Sampling;
}

/** The longest answer any request may ask for: beyond it a small model only repeats itself. */
export const MAX_NEW_TOKENS = 4096;

export const GenerationOptionsSchema = z.object({
  maxNewTokens: z.number().int().min(1).max(MAX_NEW_TOKENS),
  sampling: SamplingSchema.default({}),
  vision: VisionBudgetSchema,
});
export type GenerationOptions = z.output<typeof GenerationOptionsSchema>;

export { PRESET_NAMES, type PresetName } from './presetNames';

/** Presets trade detail for speed: fewer tiles and image tokens mean a shorter prefill. */
export const PRESETS: Record<PresetName, GenerationOptions> = {
  fast: {
    maxNewTokens: 256,
    sampling: {},
    vision: { maxImageTokens: 256, minImageTokens: 64, doImageSplitting: false, maxTiles: 1 },
  },
  balanced: {
    maxNewTokens: 512,
    sampling: {},
    vision: { maxImageTokens: 256, minImageTokens: 64, doImageSplitting: true, maxTiles: 4 },
  },
  detailed: {
    maxNewTokens: 1024,
    sampling: {},
    vision: { maxImageTokens: 256, minImageTokens: 64, doImageSplitting: true, maxTiles: 10 },
  },
};

export const OptionOverridesSchema = z
  .object({
    maxNewTokens: z.number().int().min(1).max(MAX_NEW_TOKENS),
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
    sampling: { ...base.sampling, ...overrides.sampling },
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
