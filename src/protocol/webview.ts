/**
 * Messages between the Ask panel's host side (src/features/askPanel/) and its webview
 * (webview-ui/). Both ends validate what they receive with these schemas: the webview is a
 * sandbox the host does not trust, and the webview must not trust a message it cannot parse.
 * Image bytes cross as Uint8Array, which VS Code transfers as binary (no base64 text).
 * This module is bundled into the webview too, so it imports nothing from Node or VS Code.
 */
import { z } from 'zod';
import { ChatTurnSchema, ERROR_CODES, GenerationStatsSchema, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, OcrResultSchema, PHASES, PixelDiffSchema, RegionSchema } from './engine';
import { FindResultSchema } from './findBoxes';
import { MAX_IMAGE_BYTES, PANEL_MIME_TYPES } from './imageFormats';
import { PRESET_NAMES, SamplingSchema } from './options';
import { TASKS } from './tasks';

/** Longest answer text the host accepts back for insertion (a detailed answer is far shorter). */
export const MAX_INSERT_CHARS = 200_000;

/**
 * Most characters of earlier turns a follow-up sends: with the image, the question and the answer
 * they stay inside a small model's context (LFM2-VL: 32k tokens). The webview trims to it.
 */
export const MAX_HISTORY_CHARS = 24_000;

/** Longest turn text kept in a saved conversation; a longer one is clipped, with a note. */
export const MAX_SAVED_TURN_CHARS = 50_000;

/**
 * `text` within `max` characters (`max` well above a sentence): its start, cut at a line break
 * where one is near, any code block it leaves open closed, and a note of how much was left out.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = max - 80;
  const lineEnd = text.lastIndexOf('\n', room);
  let kept = text.slice(0, lineEnd > room * 0.8 ? lineEnd : room);
  // Never half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  const fence = openFence(kept);
  return `${kept}${fence ? `\n${fence}` : ''}\n\n[… ${text.length - kept.length} more characters left out]`;
}

/** The fence of a Markdown code block `text` leaves open, if any. */
function openFence(text: string): string | undefined {
  let open: string | undefined;
  for (const [, fence] of text.matchAll(/^ {0,3}(`{3,}|~{3,})/gm)) {
    if (!open) open = fence;
    else if (fence![0] === open[0] && fence!.length >= open.length) open = undefined;
  }
  return open;
}

/** An image file's bytes, within the formats table's size limit. */
export const ImageBytesSchema = z
  .instanceof(Uint8Array)
  .refine((bytes) => bytes.byteLength > 0 && bytes.byteLength <= MAX_IMAGE_BYTES, 'empty, or larger than the image size limit');

/** The host names each image it holds; the webview keeps only this id (and a thumbnail) in its state. */
export const ImageIdSchema = z.uuid();

/** sha256 of an image's bytes, hex: conversations are kept per image content. */
export const ImageHashSchema = z.string().regex(/^[0-9a-f]{64}$/);

const fileName = z.string().min(1).max(260);

/** The image the panel is about, with its bytes. */
export const PanelImageSchema = z.object({
  id: ImageIdSchema,
  name: fileName,
  /** Where it came from, for the user: "docs/shot.png", "Clipboard", "Pasted image". */
  origin: z.string().max(1_000),
  mime: z.enum(PANEL_MIME_TYPES as [string, ...string[]]),
  bytes: ImageBytesSchema,
  hash: ImageHashSchema,
});
export type PanelImage = z.infer<typeof PanelImageSchema>;

export const INSERT_ACTIONS = ['cursor', 'replace', 'copy', 'altText', 'comment', 'table', 'markdownCell'] as const;
export type InsertAction = (typeof INSERT_ACTIONS)[number];

/** Commands the webview may ask the host to run; nothing outside this list. */
export const PANEL_COMMANDS = ['loupe.downloadModel', 'loupe.selectModel', 'loupe.importModel', 'loupe.selectPreset', 'loupe.setModelServerKey', 'loupe.openWalkthrough', 'workbench.trust.manage'] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];

/** What an error's buttons do: a VS Code command, or the panel's own "choose another image". */
export const ERROR_ACTIONS = [...PANEL_COMMANDS, 'pickImage'] as const;
export type ErrorAction = (typeof ERROR_ACTIONS)[number];

export const MODEL_STATES = ['missing', 'unloaded', 'loading', 'loaded', 'busy'] as const;
export const ModelStatusSchema = z.object({
  state: z.enum(MODEL_STATES),
  /** Folder name or manifest id of the model in use. */
  modelName: z.string().max(200).optional(),
  /** host[:port] of the model server answers come from; absent for the model on this machine. */
  server: z.string().max(300).optional(),
  preset: z.enum(PRESET_NAMES),
});
export type ModelStatus = z.infer<typeof ModelStatusSchema>;

/** Where the insert buttons would write, so the webview can label and enable them. */
export const InsertTargetsSchema = z.object({
  /** The editor the text goes into ("README.md"), absent when no text editor was used yet. */
  editor: z.string().max(1_000).optional(),
  languageId: z.string().max(100).optional(),
  /** Loupe knows the comment syntax of that editor's language. */
  commentable: z.boolean().default(false),
  hasSelection: z.boolean(),
  /** The image reference whose alt text "Use as alt text" fills ("![](shot.png) in README.md:3"). */
  altText: z.string().max(1_000).optional(),
  /** The notebook cell whose plot was asked about: "Insert as Markdown cell" goes below it ("cell 3 of plots.ipynb"). */
  markdownCell: z.string().max(1_000).optional(),
});
export type InsertTargets = z.input<typeof InsertTargetsSchema>;

const requestId = z.string().min(1).max(100);
const ActionSchema = z.object({ label: z.string().max(100), command: z.enum(ERROR_ACTIONS) });
export type PanelAction = z.infer<typeof ActionSchema>;

/** Longest icon of an image kept with a turn (a small WebP, a few KB). */
export const MAX_TURN_ICON_CHARS = 24 * 1024;

/** The image a question was about; `icon` on the first question of a run about one image. */
const TurnImageSchema = z.object({
  name: fileName,
  hash: ImageHashSchema,
  icon: z
    .string()
    .max(MAX_TURN_ICON_CHARS)
    .regex(/^data:image\/(webp|png|jpeg);base64,[A-Za-z0-9+/]+={0,2}$/)
    .optional(),
});

/** A finished turn as kept per image (the webview's Turn, validated where it crosses). */
export const SavedTurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  text: z.string().max(MAX_INSERT_CHARS),
  task: z.enum(TASKS),
  outcome: z.enum(['done', 'stopped', 'ocr']).optional(),
  /** User turns: the question as sent ('' for a task chip), so Retry can ask it again. */
  question: z.string().max(MAX_QUESTION_CHARS).optional(),
  /** Assistant turns: the answer reached the token limit and can be continued. */
  cutAtTokens: z.number().int().positive().optional(),
  /** User turns: the earlier conversation sent with it was trimmed to fit (MAX_HISTORY_CHARS). */
  historyTrimmed: z.object({ leftOut: z.number().int().nonnegative(), clipped: z.number().int().nonnegative() }).optional(),
  /** User turns: the image asked about (a conversation can move from one image to the next). */
  image: TurnImageSchema.optional(),
  /** User turns: the part of the image asked about, in its pixels (Retry asks about it again). */
  region: RegionSchema.optional(),
  /** User turns: the second image the question compared the first with. */
  comparedWith: z.object({ name: fileName }).optional(),
});
export type SavedTurn = z.infer<typeof SavedTurnSchema>;
/** Most turns kept per image. */
export const MAX_SAVED_TURNS = 64;

// ---- webview -> host ------------------------------------------------------------------------

export const WebviewToHostSchema = z.discriminatedUnion('type', [
  /** Sent once per webview load, with the id of the image its saved state shows (no bytes). */
  z.object({ type: z.literal('ready'), imageId: ImageIdSchema.optional() }),
  /** A recreated webview has only a thumbnail: it asks for the bytes of the image it shows. */
  z.object({ type: z.literal('requestImage'), id: ImageIdSchema }),
  z.object({ type: z.literal('pickImage') }),
  /** Pasted or dropped from the OS: the webview read the bytes itself. */
  z.object({ type: z.literal('imageData'), name: fileName, bytes: ImageBytesSchema }),
  /** Dropped from VS Code's Explorer or an editor tab: the host reads them. */
  z.object({ type: z.literal('droppedUris'), uris: z.array(z.string().min(1).max(4_000)).min(1).max(20) }),
  z.object({ type: z.literal('clearImage') }),
  /** "Compare with…": the host asks for a second image to compare the first with. */
  z.object({ type: z.literal('pickSecondImage') }),
  z.object({ type: z.literal('clearSecondImage') }),
  z.object({
    type: z.literal('ask'),
    task: z.enum(TASKS),
    question: z.string().max(MAX_QUESTION_CHARS),
    preset: z.enum(PRESET_NAMES),
    /** Earlier turns of this conversation, oldest first. */
    history: z.array(ChatTurnSchema).max(MAX_HISTORY_TURNS),
    /** A seed of its own (Retry: a new answer, not the same one again); else the settings' sampling. */
    seed: SamplingSchema.shape.seed.optional(),
    /** Only this part of the image, in its pixels: seen at its own resolution, boxes given in the whole image. */
    region: RegionSchema.optional(),
    /** Compare with the second image the host holds under this id (a pixel diff first, then both to the model). */
    secondImageId: ImageIdSchema.optional(),
  }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('insert'), action: z.enum(INSERT_ACTIONS), text: z.string().min(1).max(MAX_INSERT_CHARS) }),
  z.object({ type: z.literal('runCommand'), command: z.enum(PANEL_COMMANDS) }),
  /** A link in an answer was clicked; the host asks before opening anything. */
  z.object({ type: z.literal('openLink'), href: z.string().max(4_000) }),
  /** The finished turns about an image, kept (per image content) across reloads and image switches. */
  z.object({ type: z.literal('saveConversation'), hash: ImageHashSchema, turns: z.array(SavedTurnSchema).max(MAX_SAVED_TURNS) }),
]);
export type WebviewToHost = z.infer<typeof WebviewToHostSchema>;
export const WEBVIEW_MESSAGE_TYPES = WebviewToHostSchema.options.map((option) => option.shape.type.value);

// ---- host -> webview ------------------------------------------------------------------------

export const HostToWebviewSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    modelStatus: ModelStatusSchema,
    targets: InsertTargetsSchema,
    isMac: z.boolean(),
    /** The answer the host is producing now; a restored webview waiting for another one stops waiting. */
    activeRequestId: requestId.optional(),
  }),
  z.object({ type: z.literal('modelStatus'), modelStatus: ModelStatusSchema }),
  z.object({ type: z.literal('targets'), targets: InsertTargetsSchema }),
  /**
   * A new image (or none), or the bytes of the current one for a webview that asked for them.
   * `ask` starts that task right away, as the Explorer commands do.
   */
  z.object({
    type: z.literal('image'),
    image: PanelImageSchema.nullable(),
    ask: z.object({ task: z.enum(TASKS), question: z.string().max(MAX_QUESTION_CHARS) }).optional(),
    /** The turns kept for this image's content from an earlier time it was shown. */
    conversation: z.array(SavedTurnSchema).max(MAX_SAVED_TURNS).optional(),
  }),
  /** The image the first is compared with, or none (removed, refused, or the first image changed). */
  z.object({ type: z.literal('secondImage'), image: PanelImageSchema.nullable(), ask: z.string().max(MAX_QUESTION_CHARS).optional() }),
  /**
   * A comparison's pixel diff, before the model answers: boxes in pixels of the compared area (the
   * first image's, or both sizes' largest when laid over at the top-left). With `answer`, nothing
   * changed and that is the whole answer (the model is not asked).
   */
  z.object({ type: z.literal('changes'), requestId, diff: PixelDiffSchema, answer: z.string().max(1_000).optional() }),
  /** An image was refused at intake: the panel shows no image (not the previous one) and says why. */
  z.object({ type: z.literal('imageRefused'), message: z.string().max(4_000), actions: z.array(ActionSchema).max(4).default([]) }),
  /** Put the keyboard focus in the question box (the chat was opened by its keybinding or command). */
  z.object({ type: z.literal('focusQuestion') }),
  /** Open the accessible view of the latest answer (Loupe: Read the Answer, Alt+F2 in the chat). */
  z.object({ type: z.literal('openReader') }),
  z.object({ type: z.literal('started'), requestId, task: z.enum(TASKS) }),
  z.object({ type: z.literal('progress'), requestId, phase: z.enum(PHASES) }),
  /**
   * What the answer gained since the last `token` message (the host batches tokens, at most one
   * message per few tens of milliseconds); `index` counts the tokens generated up to its end.
   */
  z.object({ type: z.literal('token'), requestId, index: z.number().int().nonnegative(), text: z.string() }),
  /** Where a running answer stands, after the webview was reloaded mid-stream. */
  z.object({
    type: z.literal('snapshot'),
    requestId,
    task: z.enum(TASKS),
    text: z.string(),
    tokens: z.number().int().nonnegative(),
    elapsedMs: z.number().nonnegative(),
    firstTokenMs: z.number().nonnegative().optional(),
  }),
  /** The final text is authoritative: it replaces whatever was streamed. */
  z.object({
    type: z.literal('done'),
    requestId,
    text: z.string(),
    cancelled: z.boolean(),
    stats: GenerationStatsSchema,
    /** The answer stopped because it reached this many new tokens (the preset's limit), not because it was complete. */
    cutAtTokens: z.number().int().positive().optional(),
    /** Find: the boxes the text lists, in pixels of `find.image`, drawn over the preview. */
    find: FindResultSchema.optional(),
  }),
  z.object({ type: z.literal('ocrDone'), requestId, result: OcrResultSchema }),
  z.object({
    type: z.literal('failed'),
    requestId: requestId.optional(),
    code: z.enum(ERROR_CODES).optional(),
    message: z.string().max(4_000),
    actions: z.array(ActionSchema).max(4).default([]),
  }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), text: z.string().max(2_000) }),
  /**
   * A message from the webview did not validate and was not acted on (`of`: its type, when it
   * had a known one). A refused `ask` is never answered otherwise: the webview stops waiting.
   */
  z.object({ type: z.literal('refused'), of: z.enum(WEBVIEW_MESSAGE_TYPES).optional(), message: z.string().max(4_000) }),
]);
export type HostToWebview = z.input<typeof HostToWebviewSchema>;
export type ParsedHostToWebview = z.output<typeof HostToWebviewSchema>;
