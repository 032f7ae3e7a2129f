/**
 * Turns raw model output into alt text worth writing, and gathers the prose around an image for
 * the prompt. Model output is untrusted: whatever it returns, the result is one plain sentence of
 * bounded length, or '' when nothing usable is left (the caller then writes nothing).
 */
import { isPlaceholderAlt, looksLikeFileName } from '../protocol/altTextWords';
import type { ImageOccurrence } from './findings';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { safeText } from '../protocol/safeText';


const IMAGE_WORD = String.raw`(?:image|picture|photo(?:graph)?|screen\s?shot|illustration|graphic|pic)`;
/** "A photo of", "Screenshot showing", "This image shows", "Here is an image of" … */
const INTRO = new RegExp(
  String.raw`^(?:(?:here|this|it)\s+is\s+|there\s+is\s+)?(?:(?:an?|the|this)\s+)?(?:(?:close-?up|colou?r|black[- ]and[- ]white|digital|simple|small|large)\s+)?` +
    IMAGE_WORD +
    String.raw`\s+(?:of|showing|shows|that\s+shows|depicting|depicts|displaying|displays|containing|contains|featuring|features|is\s+of|with)\s+`,
  'i',
);
/** "This is a bar chart …" → "A bar chart …". */
const PRESENTATIONAL = /^(?:here|this|it)\s+is\s+(?=(?:an?|the)\s)/i;
const LABEL = /^(?:alt(?:ernative)?[ -]?text|alt|description|caption)\s*[:：\-–—]\s*/i;
const FILE_NAME = /(?:\b(?:named|called|titled|file)\s+)?["'`“‘]?[\w\-./]*[\w-]\.(?:png|jpe?g|gif|webp|svg|bmp)\b["'`”’]?/gi;
const QUOTES = /^["'“”‘’«»]+|["'“”‘’«»]+$/g;
const ABBREVIATION_BEFORE = /(?:^|[\s(])(?:e\.g|i\.e|etc|vs|approx|fig|dr|mr|mrs|ms|st|no|[A-Za-z])$/i;
const DANGLING_WORDS = /\s+(?:and|or|with|of|the|a|an|to|in|on|for|at|by|from|that|which|showing)$/i;

export interface AltTextOptions {
  /** Longest result, in characters (default 125). */
  maxLength?: number;
}

/**
 * One sentence, at most `maxLength` characters cut at a word boundary, without "image of" style
 * openers, file names, Markdown, HTML or wrapping quotes, ending with a period.
 */
export function normalizeAltText(raw: string, options: AltTextOptions = {}): string {
  const maxLength = Math.max(options.maxLength ?? DEFAULT_ALT_MAX_LENGTH, 8);
  let text = stripMarkup(raw);
  text = firstSentence(text);
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(LABEL, '').replace(QUOTES, '').replace(PRESENTATIONAL, '').replace(INTRO, '').trim();
  }
  text = text
    .replace(FILE_NAME, '')
    .replace(/\(\s*\)/g, '')
    .replace(/\s+([,;:.!?])/g, '$1')
    .replace(/^[\s,;:.\-–—]+/, '')
    .replace(/\s+/g, ' ')
    .replace(QUOTES, '')
    .trim();
  text = text.charAt(0).toUpperCase() + text.slice(1);
  text = endWithPeriod(text, maxLength);
  const core = text.replace(/[.!?]$/, '').replace(/^(?:an?|the)\s+/i, '').trim();
  if (!/\p{L}/u.test(core) || isPlaceholderAlt(core) || looksLikeFileName(core)) return '';
  return text;
}

function stripMarkup(raw: string): string {
  return (
    // Escapes, controls, bidi overrides and invisible spaces never reach a document.
    safeText(raw.replace(/\r\n?/g, '\n'))
      .replace(/^\s*(```|~~~).*$/gm, '')
      .replace(/<(script|style)\b[\s\S]*?(<\/\1>|$)/gi, '')
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<\/?[A-Za-z][^>]*>/g, '')
      .replace(/^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d{1,3}[.)]\s+)/gm, '')
      .replace(/\*\*|__|[*`]/g, '')
      .replace(/(^|\s)_(\S(?:.*?\S)?)_(?=\s|$|[.,;:!?])/g, '$1$2')
      // One line break is a wrapped sentence; a blank line ends the first paragraph.
      .split(/\n\s*\n/)
      .find((paragraph) => paragraph.trim().replace(LABEL, '').replace(QUOTES, '').trim() !== '')
      ?.replace(/\s+/g, ' ')
      .trim() ?? ''
  );
}

/** The text up to the first sentence end that is not an abbreviation ("e.g.") or decimal. */
function firstSentence(text: string): string {
  const ends = /[.!?。]+(?=\s+["'“‘(]?[\p{Lu}\d]|\s*$)/gu;
  for (let match = ends.exec(text); match; match = ends.exec(text)) {
    if (match[0] === '.' && ABBREVIATION_BEFORE.test(text.slice(0, match.index))) continue;
    return text.slice(0, match.index + match[0].length);
  }
  return text;
}

function endWithPeriod(text: string, maxLength: number): string {
  let body = text.replace(/(?:\.{2,}|…)$/, '.').replace(/[\s,;:\-–—]+$/, '');
  if (/[.!?]$/.test(body) && body.length <= maxLength) return body;
  body = body.replace(/[.!?]+$/, '');
  if (body.length > maxLength - 1) body = cutAtWord(body, maxLength - 1);
  return body ? `${body}.` : '';
}

function cutAtWord(text: string, limit: number): string {
  const space = text.slice(0, limit + 1).lastIndexOf(' ');
  let cut = space > 0 ? text.slice(0, space) : text.slice(0, limit);
  for (let previous = ''; previous !== cut; ) {
    previous = cut;
    cut = cut.replace(/[\s,;:\-–—(]+$/, '').replace(DANGLING_WORDS, '');
  }
  return cut;
}

/**
 * The prose around an image, for the prompt: its paragraph (image syntax removed), the paragraph
 * before when the image stands alone, and the nearest heading above. At most `maxChars`.
 */
export function surroundingContext(text: string, image: Pick<ImageOccurrence, 'start' | 'end'>, maxChars = 600): string {
  const lines = text.split(/\r\n|\r|\n/);
  let first = image.start.line - 1;
  let last = image.end.line - 1;
  // A paragraph ends at a blank line; HTML and JSX rarely have those, so look at most 5 lines away.
  for (let n = 0; n < 5 && first > 0 && lines[first - 1].trim() !== ''; n++) first--;
  for (let n = 0; n < 5 && last < lines.length - 1 && lines[last + 1].trim() !== ''; n++) last++;
  const parts = [proseOf(lines.slice(first, last + 1))];

  // An image alone (or with a few words) is explained by the paragraph before it.
  if (parts[0].length < 20) {
    let end = first - 1;
    while (end >= 0 && lines[end].trim() === '') end--;
    let start = end;
    for (let n = 0; n < 5 && start > 0 && lines[start - 1].trim() !== ''; n++) start--;
    if (end >= 0 && !isHeading(lines[end])) parts.unshift(proseOf(lines.slice(start, end + 1)));
  }
  for (let i = image.start.line - 2; i >= 0; i--) {
    const heading = headingText(lines[i]);
    if (heading) {
      parts.unshift(`Section: ${heading}`);
      break;
    }
  }
  const context = parts.filter(Boolean).join('\n');
  return context.length <= maxChars ? context : `${cutAtWord(context, maxChars - 1)}…`;
}

function isHeading(line: string): boolean {
  return headingText(line) !== undefined;
}

function headingText(line: string): string | undefined {
  const markdown = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
  if (markdown) return proseOf([markdown[1]]);
  const html = /<h[1-6][^>]*>(.*?)<\/h[1-6]>/i.exec(line);
  return html ? proseOf([html[1]]) || undefined : undefined;
}

function proseOf(lines: string[]): string {
  return lines
    .map((line) => line.replace(/^\s*(?:>\s*)*(?:[-*+]\s+|\d{1,9}[.)]\s+)?/, ''))
    .join(' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1>|<!--[\s\S]*?-->|\{\/\*[\s\S]*?\*\/\}/gi, '')
    // The lines around the image may start or end inside a script or style element.
    .replace(/^[\s\S]*?<\/(script|style)>|<(script|style)\b[\s\S]*$/gi, '')
    .replace(/!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])?/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>|<[^>]*$/g, '')
    .replace(/[*_`]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
