/**
 * OCR text for a VLM prompt: each recognised line with a coarse position, so the model can quote
 * labels, numbers and error messages exactly and still tell which part of the image they are in.
 */
import type { OcrLine, OcrResult } from '../protocol/engine';

const ROWS = ['top', 'middle', 'bottom'] as const;
const COLUMNS = ['left', 'center', 'right'] as const;

/** The 3x3 region of the image a line's centre falls in, e.g. "top-left". */
export function coarsePosition(line: OcrLine, width: number, height: number): string {
  const cx = line.box.reduce((sum, [x]) => sum + x, 0) / 4;
  const cy = line.box.reduce((sum, [, y]) => sum + y, 0) / 4;
  const third = (value: number, size: number) => Math.min(2, Math.max(0, Math.floor((value / Math.max(size, 1)) * 3)));
  return `${ROWS[third(cy, height)]}-${COLUMNS[third(cx, width)]}`;
}

/**
 * Lines in reading order, a blank line between blocks, cut at a line boundary to `maxChars`
 * (a prompt has a budget; the cut says how many lines were left out).
 */
export function formatOcrForPrompt(result: OcrResult, maxChars: number): string {
  const out: string[] = [];
  let used = 0;
  let previousBlock: number | undefined;
  for (const [index, line] of result.lines.entries()) {
    const text = line.text.trim();
    if (!text) continue;
    const entry = `${previousBlock !== undefined && line.block !== previousBlock ? '\n' : ''}[${coarsePosition(line, result.width, result.height)}] ${text}`;
    if (used + entry.length + 1 > maxChars) {
      out.push(`… (${result.lines.length - index} more lines)`);
      break;
    }
    out.push(entry);
    used += entry.length + 1;
    previousBlock = line.block;
  }
  return out.join('\n');
}
