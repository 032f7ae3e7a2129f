import { parse, parseFragment, type DefaultTreeAdapterTypes, type Token } from 'parse5';
import type { DescribeAnchor, DocumentKind, ImageOccurrence } from './findings';
import { occurrenceFromElement, type ElementAttribute, type ImageElement } from './imageElements';
import { LineIndex } from './sourcePositions';

type Element = DefaultTreeAdapterTypes.Element;
type ParentNode = DefaultTreeAdapterTypes.ParentNode;

/**
 * `<img>` elements found with parse5 (the HTML spec's tokenizer and tree builder), so comments,
 * `<script>`, `<textarea>` and attribute quoting behave as in a browser. Scripting is treated as
 * off so images inside `<noscript>` fallbacks are checked too.
 */
export function scanHtml(text: string, file: string): ImageOccurrence[] {
  const document = parse(text, { sourceCodeLocationInfo: true, scriptingEnabled: false });
  const index = new LineIndex(text);
  const occurrences: ImageOccurrence[] = [];
  for (const img of imgElements(document)) {
    const element = imageElement(img, text, (offset) => offset);
    if (!element) continue;
    occurrences.push(
      occurrenceFromElement(element, { index, file, documentKind: 'html', syntax: 'html', describe: paragraphAnchor(img, element, text, index) }),
    );
  }
  return occurrences;
}

export interface EmbeddedHtml {
  /** The HTML as the host parser delivered it (container prefixes already removed). */
  html: string;
  /** Maps an offset in `html` to an offset in the host document. */
  toSource(offset: number): number;
  index: LineIndex;
  file: string;
  documentKind: DocumentKind;
  describe?: DescribeAnchor;
}

/** `<img>` elements in a piece of HTML embedded in another document (raw HTML in Markdown). */
export function scanEmbeddedHtml(embedded: EmbeddedHtml): ImageOccurrence[] {
  if (!/<img/i.test(embedded.html)) return [];
  const fragment = parseFragment(embedded.html, { sourceCodeLocationInfo: true, scriptingEnabled: false });
  const occurrences: ImageOccurrence[] = [];
  for (const img of imgElements(fragment)) {
    const element = imageElement(img, embedded.html, embedded.toSource);
    if (!element) continue;
    occurrences.push(
      occurrenceFromElement(element, {
        index: embedded.index,
        file: embedded.file,
        documentKind: embedded.documentKind,
        syntax: 'html',
        describe: embedded.describe,
      }),
    );
  }
  return occurrences;
}

/**
 * `<img>` elements in document order, template contents included. A loop rather than recursion:
 * elements can nest thousands deep, and a recursive generator pays the depth for every image.
 */
function imgElements(root: ParentNode): Element[] {
  const images: Element[] = [];
  const pending: ParentNode[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if ('tagName' in node && node.tagName === 'img' && node.namespaceURI === 'http://www.w3.org/1999/xhtml') images.push(node);
    const children: ParentNode[] = node.childNodes.filter((child): child is Element => 'tagName' in child);
    if ('tagName' in node && node.tagName === 'template') children.push((node as DefaultTreeAdapterTypes.Template).content);
    // Reversed onto the stack, so the first child comes next: document order.
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
  }
  return images;
}

/** Converts a parse5 element to offsets in the host document (through `toSource`). */
function imageElement(img: Element, html: string, toSource: (offset: number) => number): ImageElement | undefined {
  const location = img.sourceCodeLocation;
  const startTag = location?.startTag ?? location;
  if (!location || !startTag) return undefined;
  const attributes: ElementAttribute[] = [];
  for (const { name, value } of img.attrs) {
    const span = location.attrs?.[name];
    if (!span) continue;
    const valueSpan = quotedValueSpan(html, span);
    attributes.push({
      name,
      value: { kind: 'text', text: value },
      start: toSource(span.startOffset),
      end: toSource(span.endOffset),
      valueStart: valueSpan && toSource(valueSpan.start),
      valueEnd: valueSpan && toSource(valueSpan.end),
    });
  }
  return {
    tagStart: toSource(startTag.startOffset),
    tagEnd: toSource(startTag.endOffset),
    insertAt: toSource(startTag.startOffset + '<img'.length),
    attributes,
  };
}

/** The value of `name=value`, `name="value"` or `name='value'` (without quotes); none for a bare `name`. */
function quotedValueSpan(html: string, span: Token.Location): { start: number; end: number } | undefined {
  const source = html.slice(span.startOffset, span.endOffset);
  const equals = source.indexOf('=');
  if (equals < 0) return undefined;
  let start = equals + 1;
  while (/\s/.test(source[start] ?? '')) start++;
  let end = source.length;
  if (source[start] === '"' || source[start] === "'") {
    start++;
    end--;
  }
  return { start: span.startOffset + start, end: span.startOffset + end };
}

/** Inline parents a block-level `<p>` must not be put inside: the description goes after them. */
const INLINE_PARENTS = new Set([
  'p', 'a', 'span', 'picture', 'em', 'strong', 'b', 'i', 'u', 's', 'small', 'mark', 'label', 'sup', 'sub', 'abbr', 'cite', 'q', 'code', 'button',
]);

function paragraphAnchor(img: Element, element: ImageElement, text: string, index: LineIndex): DescribeAnchor {
  let anchor: Element = img;
  while (anchor.parentNode && 'tagName' in anchor.parentNode && INLINE_PARENTS.has(anchor.parentNode.tagName)) {
    anchor = anchor.parentNode;
  }
  const location = anchor.sourceCodeLocation;
  const after = location?.endTag?.endOffset ?? location?.endOffset ?? element.tagEnd;
  const anchorStart = location?.startOffset ?? element.tagStart;
  const lineStart = index.lineStart(index.point(anchorStart).line);
  const indent = /^[ \t]*/.exec(text.slice(lineStart, anchorStart))?.[0] ?? '';
  const describedBy = img.attrs.find((attribute) => attribute.name === 'aria-describedby');
  const describedBySpan = describedBy && img.sourceCodeLocation?.attrs?.['aria-describedby'];
  return {
    type: 'html-paragraph',
    after,
    indent: indent === text.slice(lineStart, anchorStart) ? indent : '',
    describedBy:
      describedBy && describedBySpan
        ? { type: 'attribute', start: describedBySpan.startOffset, end: describedBySpan.endOffset, existing: describedBy.value }
        : { type: 'insertion', at: element.insertAt },
  };
}
