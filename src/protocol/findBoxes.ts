/**
 * Find's answer: the box format LFM2.5-VL documents (docs/models.md, "Grounding (Find)"), a JSON
 * array of `{"label": string, "bbox": [x1, y1, x2, y2]}` with corners normalised to 0–1, read
 * strictly and turned into pixels of the decoded (EXIF-oriented) image. One reader for the engine,
 * the CLI and the host, so a box means the same everywhere. Anything but that array is "no boxes
 * found" (the caller keeps the raw text): a guess at boxes in prose would point at the wrong place.
 */
import { z } from 'zod';

/** Most boxes one answer may hold; the engine's grammar stops the list here. */
export const MAX_FIND_BOXES = 50;
/** Longest label, in characters; the grammar closes the string here. */
export const MAX_FIND_LABEL_CHARS = 60;

/** A found thing in image pixels: left, top, width and height, within the image. */
export const FoundBoxSchema = z.object({
  label: z.string().max(MAX_FIND_LABEL_CHARS),
  x: z.number().int().nonnegative(),
  y: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type FoundBox = z.infer<typeof FoundBoxSchema>;

/** Why an answer gave no boxes, when it was not the model's empty list. */
export const FIND_PROBLEMS = ['not-a-list', 'cut-short', 'wrong-shape'] as const;

export const FindResultSchema = z.object({
  boxes: z.array(FoundBoxSchema).max(MAX_FIND_BOXES),
  problem: z.enum(FIND_PROBLEMS).optional(),
  /** The image the boxes are in, as the engine decoded it (an SVG is rendered larger than it declares). */
  image: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).optional(),
});
export type FindResult = z.infer<typeof FindResultSchema>;

/** Find asked with no words: the engine and the CLI (before a model server is asked) say this. */
export const FIND_NEEDS_WORDS = 'Say what to find, for example "the Save button".';

/** Each problem as the CLI and the panel say it. */
export const FIND_PROBLEM_TEXT: Record<(typeof FIND_PROBLEMS)[number], string> = {
  'not-a-list': 'the answer is not a list of boxes',
  'cut-short': 'the answer was cut before the list ended',
  'wrong-shape': 'the list does not hold label and box pairs',
};

interface ImageSize {
  width: number;
  height: number;
}

/** The model's answer as boxes in pixels of an image of `size`; no boxes (with why) for anything else. */
export function parseFindAnswer(text: string, size: ImageSize): FindResult {
  const trimmed = text.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    if (!unclosedList(trimmed)) return { boxes: [], problem: 'not-a-list' };
    // Cut (a limit, Stop): the boxes written whole before the cut still count.
    const whole = completeItems(trimmed);
    return { boxes: whole === undefined ? [] : parseFindAnswer(whole, size).boxes, problem: 'cut-short' };
  }
  if (!Array.isArray(parsed)) return { boxes: [], problem: 'not-a-list' };
  if (parsed.length > MAX_FIND_BOXES) return { boxes: [], problem: 'wrong-shape' };
  const boxes: FoundBox[] = [];
  for (const item of parsed) {
    const corners = cornersOf(item);
    if (!corners) return { boxes: [], problem: 'wrong-shape' };
    const box = toPixels(corners, size, (item as { label: string }).label);
    // A box wholly outside the image clamps to a line: nothing there to point at.
    if (box) boxes.push(box);
  }
  return { boxes };
}

function cornersOf(item: unknown): [number, number, number, number] | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const { label, bbox, ...rest } = item as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof label !== 'string' || label.length > MAX_FIND_LABEL_CHARS) return undefined;
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
  return bbox as [number, number, number, number];
}

/** Corners reordered and clamped to 0–1, then scaled to the image and rounded outward to whole pixels. */
function toPixels([x1, y1, x2, y2]: [number, number, number, number], size: ImageSize, label: string): FoundBox | undefined {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const left = Math.floor(clamp(Math.min(x1, x2)) * size.width);
  const right = Math.ceil(clamp(Math.max(x1, x2)) * size.width);
  const top = Math.floor(clamp(Math.min(y1, y2)) * size.height);
  const bottom = Math.ceil(clamp(Math.max(y1, y2)) * size.height);
  if (right <= left || bottom <= top) return undefined;
  return { label, x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * How a JSON answer's brackets stand at its end, outside strings: how deep it is left open, and
 * where the last item of the top-level list was closed.
 */
function scanBrackets(text: string): { depth: number; lastItemEnd?: number } {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let lastItemEnd: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 1 && ch === '}') lastItemEnd = i + 1;
    }
  }
  return { depth, lastItemEnd };
}

/**
 * Find's boxes as the engine read them, or, for a model server's answer (which comes unread), the
 * same reader on `size`; either way naming the size the boxes are in.
 */
export function foundIn(find: FindResult | undefined, text: string, size: ImageSize): FindResult & { image: ImageSize } {
  const result = find ?? parseFindAnswer(text, size);
  return { ...result, image: result.image ?? { width: size.width, height: size.height } };
}

/** The list's items that were closed before the cut, as a closed list; undefined when none was. */
function completeItems(text: string): string | undefined {
  const { lastItemEnd } = scanBrackets(text);
  return lastItemEnd === undefined ? undefined : `${text.slice(0, lastItemEnd)}]`;
}

/** An answer that opens a list and ends before closing it (outside strings): a token limit, not a wrong answer. */
function unclosedList(text: string): boolean {
  return text.startsWith('[') && scanBrackets(text).depth > 0;
}
