import { posix } from 'node:path';
import { escapeHtmlText, escapeMarkdownAlt, escapeMarkdownProse, htmlAttributeValue, jsxAttributeValue } from './altEscaping';
import type { ImageOccurrence } from './findings';

/** A replacement of `[start, end)` (UTF-16 offsets into the document text). */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

type EditableImage = Pick<ImageOccurrence, 'altTarget' | 'start' | 'end' | 'documentKind' | 'src' | 'title' | 'describe'>;

function attributeValue(dialect: 'html' | 'jsx', text: string): string {
  return dialect === 'html' ? htmlAttributeValue(text) : jsxAttributeValue(text);
}

/** Writes `alt` as the image's alt text, escaped for its syntax. */
export function fillAltEdit(image: EditableImage, alt: string): TextEdit {
  const target = image.altTarget;
  switch (target.type) {
    case 'markdown-label': {
      const label = escapeMarkdownAlt(alt);
      if (target.referenceLabel === undefined) return { start: target.value.start.offset, end: target.value.end.offset, newText: label };
      // `![logo]` / `![logo][]`: the label is the reference, so keep it as an explicit one.
      return { start: target.value.start.offset, end: image.end.offset, newText: `${label}][${target.referenceLabel}]` };
    }
    case 'attribute':
      return { start: target.attribute.start.offset, end: target.attribute.end.offset, newText: `alt=${attributeValue(target.dialect, alt)}` };
    case 'insertion':
      return { start: target.at.offset, end: target.at.offset, newText: ` alt=${attributeValue(target.dialect, alt)}` };
  }
}

/** Where the author writes alt text by hand: a range to select, after `edit` (if any) made room for it. */
export interface AltTextSlot {
  edit?: TextEdit;
  /** UTF-16 offsets in the text after `edit`: the current alt text, or an empty range inside `alt=""`. */
  select: { start: number; end: number };
}

/**
 * The place to type the alt text of an image Loupe cannot describe (a remote URL, inline data):
 * its current alt text selected, or, without an alt attribute, `alt=""` inserted with the cursor
 * between the quotes.
 */
export function altTextSlot(image: EditableImage & Pick<ImageOccurrence, 'alt'>): AltTextSlot {
  const target = image.altTarget;
  switch (target.type) {
    case 'markdown-label': {
      const start = target.value.start.offset;
      if (target.referenceLabel === undefined) return { select: { start, end: target.value.end.offset } };
      // `![logo][]`: the label is also the reference; written out in full so the alt can change alone.
      const edit = fillAltEdit(image, image.alt ?? '');
      return { edit, select: { start, end: start + escapeMarkdownAlt(image.alt ?? '').length } };
    }
    case 'attribute':
      if (target.value) return { select: { start: target.value.start.offset, end: target.value.end.offset } };
      return emptyAltSlot(fillAltEdit(image, ''));
    case 'insertion': {
      // Not alt="": that marks the image decorative, and the finding would vanish before a word
      // was written. A placeholder the checker still flags, selected, is typed over.
      const edit = fillAltEdit(image, WRITE_HERE);
      const end = edit.start + edit.newText.length - 1;
      return { edit, select: { start: end - WRITE_HERE.length, end } };
    }
  }
}

/** Put where alt text is to be written; a placeholder word, so it is flagged until replaced. */
const WRITE_HERE = 'image';

/** `alt=""` written by `edit`: the cursor goes between its quotes, its last character. */
function emptyAltSlot(edit: TextEdit): AltTextSlot {
  const inside = edit.start + edit.newText.length - 1;
  return { edit, select: { start: inside, end: inside } };
}

/**
 * Marks the image as decorative with `alt=""`. Markdown has no syntax for that (`![](x.png)` is
 * indistinguishable from a forgotten alt), so a Markdown image becomes the equivalent HTML
 * `<img src alt="">` (a self-closing JSX `<img … />` in MDX), which every renderer passes through.
 */
export function decorativeEdit(image: EditableImage): TextEdit {
  const target = image.altTarget;
  switch (target.type) {
    case 'attribute':
      return { start: target.attribute.start.offset, end: target.attribute.end.offset, newText: 'alt=""' };
    case 'insertion':
      return { start: target.at.offset, end: target.at.offset, newText: ' alt=""' };
    case 'markdown-label': {
      const dialect = image.documentKind === 'mdx' ? 'jsx' : 'html';
      // Markdown destinations may hold spaces (`<a b.png>`); an HTML src needs them encoded.
      const src = attributeValue(dialect, image.src.replace(/ /g, '%20'));
      const title = image.title ? ` title=${attributeValue(dialect, image.title)}` : '';
      const close = dialect === 'jsx' ? ' />' : '>';
      return { start: image.start.offset, end: image.end.offset, newText: `<img src=${src} alt=""${title}${close}` };
    }
  }
}

/**
 * Inserts a long description after the image. Markdown/MDX: a collapsed `<details>` block after
 * the paragraph holding the image. HTML: a `<p id>` after the image (after its inline parents),
 * referenced from the image by `aria-describedby`. JSX files get none: where a sibling element
 * may go depends on the surrounding code.
 */
export function describeDiagramEdits(text: string, image: EditableImage, description: string): TextEdit[] {
  const anchor = image.describe;
  if (!anchor) throw new Error(`Loupe cannot place a description for image "${image.src}" here (only Markdown, MDX and HTML documents).`);
  const prose = tidyProse(description);
  if (!prose) throw new Error('The description is empty.');

  if (anchor.type === 'markdown-block') {
    const prefix = anchor.linePrefix;
    const blank = prefix.trimEnd();
    const body = prose.split('\n').map((line) => (line ? prefix + escapeMarkdownProse(line) : blank));
    const lines = [blank, `${prefix}<details><summary>Diagram description</summary>`, blank, ...body, blank, `${prefix}</details>`];
    // An HTML block runs until a blank line, so the text after it must be separated by one.
    if (!/^(?:$|(?:\r\n|\r|\n)[ \t>]*(?:\r\n|\r|\n|$))/.test(text.slice(anchor.after))) lines.push(blank);
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    return [{ start: anchor.after, end: anchor.after, newText: lines.map((line) => eol + line).join('') }];
  }

  const id = uniqueId(text, `loupe-desc-${slug(image.src)}`);
  const paragraph = `\n${anchor.indent}<p id=${htmlAttributeValue(id)}>${escapeHtmlText(prose.replace(/\s+/g, ' '))}</p>`;
  const describedBy =
    anchor.describedBy.type === 'attribute'
      ? {
          start: anchor.describedBy.start,
          end: anchor.describedBy.end,
          newText: `aria-describedby=${htmlAttributeValue(`${anchor.describedBy.existing.trim()} ${id}`.trim())}`,
        }
      : { start: anchor.describedBy.at, end: anchor.describedBy.at, newText: ` aria-describedby=${htmlAttributeValue(id)}` };
  return [describedBy, { start: anchor.after, end: anchor.after, newText: paragraph }];
}

/** Untrusted model prose: control characters removed, runs of blank lines collapsed. */
function tidyProse(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function slug(src: string): string {
  const name = posix.basename(src.split(/[?#]/)[0]).replace(/\.[^.]*$/, '');
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'image';
}

function uniqueId(text: string, base: string): string {
  let id = base;
  for (let n = 2; text.includes(`id="${id}"`) || text.includes(`id='${id}'`); n++) id = `${base}-${n}`;
  return id;
}

/**
 * Applies non-overlapping edits. Edits at the same offset keep their given order in the result.
 * The text is cut once, in order, and joined once: linear however many edits a document gets.
 */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const ordered = edits.map((edit, order) => ({ edit, order })).sort((a, b) => a.edit.start - b.edit.start || a.order - b.order);
  const pieces: string[] = [];
  let copied = 0;
  for (const { edit } of ordered) {
    if (edit.start < copied) throw new Error(`Overlapping edits at offset ${edit.start}: apply them one at a time.`);
    pieces.push(text.slice(copied, edit.start), edit.newText);
    copied = edit.end;
  }
  pieces.push(text.slice(copied));
  return pieces.join('');
}
