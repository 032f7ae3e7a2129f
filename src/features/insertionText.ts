/**
 * The text the Ask panel's insert actions write, kept free of the VS Code API so it can be tested
 * on its own: an answer as a comment in a given language, and a chart answer as a Markdown table.
 */
import { fillAltEdit, type TextEdit } from '../altText/altEdits';
import { normalizeAltText } from '../altText/altQuality';
import { imagesIn, type ImageOccurrence } from '../altText/imageReferences';

export type { TextEdit };

interface CommentSyntax {
  line?: string;
  block?: readonly [open: string, close: string];
}

const SLASHES: CommentSyntax = { line: '//', block: ['/*', '*/'] };
const HASH: CommentSyntax = { line: '#' };
const DASHES: CommentSyntax = { line: '--' };
const MARKUP: CommentSyntax = { block: ['<!--', '-->'] };

/** Comment syntax by VS Code language id; unknown languages get none (the caller says so). */
const COMMENT_SYNTAX: Record<string, CommentSyntax> = {
  typescript: SLASHES,
  typescriptreact: SLASHES,
  javascript: SLASHES,
  javascriptreact: SLASHES,
  c: SLASHES,
  cpp: SLASHES,
  csharp: SLASHES,
  java: SLASHES,
  go: SLASHES,
  rust: SLASHES,
  swift: SLASHES,
  kotlin: SLASHES,
  scala: SLASHES,
  dart: SLASHES,
  php: SLASHES,
  'objective-c': SLASHES,
  jsonc: SLASHES,
  less: SLASHES,
  scss: SLASHES,
  css: { block: ['/*', '*/'] },
  python: HASH,
  ruby: HASH,
  shellscript: HASH,
  perl: HASH,
  r: HASH,
  yaml: HASH,
  toml: HASH,
  dockerfile: HASH,
  makefile: HASH,
  powershell: { line: '#', block: ['<#', '#>'] },
  elixir: HASH,
  julia: HASH,
  sql: DASHES,
  lua: DASHES,
  haskell: DASHES,
  html: MARKUP,
  xml: MARKUP,
  markdown: MARKUP,
  mdx: { block: ['{/*', '*/}'] },
  vue: MARKUP,
  svelte: MARKUP,
  latex: { line: '%' },
  tex: { line: '%' },
  matlab: { line: '%' },
  bat: { line: 'REM' },
  ini: { line: ';' },
  clojure: { line: ';;' },
  lisp: { line: ';;' },
  vb: { line: "'" },
};

export function hasCommentSyntax(languageId: string): boolean {
  return languageId in COMMENT_SYNTAX;
}

/**
 * `text` as a comment in `languageId`, every line indented by `indent` (the insertion line's
 * indentation). Line comments are preferred; block comments have their closing token defused so an
 * answer cannot end the comment early. Returns undefined for a language without comments.
 */
export function formatAsComment(text: string, languageId: string, indent = ''): string | undefined {
  const syntax = COMMENT_SYNTAX[languageId];
  if (!syntax) return undefined;
  const lines = text.replace(/\r\n?/g, '\n').trim().split('\n');
  if (syntax.line) {
    const prefix = syntax.line;
    return lines.map((line) => (line.trim() ? `${indent}${prefix} ${line.trimEnd()}` : `${indent}${prefix}`)).join('\n');
  }
  const [open, close] = syntax.block!;
  const defused = lines.map((line) => defuseClose(line.trimEnd(), close));
  if (defused.length === 1) return `${indent}${open} ${defused[0]} ${close}`;
  return [`${indent}${open}`, ...defused.map((line) => (line ? `${indent}${line}` : '')), `${indent}${close}`].join('\n');
}

/** Breaks every occurrence of the closing token with a space so it no longer closes the comment. */
function defuseClose(line: string, close: string): string {
  // MDX's "*/}" is already ended by a bare "*/", so that is the token to break there.
  const token = close.includes('*/') ? '*/' : close;
  return line.split(token).join(`${token[0]} ${token.slice(1)}`);
}

const TABLE_ROW = /^\s*\|.*\|\s*$/;
const SEPARATOR_ROW = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

/**
 * The Markdown table in a chart answer. A table the model wrote in Markdown is taken as it is
 * (cells trimmed, rows padded to the header's width); comma-, tab- or semicolon-separated rows are
 * converted. Undefined when the answer holds no table.
 */
export function toMarkdownTable(answer: string): string | undefined {
  const lines = answer.replace(/\r\n?/g, '\n').split('\n');
  return markdownTableIn(lines) ?? delimitedTableIn(lines);
}

function markdownTableIn(lines: string[]): string | undefined {
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!TABLE_ROW.test(lines[i]!) || !SEPARATOR_ROW.test(lines[i + 1]!)) continue;
    const rows = [splitMarkdownRow(lines[i]!)];
    for (let j = i + 2; j < lines.length && TABLE_ROW.test(lines[j]!); j++) rows.push(splitMarkdownRow(lines[j]!));
    return renderTable(rows);
  }
  return undefined;
}

function splitMarkdownRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  // Split on pipes that are not escaped, keeping escaped ones escaped.
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function delimitedTableIn(lines: string[]): string | undefined {
  const rows = lines.map((line) => line.trim()).filter(Boolean);
  for (const delimiter of ['\t', ';', ',']) {
    const split = rows.map((row) => row.split(delimiter).map((cell) => cell.trim()));
    // Take the longest run of consecutive rows with the same number (>= 2) of cells.
    let best: string[][] = [];
    let run: string[][] = [];
    for (const cells of split) {
      if (cells.length >= 2 && (run.length === 0 || cells.length === run[0]!.length)) run.push(cells);
      else run = cells.length >= 2 ? [cells] : [];
      if (run.length > best.length) best = [...run];
    }
    if (best.length >= 2) return renderTable(best.map((cells) => cells.map(escapeCell)));
  }
  return undefined;
}

function escapeCell(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}

function renderTable(rows: string[][]): string {
  const width = rows[0]!.length;
  const fit = (cells: string[]) => Array.from({ length: width }, (_, k) => cells[k] ?? '');
  const line = (cells: string[]) => `| ${fit(cells).join(' | ')} |`;
  return [line(rows[0]!), `|${' --- |'.repeat(width)}`, ...rows.slice(1).map(line)].join('\n');
}

/** Where "Use as alt text" writes: an image source as written, and where it was last seen. */
export interface AltTextSite {
  src: string;
  offset: number;
}

/**
 * The edit that fills the alt text of the image at `site` with `answer`, cleaned up as the alt
 * text quick fixes do (one sentence, at most `maxLength` characters) and escaped for its syntax.
 * The document may have changed since the site was recorded, so the image with the same source
 * nearest to where it was is taken. Throws with a message for the user when that cannot work.
 */
export function altTextInsertion(
  document: { text: string; fileName: string; languageId: string },
  site: AltTextSite,
  answer: string,
  maxLength: number,
): { edit: TextEdit; image: ImageOccurrence; alt: string } {
  const distance = (image: ImageOccurrence) => Math.abs(image.start.offset - site.offset);
  const image = imagesIn(document.text, document.fileName, document.languageId)
    .filter((candidate) => candidate.src === site.src)
    .sort((a, b) => distance(a) - distance(b))[0];
  if (!image) throw new Error(`The image ${site.src} is no longer referenced in ${document.fileName}.`);
  const alt = normalizeAltText(answer, { maxLength });
  if (!alt) throw new Error('The answer holds no usable alt text (nothing left after removing placeholders and file names). Ask again, or edit the alt text by hand.');
  return { edit: fillAltEdit(image, alt), image, alt };
}
