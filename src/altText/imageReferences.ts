/**
 * Image references in a document, for the Ask panel and the agent tools: the one at a position,
 * and the file path each one points at. Parsing is the alt-text scanner's (real Markdown/HTML/TSX
 * parsers); this adds picking by position and following JSX imports.
 */
import type { ImageOccurrence } from './findings';
import { scanImages, scanTargetFor } from './scanDocument';

export type { ImageOccurrence };

/** Every image in the document; none for a file type the scanner does not read (by its language id, else its name). */
export function imagesIn(text: string, fileName: string, languageId?: string): ImageOccurrence[] {
  const target = scanTargetFor(fileName, languageId);
  if (!target) return [];
  try {
    return scanImages(text, fileName, target);
  } catch {
    // Half-typed MDX does not parse; the panel then simply finds no image there.
    return [];
  }
}

/** The image containing `offset`, else the nearest one on the same line. */
export function imageAt(text: string, offset: number, fileName: string, languageId?: string): ImageOccurrence | undefined {
  const images = imagesIn(text, fileName, languageId);
  const containing = images.find((image) => image.start.offset <= offset && offset <= image.end.offset);
  if (containing) return containing;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEndIndex = text.indexOf('\n', offset);
  const lineEnd = lineEndIndex < 0 ? text.length : lineEndIndex;
  const distance = (image: ImageOccurrence) => Math.min(Math.abs(image.start.offset - offset), Math.abs(image.end.offset - offset));
  return images
    .filter((image) => image.start.offset < lineEnd && image.end.offset > lineStart)
    .sort((a, b) => distance(a) - distance(b))[0];
}

const IMPORT_DEFAULT = /import\s+([A-Za-z_$][\w$]*)\s+from\s+(["'])([^"'\n]+)\2/g;

/**
 * The path an image's src names. JSX expressions are followed where that is certain: a string
 * literal, `require("…")`, or an identifier default-imported from a file. Undefined otherwise.
 */
export function imagePathOfSrc(src: string, documentText: string): string | undefined {
  if (!src.startsWith('{')) return src || undefined;
  const expression = src.slice(1, -1).trim();
  const literal = /^(["'`])([^"'`$]*)\1$/.exec(expression);
  if (literal) return literal[2];
  const required = /^require\(\s*(["'])([^"']+)\1\s*\)$/.exec(expression);
  if (required) return required[2];
  for (const match of documentText.matchAll(IMPORT_DEFAULT)) if (match[1] === expression) return match[3];
  return undefined;
}
