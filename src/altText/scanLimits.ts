/**
 * The limits on what Loupe scans for alt text, in one place: the CLI, the editor's diagnostics
 * and quick fixes, and the workspace batch all go through scanImages, which applies them. Within
 * them a scan takes time and memory in proportion to the document (docs/alt-text.md has figures).
 */
import { DocumentLimitError } from './documentErrors';

/**
 * The largest document scanned, in UTF-8 bytes. Parsing Markdown needs about half a gigabyte per
 * megabyte (several times that for dense nested lists); a real document is far smaller, and a
 * bigger one is a generated file or an attack.
 */
export const MAX_SCANNED_BYTES = 1_000_000;

/**
 * The deepest column at which a Markdown line may open a list item or block quote. The parser's
 * cost grows with nesting depth times document length (each list walks everything inside it),
 * and a line can open a container only one column deeper than those it is in, so this bounds
 * the depth (to about 100 nested lists) and keeps parsing linear. Real documents nest a handful
 * of levels; a 1 MB "staircase" list that deepens on every line took 52 s before this limit.
 */
export const MAX_CONTAINER_COLUMN = 200;

/** Throws DocumentLimitError, saying why and what the limit is, when `text` is over a limit. */
export function assertScannable(text: string, file: string, markdown: boolean): void {
  assertScannableSize(text, file);
  if (!markdown) return;
  const deepest = deepestContainerMarker(text);
  if (deepest) {
    throw new DocumentLimitError(
      file,
      `lists or block quotes nest too deeply (a marker at line ${deepest.line}, column ${deepest.column}; Loupe parses them up to column ${MAX_CONTAINER_COLUMN})`,
    );
  }
}

function assertScannableSize(text: string, file: string): void {
  // A UTF-16 unit is at most three UTF-8 bytes: shorter texts need no count.
  if (text.length * 3 <= MAX_SCANNED_BYTES) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_SCANNED_BYTES) return;
  throw new DocumentLimitError(
    file,
    `${bytes.toLocaleString('en')} bytes, over the ${MAX_SCANNED_BYTES / 1_000_000} MB limit for alt text checks; split the document to have it checked`,
  );
}

/**
 * The first list or quote marker past MAX_CONTAINER_COLUMN in a line's leading run of markers
 * and indentation (`> - 1. ` and the like), 1-based; undefined when there is none. One pass.
 */
function deepestContainerMarker(text: string): { line: number; column: number } | undefined {
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    let column = 0;
    let i = start;
    for (;;) {
      const code = text.charCodeAt(i);
      let marker = 0;
      if (code === 0x20) column++;
      else if (code === 0x09) column += 4 - (column % 4);
      else if (code === 0x3e /* > */) marker = 1;
      else if (code === 0x2d /* - */ || code === 0x2b /* + */ || code === 0x2a /* * */) marker = endsMarker(text, i + 1) ? 1 : 0;
      else marker = orderedMarkerLength(text, i);
      if (marker === 0 && code !== 0x20 && code !== 0x09) break;
      if (marker > 0) {
        if (column + 1 > MAX_CONTAINER_COLUMN) return { line, column: column + 1 };
        column += marker;
      }
      i += marker || 1;
    }
    const lineBreak = text.indexOf('\n', i);
    if (lineBreak < 0) break;
    start = lineBreak + 1;
  }
  return undefined;
}

/** `1.` or `1)` (up to nine digits) followed by a space, a tab or the line end: its length, else 0. */
function orderedMarkerLength(text: string, at: number): number {
  let i = at;
  while (i - at < 9 && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
  if (i === at || (text[i] !== '.' && text[i] !== ')') || !endsMarker(text, i + 1)) return 0;
  return i + 1 - at;
}

function endsMarker(text: string, at: number): boolean {
  const next = text.charCodeAt(at);
  return Number.isNaN(next) || next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d;
}
