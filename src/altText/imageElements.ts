import type { DescribeAnchor, DocumentKind, ImageOccurrence } from './findings';
import type { LineIndex } from './sourcePositions';

/**
 * The parser-neutral shape of an `<img>`/`<Image>` element, which the HTML, JSX and MDX scanners
 * each build from their own parser's nodes; one function then applies the attribute rules.
 */
export interface ElementAttribute {
  /** Lower-cased for HTML; `null` for a JSX spread (`{...props}`). */
  name: string | null;
  /** `text`: a known value (HTML entities decoded). `dynamic`: an expression, its source without braces. */
  value: { kind: 'text'; text: string } | { kind: 'dynamic'; source: string };
  start: number;
  end: number;
  /** The text between the quotes, when the value is a quoted string. */
  valueStart?: number;
  valueEnd?: number;
}

export interface ImageElement {
  tagStart: number;
  tagEnd: number;
  /** Right after the tag name: where a missing attribute is inserted. */
  insertAt: number;
  attributes: ElementAttribute[];
}

export interface ElementContext {
  index: LineIndex;
  file: string;
  documentKind: DocumentKind;
  syntax: 'html' | 'jsx';
  describe?: DescribeAnchor;
}

const HIDING_ROLES = new Set(['presentation', 'none']);

export function occurrenceFromElement(element: ImageElement, context: ElementContext): ImageOccurrence {
  const { index, syntax } = context;
  const attributes = element.attributes;
  // Later attributes win in JSX (and parse5 already dropped HTML duplicates), so take the last.
  const altIndex = findLastIndex(attributes, (attribute) => attribute.name === 'alt');
  const alt = altIndex >= 0 ? attributes[altIndex] : undefined;
  // A spread may supply or override alt: with one after the alt (or no alt at all) the value is unknown.
  const spreadAfterAlt = attributes.some((attribute, i) => attribute.name === null && i > altIndex);

  let altState: ImageOccurrence['altState'];
  if (spreadAfterAlt || alt?.value.kind === 'dynamic') altState = 'dynamic';
  else altState = alt ? 'text' : 'absent';

  const src = attributeByName(attributes, 'src');
  return {
    file: context.file,
    syntax,
    documentKind: context.documentKind,
    start: index.point(element.tagStart),
    end: index.point(element.tagEnd),
    src: src ? valueAsWritten(src) : '',
    altState,
    alt: altState === 'text' && alt?.value.kind === 'text' ? alt.value.text : undefined,
    hidden: isHidden(attributes),
    altTarget: alt
      ? {
          type: 'attribute',
          dialect: syntax,
          attribute: index.span(alt.start, alt.end),
          value: alt.valueStart !== undefined && alt.valueEnd !== undefined ? index.span(alt.valueStart, alt.valueEnd) : undefined,
        }
      : { type: 'insertion', dialect: syntax, at: index.point(element.insertAt) },
    describe: context.describe,
  };
}

function isHidden(attributes: ElementAttribute[]): boolean {
  const role = textOf(attributeByName(attributes, 'role'));
  if (role !== undefined && HIDING_ROLES.has(role.trim().split(/\s+/)[0].toLowerCase())) return true;
  const ariaHidden = textOf(attributeByName(attributes, 'aria-hidden'));
  return ariaHidden?.trim().toLowerCase() === 'true';
}

function attributeByName(attributes: ElementAttribute[], name: string): ElementAttribute | undefined {
  const i = findLastIndex(attributes, (attribute) => attribute.name === name);
  return i >= 0 ? attributes[i] : undefined;
}

function textOf(attribute: ElementAttribute | undefined): string | undefined {
  return attribute?.value.kind === 'text' ? attribute.value.text : undefined;
}

function valueAsWritten(attribute: ElementAttribute): string {
  return attribute.value.kind === 'text' ? attribute.value.text : `{${attribute.value.source}}`;
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i])) return i;
  return -1;
}
