/**
 * Writing alt text (and descriptions) into each syntax so a parser reads back exactly that text.
 * Alt text comes from a model, so it is untrusted: nothing in it may end the attribute, close the
 * label, or start markup. The `unescape…` functions read values back with the same real parsers
 * the scanners use, which is what the round-trip tests check against.
 */
import { scanHtml } from './htmlScanner';
import { scanJsx } from './jsxScanner';
import { scanMarkdown } from './markdownScanner';

const LINE_BREAKS = /\r\n|\r|\n/g;
const CHARACTER_REFERENCE = /^&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/;

/**
 * Alt text for a Markdown (or MDX) label `![…]`. Line breaks become spaces: a label may not hold
 * a blank line and a line break in alt text has no meaning. Brackets, backslashes and everything
 * that could start inline markup (emphasis, code, HTML/JSX, MDX expressions, table pipes) is
 * backslash-escaped; `&` only where it would start a character reference.
 */
export function escapeMarkdownAlt(text: string): string {
  return text.replace(LINE_BREAKS, ' ').replace(/[\\[\]*_`<>~{}|]|&/g, (char, offset: number, whole: string) => {
    if (char === '&') return CHARACTER_REFERENCE.test(whole.slice(offset)) ? '\\&' : '&';
    return `\\${char}`;
  });
}

/** The alt text a Markdown parser reads from label source `source` (as in `![source](x)`). */
export function unescapeMarkdownAlt(source: string, options: { mdx?: boolean } = {}): string {
  const [image] = scanMarkdown(`![${source}](x.png)`, 'round-trip.md', { mdx: options.mdx ?? false });
  if (!image || image.altState !== 'text') throw new Error(`not a Markdown image label: ${source}`);
  return image.alt ?? '';
}

/** A double-quoted HTML attribute value, quotes included. */
export function htmlAttributeValue(text: string): string {
  return `"${text.replace(/[&"<>\r\n]/g, (char) => HTML_ATTRIBUTE_ESCAPES[char])}"`;
}

const HTML_ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;', '\r': '&#13;', '\n': '&#10;' };

/** The value an HTML parser reads from `quoted` (as in `<img alt=quoted>`). */
export function unescapeHtmlAttributeValue(quoted: string): string {
  const [image] = scanHtml(`<img alt=${quoted}>`, 'round-trip.html');
  if (!image || image.alt === undefined) throw new Error(`not an HTML attribute value: ${quoted}`);
  return image.alt;
}

/**
 * A JSX string attribute value, quotes included. JSX strings have no backslash escapes but decode
 * HTML character references (TypeScript, Babel and MDX all do), so quotes, `&`, angle brackets,
 * braces and line breaks are written as references.
 */
export function jsxAttributeValue(text: string): string {
  return `"${text.replace(/[&"<>{}\r\n]/g, (char) => JSX_ATTRIBUTE_ESCAPES[char])}"`;
}

const JSX_ATTRIBUTE_ESCAPES: Record<string, string> = {
  ...HTML_ATTRIBUTE_ESCAPES,
  '{': '&#123;',
  '}': '&#125;',
};

/** The value the TSX parser reads from `quoted` (as in `<img alt=quoted />`). */
export function unescapeJsxAttributeValue(quoted: string): string {
  const [image] = scanJsx(`const element = <img alt=${quoted} />;`, 'round-trip.tsx', 'tsx');
  if (!image || image.alt === undefined) throw new Error(`not a JSX attribute value: ${quoted}`);
  return image.alt;
}

/**
 * Model-written prose placed in a Markdown/MDX block: Markdown formatting is kept, but raw HTML,
 * JSX and MDX expressions are neutralised so the text cannot close the surrounding block.
 */
export function escapeMarkdownProse(text: string): string {
  return text.replace(/(\\*)([<>{}]|&)/g, (match, slashes: string, char: string, offset: number, whole: string) => {
    if (char === '&' && !CHARACTER_REFERENCE.test(whole.slice(offset + slashes.length))) return match;
    // Backslashes already before it are doubled (each stays a backslash): one of the text's own
    // could otherwise escape the escape and leave the character live ("\\<img…>").
    return `${slashes}${slashes}\\${char}`;
  });
}

/** Text content for an HTML element. */
export function escapeHtmlText(text: string): string {
  return text.replace(/[&<>]/g, (char) => HTML_ATTRIBUTE_ESCAPES[char]);
}
