import type { Definition, Html, Image, ImageReference, Nodes, Parents, Root } from 'mdast';
import { fromMarkdown, type CompileContext, type Extension } from 'mdast-util-from-markdown';
import { mdxFromMarkdown, type MdxJsxAttributeValueExpression, type MdxJsxFlowElement, type MdxJsxTextElement } from 'mdast-util-mdx';
import { mdxjs } from 'micromark-extension-mdxjs';
import { DocumentParseError } from './documentErrors';
import type { DescribeAnchor, DocumentKind, ImageOccurrence } from './findings';
import { scanEmbeddedHtml } from './htmlScanner';
import { occurrenceFromElement, type ElementAttribute, type ImageElement } from './imageElements';
// Makes micromark's list parsing linear before any document is parsed.
import './linearEditMap';
import { LineIndex } from './sourcePositions';

/**
 * Images in Markdown and MDX, parsed with micromark/mdast (CommonMark-exact, with source offsets
 * for every node). Code blocks, code spans and HTML comments need no special casing: the parser
 * never produces image nodes inside them. Raw HTML is handed to parse5; MDX JSX `<img>`/`<Image>`
 * elements come from the MDX parser with their attributes.
 */
export function scanMarkdown(text: string, file: string, options: { mdx: boolean }): ImageOccurrence[] {
  const scanner = new MarkdownImageScanner(text, file, options.mdx ? 'mdx' : 'markdown');
  return scanner.scan();
}

/** micromark skips a byte order mark and counts offsets after it. */
function bomLength(text: string): number {
  return text.charCodeAt(0) === 0xfeff ? 1 : 0;
}

const labelRanges = new WeakMap<object, { start: number; end: number }>();

/**
 * mdast keeps an image's alt as plain text but not where its label is written; this records the
 * label's source range (between `![` and `]`) so edits can replace exactly that text.
 */
const recordLabelRanges: Extension = {
  enter: {
    labelText(this: CompileContext, token) {
      // `label` pushed a fragment; the image or link that owns the label is just below it.
      const owner = this.stack[this.stack.length - 2];
      if (owner) labelRanges.set(owner, { start: token.start.offset, end: token.end.offset });
    },
  },
};

const IMAGE_TAGS = new Set(['img', 'Image']);
const LEAF_BLOCKS = new Set(['paragraph', 'heading', 'table']);
const FLOW_PARENTS = new Set(['root', 'blockquote', 'listItem', 'mdxJsxFlowElement']);

class MarkdownImageScanner {
  private readonly index: LineIndex;
  private readonly base: number;
  private readonly definitions = new Map<string, Definition>();
  private readonly occurrences: ImageOccurrence[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly documentKind: Extract<DocumentKind, 'markdown' | 'mdx'>,
  ) {
    this.index = new LineIndex(text);
    this.base = bomLength(text);
  }

  scan(): ImageOccurrence[] {
    const tree = this.parse();
    // Definitions first: a reference may come before the definition it uses.
    walk(tree, (node) => this.collectDefinition(node));
    walk(tree, (node, ancestors) => this.visit(node, ancestors));
    return this.occurrences.sort((a, b) => a.start.offset - b.start.offset);
  }

  private parse() {
    if (this.documentKind === 'markdown') return fromMarkdown(this.text, { mdastExtensions: [recordLabelRanges] });
    try {
      return fromMarkdown(this.text, { extensions: [mdxjs()], mdastExtensions: [mdxFromMarkdown(), recordLabelRanges] });
    } catch (error) {
      const message = error as { reason?: string; message: string; line?: number; column?: number };
      throw new DocumentParseError(this.file, message.line ?? 1, message.column ?? 1, `invalid MDX: ${message.reason ?? message.message}`);
    }
  }

  private collectDefinition(node: Nodes): void {
    // CommonMark: the first definition of a label wins (walk is in document order).
    if (node.type === 'definition' && !this.definitions.has(node.identifier)) this.definitions.set(node.identifier, node);
  }

  private visit(node: Nodes, ancestors: readonly Parents[]): void {
    switch (node.type) {
      case 'image':
      case 'imageReference':
        this.addMarkdownImage(node, ancestors);
        break;
      case 'html':
        this.addEmbeddedHtml(node, ancestors);
        break;
      case 'mdxJsxFlowElement':
      case 'mdxJsxTextElement':
        if (node.name && IMAGE_TAGS.has(node.name)) this.addMdxElement(node, ancestors);
        break;
    }
  }

  private offset(point: { offset?: number } | undefined): number {
    return (point?.offset ?? 0) + this.base;
  }

  private addMarkdownImage(node: Image | ImageReference, ancestors: readonly Parents[]): void {
    const label = labelRanges.get(node);
    const start = this.offset(node.position?.start);
    const labelStart = label ? label.start + this.base : start + 2;
    const labelEnd = label ? label.end + this.base : labelStart;
    const reference = node.type === 'imageReference' ? this.definitions.get(node.identifier) : undefined;
    const keepsLabel = node.type === 'imageReference' && node.referenceType !== 'full';
    this.occurrences.push({
      file: this.file,
      syntax: 'markdown',
      documentKind: this.documentKind,
      start: this.index.point(start),
      end: this.index.point(this.offset(node.position?.end)),
      src: node.type === 'image' ? node.url : (reference?.url ?? ''),
      title: (node.type === 'image' ? node.title : reference?.title) ?? undefined,
      altState: 'text',
      alt: node.alt ?? '',
      hidden: false,
      altTarget: {
        type: 'markdown-label',
        value: this.index.span(labelStart, labelEnd),
        referenceLabel: keepsLabel ? this.text.slice(labelStart, labelEnd) : undefined,
      },
      describe: this.blockAnchor(node, ancestors),
    });
  }

  private addEmbeddedHtml(node: Html, ancestors: readonly Parents[]): void {
    const start = this.offset(node.position?.start);
    const end = this.offset(node.position?.end);
    this.occurrences.push(
      ...scanEmbeddedHtml({
        html: node.value,
        toSource: embeddedOffsetMap(node.value, start, end, this.index),
        index: this.index,
        file: this.file,
        documentKind: this.documentKind,
        describe: this.blockAnchor(node, ancestors),
      }),
    );
  }

  private addMdxElement(node: MdxJsxFlowElement | MdxJsxTextElement, ancestors: readonly Parents[]): void {
    const element = this.mdxImageElement(node);
    this.occurrences.push(
      occurrenceFromElement(element, {
        index: this.index,
        file: this.file,
        documentKind: this.documentKind,
        syntax: 'jsx',
        describe: this.blockAnchor(node, ancestors),
      }),
    );
  }

  private mdxImageElement(node: MdxJsxFlowElement | MdxJsxTextElement): ImageElement {
    const tagStart = this.offset(node.position?.start);
    const nameEnd = this.text.indexOf(node.name ?? '', tagStart + 1) + (node.name ?? '').length;
    const attributes = node.attributes.map((attribute): ElementAttribute => {
      const start = this.offset(attribute.position?.start);
      const end = this.offset(attribute.position?.end);
      if (attribute.type === 'mdxJsxExpressionAttribute') return { name: null, value: { kind: 'dynamic', source: attribute.value }, start, end };
      const value = attribute.value;
      if (value === null || value === undefined) return { name: attribute.name, value: { kind: 'text', text: 'true' }, start, end };
      if (typeof value === 'string') {
        const quoted = quotedValueSpan(this.text, start, end);
        return { name: attribute.name, value: { kind: 'text', text: value }, start, end, valueStart: quoted.start, valueEnd: quoted.end };
      }
      const literal = constantExpressionText(value.data?.estree);
      if (literal !== undefined) return { name: attribute.name, value: { kind: 'text', text: literal }, start, end };
      return { name: attribute.name, value: { kind: 'dynamic', source: value.value }, start, end };
    });
    // The opening tag ends at the first `>` after its last attribute (values cannot hide one there).
    const lastAttributeEnd = attributes.length ? attributes[attributes.length - 1].end : nameEnd;
    const tagEnd = this.text.indexOf('>', lastAttributeEnd) + 1 || this.offset(node.position?.end);
    return { tagStart, tagEnd, insertAt: nameEnd, attributes };
  }

  /** The block a "Describe diagram" `<details>` goes after, and the prefix its lines need there. */
  private blockAnchor(node: Nodes, ancestors: readonly Parents[]): DescribeAnchor | undefined {
    // From the node outwards; the block is near, so deep nesting costs nothing here.
    let block: Nodes | undefined;
    for (let i = ancestors.length; i >= 0 && !block; i--) {
      const candidate = i === ancestors.length ? node : ancestors[i];
      const parent = ancestors[i - 1] as Parents | undefined;
      const isFlowBlock = (candidate.type === 'html' || candidate.type === 'mdxJsxFlowElement') && parent !== undefined && FLOW_PARENTS.has(parent.type);
      if (LEAF_BLOCKS.has(candidate.type) || isFlowBlock) block = candidate;
    }
    if (!block?.position) return undefined;
    const blockStart = this.offset(block.position.start);
    const lineStart = this.index.lineStart(this.index.point(blockStart).line);
    // List markers become spaces (continuation indent); blockquote markers stay.
    const linePrefix = this.text.slice(lineStart, blockStart).replace(/[-+*]|\d{1,9}[.)]/g, (marker) => ' '.repeat(marker.length));
    return { type: 'markdown-block', after: this.offset(block.position.end), linePrefix };
  }
}

/**
 * Every node in document order, with the path from the root to its parent. A loop rather than
 * recursion: lists and quotes can nest thousands deep, and the path is shared, not copied.
 */
function walk(tree: Root, visit: (node: Nodes, ancestors: readonly Parents[]) => void): void {
  const ancestors: Parents[] = [];
  const nextChild: number[] = [];
  visit(tree, ancestors);
  ancestors.push(tree);
  nextChild.push(0);
  while (ancestors.length > 0) {
    const parent = ancestors[ancestors.length - 1];
    const child = parent.children[nextChild[nextChild.length - 1]++];
    if (!child) {
      ancestors.pop();
      nextChild.pop();
      continue;
    }
    visit(child, ancestors);
    if ('children' in child) {
      ancestors.push(child);
      nextChild.push(0);
    }
  }
}

type ExpressionProgram = NonNullable<MdxJsxAttributeValueExpression['data']>['estree'];

/** `{"text"}`, `{'text'}`, `{`text`}`, `{true}` in MDX: constants, so their value is known. */
function constantExpressionText(program: ExpressionProgram): string | undefined {
  const statement = program?.body.length === 1 ? program.body[0] : undefined;
  const expression = statement?.type === 'ExpressionStatement' ? statement.expression : undefined;
  if (expression?.type === 'Literal' && (typeof expression.value === 'string' || typeof expression.value === 'boolean')) return String(expression.value);
  if (expression?.type === 'TemplateLiteral' && expression.expressions.length === 0) return expression.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

function quotedValueSpan(text: string, start: number, end: number): { start: number; end: number } {
  const equals = text.indexOf('=', start);
  let valueStart = equals + 1;
  while (/\s/.test(text[valueStart] ?? '')) valueStart++;
  return { start: valueStart + 1, end: end - 1 };
}

/**
 * mdast gives raw HTML with container prefixes (`> `, list indentation) removed from every line
 * after the first, so each such line is a suffix of its source line. This maps offsets in the
 * value back to the document: line 0 from the node's start, later lines from their line end.
 */
export function embeddedOffsetMap(value: string, start: number, end: number, index: LineIndex): (offset: number) => number {
  const firstLine = index.point(start).line;
  const lines: Array<{ valueStart: number; sourceStart: number }> = [];
  const breaks = /\r\n|\r|\n/g;
  let lineStart = 0;
  for (let i = 0; ; i++) {
    const lineBreak = breaks.exec(value);
    const length = (lineBreak ? lineBreak.index : value.length) - lineStart;
    let sourceStart = start;
    if (i > 0) {
      const segmentEnd = lineBreak ? index.lineEnd(firstLine + i) : end;
      sourceStart = segmentEnd - length;
      const expected = value.slice(lineStart, lineStart + length);
      if (index.text.slice(sourceStart, segmentEnd) !== expected) {
        // Not a plain suffix (a tab split by container indentation): find the text on its line.
        const sourceLineStart = index.lineStart(firstLine + i);
        const found = index.text.slice(sourceLineStart, segmentEnd).indexOf(expected);
        if (found >= 0) sourceStart = sourceLineStart + found;
      }
    }
    lines.push({ valueStart: lineStart, sourceStart });
    if (!lineBreak) break;
    lineStart = lineBreak.index + lineBreak[0].length;
  }
  return (offset) => {
    // The last line starting at or before the offset (binary search: a block can be long).
    let low = 0;
    let high = lines.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lines[middle].valueStart <= offset) low = middle;
      else high = middle - 1;
    }
    return lines[low].sourceStart + (offset - lines[low].valueStart);
  };
}
