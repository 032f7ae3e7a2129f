/**
 * OCR result as compact grounding text for a vision-language prompt: lines in reading order,
 * each tagged with a coarse position on a 3x3 grid ("[top-left] File  Edit  View"), blocks
 * separated by a blank line, cut at a line boundary to fit a character budget. The text comes
 * from the image, so it is untrusted: control and bidi characters are removed here, special
 * tokens are neutralised by the prompt builder.
 */
import type { OcrLine, OcrResult } from '../../protocol/engine';

const ROWS = ['top', 'middle', 'bottom'] as const;
const COLUMNS = ['left', 'center', 'right'] as const;

/** Where the line's centre falls on a 3x3 grid over the image, e.g. "top-left", "middle-center". */
export function coarsePosition(line: OcrLine, width: number, height: number): string {
  const xs = line.box.map((p) => p[0]), ys = line.box.map((p) => p[1]);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const third = (v: number, size: number) => Math.min(2, Math.max(0, Math.floor((3 * v) / Math.max(size, 1))));
  return `${ROWS[third(cy, height)]}-${COLUMNS[third(cx, width)]}`;
}

/** At most `maxChars` characters, the note about left-out lines included. */
export function formatOcrForPrompt(result: OcrResult, maxChars: number): string {
  const lines = result.lines
    .map((line) => ({ line, text: clean(line.text) }))
    .filter(({ text }) => text.length > 0);
  let output = '';
  for (let i = 0; i < lines.length; i++) {
    const { line, text } = lines[i];
    const separator = i === 0 ? '' : line.block !== lines[i - 1].line.block ? '\n\n' : '\n';
    const next = `${output}${separator}[${coarsePosition(line, result.width, result.height)}] ${text}`;
    const left = lines.length - i - 1;
    // Room is kept for the note whenever lines would remain after this one.
    if (next.length + (left > 0 ? omissionNote(left).length + 1 : 0) > maxChars) {
      return withNote(output, lines.length - i, maxChars);
    }
    output = next;
  }
  return output;
}

const omissionNote = (count: number) => `… (${count} more ${count === 1 ? 'line' : 'lines'})`;

function withNote(output: string, left: number, maxChars: number): string {
  const note = omissionNote(left);
  const joined = output ? `${output}\n${note}` : note;
  return joined.length <= maxChars ? joined : output;
}

/** Control and bidi-override characters out; runs of spaces kept short (two mark separate items). */
function clean(text: string): string {
  return text
    .replace(/[\p{Cc}\u200b-\u200f\u2028-\u202e\u2066-\u2069]/gu, ' ')
    .replace(/ {3,}/g, '  ')
    .trim();
}
