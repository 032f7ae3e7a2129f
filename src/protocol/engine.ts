/**
 * Messages between the engine client (src/client/engineClient.ts, used by the extension host and
 * the CLI) and the engine (src/engine/), which runs in a child process or a worker thread. Both
 * ends validate what they receive with these schemas; the TypeScript types are inferred from them,
 * so they cannot drift.
 */
import { z } from 'zod';
import { GenerationOptionsSchema, SamplingSchema } from './options';
import { TASKS } from './tasks';
import { FindResultSchema } from './findBoxes';

export const ImageInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), path: z.string().min(1) }),
  /** Pasted or dropped bytes; `name` is shown in messages. */
  z.object({ kind: z.literal('bytes'), name: z.string().min(1), bytes: z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected a Uint8Array') }),
]);
export type ImageInput = z.infer<typeof ImageInputSchema>;

const SizeSchema = z.object({ width: z.number().int(), height: z.number().int() });

/** A rectangle in pixels of the EXIF-oriented image, top-left origin (`--region x,y,w,h`). */
export const RegionSchema = z.object({
  x: z.number().int().nonnegative(),
  y: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /**
   * The size those pixels are of, when it may not be the size the engine decodes: the panel's
   * preview shows an SVG at its declared size, while the engine renders a small one larger.
   */
  of: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).optional(),
});
export type Region = z.infer<typeof RegionSchema>;

/** `x,y,w,h`: how the CLI's flag takes a region and messages and prompts show it. */
export function formatRegion(region: Region): string {
  return `${region.x},${region.y},${region.width},${region.height}`;
}

/** Most changed regions a comparison reports and states in its prompt (src/imaging/pixelDiff.ts merges down to it). */
export const MAX_CHANGED_REGIONS = 8;

/** Longest question (and chat turn) accepted; the panel's box and the CLI stop longer ones up front. */
export const MAX_QUESTION_CHARS = 20_000;

/**
 * Longest question in the model's own tokens, which is what its cost grows with: 20,000
 * characters of prose are 4,000 to 6,000 tokens, of CJK text or emoji up to 20,000. Checked by
 * the engine, which has the tokenizer; with the image and the answer it stays inside LFM2's context.
 */
export const MAX_QUESTION_TOKENS = 16_384;

export const ChatTurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  text: z.string().max(MAX_QUESTION_CHARS),
  /** The task a user turn asked for (the first turn's task shapes its prompt). */
  task: z.enum(TASKS).optional(),
});
export type ChatTurn = z.infer<typeof ChatTurnSchema>;

/** Most earlier turns a request carries (the webview trims to it). */
export const MAX_HISTORY_TURNS = 64;

const id = z.string().min(1);

/** What a question about an image consists of; `generate` answers it, `prompt` shows its input. */
const AskFields = {
  id,
  modelDir: z.string().min(1),
  task: z.enum(TASKS),
  /** The user's words; for preset tasks, an optional addition to the task prompt. */
  question: z.string().max(MAX_QUESTION_CHARS).default(''),
  image: ImageInputSchema,
  /** Earlier turns about the same image, oldest first. */
  history: z.array(ChatTurnSchema).max(MAX_HISTORY_TURNS).default([]),
  /** Text around the image in the document (alt text says what the image is for). */
  documentContext: z.string().max(4_000).optional(),
  /** Language the answer should be written in, e.g. "en", "de". */
  language: z.string().max(35).optional(),
  /** Longest alt text wanted (`loupe.altText.maxLength`, `--max-length`); the prompt asks for it. */
  altTextMaxLength: z.number().int().positive().max(10_000).optional(),
  /** Run OCR first and put the recognised text into the prompt. */
  ocrGrounding: z.boolean().default(false),
  options: GenerationOptionsSchema,
  /** Ask about this part of the image only: the crop is seen at its native resolution. */
  region: RegionSchema.optional(),
  /** A second image to compare the first with ("Image 1" / "Image 2" in the prompt). */
  secondImage: ImageInputSchema.optional(),
  /** The pixel diff's changed regions (a `diff` job's boxes), stated in a comparison's prompt. */
  changes: z.array(RegionSchema).max(MAX_CHANGED_REGIONS).optional(),
};

export const EngineRequestSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('configure'),
    /** Written before a model load and removed after, so a host that died mid-load can tell. */
    loadMarkerPath: z.string().optional(),
    /** Free memory the engine requires beyond the model's size before it loads one. */
    memoryHeadroomBytes: z.number().int().nonnegative().optional(),
    /** Unload the model after this long without a job; 0 keeps it loaded. */
    idleUnloadMs: z.number().int().nonnegative().optional(),
    /** Load installed q4 models from their verified CPU-optimised copy, making it first (default on). */
    optimizeModels: z.boolean().optional(),
  }),
  z.object({ type: z.literal('generate'), ...AskFields }),
  /** Everything a `generate` would do up to the model's input, then a report of that input. */
  z.object({ type: z.literal('prompt'), ...AskFields }),
  /** With a region, the crop is read and its lines' boxes are given in the full image's pixels. */
  z.object({ type: z.literal('ocr'), id, image: ImageInputSchema, region: RegionSchema.optional() }),
  /** Which pixels differ between two images: changed regions as boxes, no model needed. */
  z.object({ type: z.literal('diff'), id, images: z.tuple([ImageInputSchema, ImageInputSchema]) }),
  /** Is this an image Loupe can use, and what size: the one check host and CLI make at intake. */
  z.object({ type: z.literal('inspect'), id, image: ImageInputSchema }),
  /** Stops the job: while it runs, or before it starts (it then ends with a CANCELLED error). */
  z.object({ type: z.literal('cancel'), id }),
  z.object({ type: z.literal('unload') }),
  /** Stop the running job, free the models and end the engine once no native call is running. */
  z.object({ type: z.literal('shutdown') }),
]);
export type EngineRequest = z.input<typeof EngineRequestSchema>;
export type ParsedEngineRequest = z.output<typeof EngineRequestSchema>;
export type GenerateRequest = Extract<ParsedEngineRequest, { type: 'generate' }>;
export type PromptRequest = Extract<ParsedEngineRequest, { type: 'prompt' }>;

export const ERROR_CODES = [
  'BAD_INPUT',
  /** The model (or server) in use cannot do what was asked; another model can. */
  'UNSUPPORTED',
  'MODEL_MISSING',
  'MODEL_LOAD_FAILED',
  'INSUFFICIENT_MEMORY',
  'CANCELLED',
  'ENGINE_CRASHED',
  'ENGINE_FAILURE',
  'PROTOCOL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const EngineErrorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type EngineErrorInfo = z.infer<typeof EngineErrorSchema>;

export const GenerationStatsSchema = z.object({
  promptTokens: z.number().int(),
  imageTokens: z.number().int(),
  tiles: z.number().int(),
  generatedTokens: z.number().int(),
  timeToFirstTokenMs: z.number(),
  tokensPerSecond: z.number(),
  totalMs: z.number(),
  ocrMs: z.number().optional(),
  /** Reused from the previous question about the same image: its vision features, or the whole conversation's state. */
  cache: z.enum(['none', 'vision', 'conversation']).optional(),
  /** How tokens were chosen: the model's recommendation with the request's overrides (a server: what was sent). */
  sampling: SamplingSchema.optional(),
});
export type GenerationStats = z.infer<typeof GenerationStatsSchema>;


/** The model's input for one question, as `loupe prompt` shows it. */
export const PromptPreviewSchema = z.object({
  /** The chat-templated prompt as tokens decoded, each run of `<image>` written `<image>xN`. */
  text: z.string(),
  promptTokens: z.number().int(),
  imageTokens: z.number().int(),
  /** Pixel tensors the vision encoder receives: tiles plus thumbnail. */
  tiles: z.number().int(),
  /** The decoded image, EXIF orientation applied (with a region: the crop). */
  image: SizeSchema,
  /** The region asked about and the size of the image it was cut from. */
  region: RegionSchema.extend({ of: SizeSchema }).optional(),
  /** The second image of a comparison, decoded. */
  secondImage: SizeSchema.optional(),
  /** LFM2-VL only: the smart-resized size (the single tile, or the thumbnail), the tile grid. */
  resized: SizeSchema.optional(),
  grid: z.object({ rows: z.number().int(), cols: z.number().int() }).optional(),
  thumbnail: z.boolean().optional(),
});
export type PromptPreview = z.infer<typeof PromptPreviewSchema>;

const PointSchema = z.tuple([z.number(), z.number()]);
export const OcrLineSchema = z.object({
  text: z.string(),
  confidence: z.number(),
  /** Four corners, clockwise from top-left, in image pixels. */
  box: z.tuple([PointSchema, PointSchema, PointSchema, PointSchema]),
  block: z.number().int(),
});
export type OcrLine = z.infer<typeof OcrLineSchema>;
export const OcrResultSchema = z.object({
  width: z.number().int(),
  height: z.number().int(),
  lines: z.array(OcrLineSchema),
  /** Lines in reading order, blocks separated by a blank line. */
  text: z.string(),
  ms: z.number(),
});
export type OcrResult = z.infer<typeof OcrResultSchema>;

/** How two images differ, in pixels of the first (src/imaging/pixelDiff.ts). */
export const PixelDiffSchema = z.object({
  /** The canvas compared: the first image's size, or both sizes' maximum when aligned top-left. */
  width: z.number().int(),
  height: z.number().int(),
  /** `scaled`: the second was resized to the first (same aspect ratio); `top-left`: compared where both have pixels, the rest counts as changed. */
  alignment: z.enum(['same-size', 'scaled', 'top-left']),
  changedPixels: z.number().int().nonnegative(),
  /** Changed regions, largest first, at most MAX_CHANGED_REGIONS (nearby ones merged). */
  boxes: z.array(RegionSchema).max(MAX_CHANGED_REGIONS),
});
export type PixelDiff = z.infer<typeof PixelDiffSchema>;

/** What a checked image is, as `inspect` reports it. */
export const ImageInfoSchema = z.object({
  source: z.string(),
  format: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type ImageInfo = z.infer<typeof ImageInfoSchema>;

/** Why an answer ended: the model's end of answer, a token limit (the request's or the context's), or Stop. */
export const StopReasonSchema = z.enum(['end', 'limit', 'stopped']);
export type StopReason = z.infer<typeof StopReasonSchema>;

export const PHASES = ['optimizing-model', 'loading-model', 'reading-image', 'ocr', 'encoding-image', 'generating'] as const;

/** Each phase as the panel and the agent tools' progress name it. */
export const PHASE_LABELS: Record<(typeof PHASES)[number], string> = {
  'optimizing-model': 'Optimising the model for this CPU (once)',
  'loading-model': 'Loading model',
  'reading-image': 'Reading image',
  ocr: 'Reading text (OCR)',
  'encoding-image': 'Encoding image',
  generating: 'Generating',
};

export const EngineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** The engine runs one job at a time, in the order received: this one begins now. */
  z.object({ type: z.literal('started'), id }),
  z.object({ type: z.literal('progress'), id, phase: z.enum(PHASES) }),
  z.object({ type: z.literal('token'), id, index: z.number().int(), text: z.string() }),
  /** `text` is what was generated until the answer ended (at Stop: until then). */
  z.object({
    type: z.literal('done'),
    id,
    text: z.string(),
    stopReason: StopReasonSchema,
    stats: GenerationStatsSchema,
    /** Find only: the answer's boxes in pixels of the decoded (EXIF-oriented) image (src/protocol/findBoxes.ts). */
    find: FindResultSchema.optional(),
  }),
  z.object({ type: z.literal('inspect-done'), id, image: ImageInfoSchema }),
  z.object({ type: z.literal('ocr-done'), id, result: OcrResultSchema }),
  z.object({ type: z.literal('prompt-done'), id, preview: PromptPreviewSchema }),
  z.object({ type: z.literal('diff-done'), id, diff: PixelDiffSchema }),
  z.object({ type: z.literal('error'), id: id.optional(), error: EngineErrorSchema }),
  z.object({
    type: z.literal('model-state'),
    state: z.enum(['unloaded', 'loading', 'loaded']),
    modelDir: z.string().optional(),
  }),
]);
export type EngineEvent = z.infer<typeof EngineEventSchema>;
