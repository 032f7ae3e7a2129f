import { decodeHTMLStrict } from 'entities';
import type * as TypeScript from 'typescript';
import type { JsxFlavour } from '../protocol/documentKinds';
import type { ImageOccurrence } from './findings';
import { occurrenceFromElement, type ElementAttribute } from './imageElements';
import { LineIndex } from './sourcePositions';

let typescript: typeof TypeScript | undefined;
/**
 * The TypeScript compiler is large; loading it only when a JSX file is scanned keeps extension
 * activation and Markdown-only scans fast.
 */
function loadTypeScript(): typeof TypeScript {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load of a 9 MB module, on purpose
  typescript ??= require('typescript') as typeof TypeScript;
  return typescript;
}

/** Elements whose alt we check: the HTML element and Next.js's `<Image>` component. */
const IMAGE_TAGS = new Set(['img', 'Image']);
const MAY_CONTAIN_IMAGE = /<\s*(img|Image)\b/;

/** `<img>` and `<Image>` elements parsed with the TypeScript compiler. */
export function scanJsx(text: string, file: string, flavour: JsxFlavour): ImageOccurrence[] {
  if (!MAY_CONTAIN_IMAGE.test(text)) return [];
  const ts = loadTypeScript();
  const scriptKind = flavour === 'jsx' ? ts.ScriptKind.JSX : ts.ScriptKind.TSX;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind);
  const index = new LineIndex(text);
  const occurrences: ImageOccurrence[] = [];

  const visit = (node: TypeScript.Node): void => {
    if ((ts.isJsxSelfClosingElement(node) || ts.isJsxOpeningElement(node)) && IMAGE_TAGS.has(node.tagName.getText(source))) {
      const element = {
        tagStart: node.getStart(source),
        tagEnd: node.getEnd(),
        insertAt: node.tagName.getEnd(),
        attributes: node.attributes.properties.map((property) => jsxAttribute(ts, property, source, text)),
      };
      occurrences.push(occurrenceFromElement(element, { index, file, documentKind: 'jsx', syntax: 'jsx' }));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return occurrences;
}

function jsxAttribute(ts: typeof TypeScript, property: TypeScript.JsxAttributeLike, source: TypeScript.SourceFile, text: string): ElementAttribute {
  const start = property.getStart(source);
  const end = property.getEnd();
  if (ts.isJsxSpreadAttribute(property)) {
    return { name: null, value: { kind: 'dynamic', source: property.expression.getText(source) }, start, end };
  }
  const name = property.name.getText(source);
  const initializer = property.initializer;
  // `<img alt />` is `alt={true}`.
  if (!initializer) return { name, value: { kind: 'text', text: 'true' }, start, end };
  if (ts.isStringLiteral(initializer)) {
    // JSX attribute strings have no backslash escapes; HTML character references are decoded.
    const valueStart = initializer.getStart(source) + 1;
    const valueEnd = initializer.getEnd() - 1;
    return { name, value: { kind: 'text', text: decodeHTMLStrict(text.slice(valueStart, valueEnd)) }, start, end, valueStart, valueEnd };
  }
  const expression = ts.isJsxExpression(initializer) ? initializer.expression : undefined;
  const literal = expression && literalText(ts, expression);
  if (literal !== undefined) return { name, value: { kind: 'text', text: literal }, start, end };
  return { name, value: { kind: 'dynamic', source: expression?.getText(source) ?? initializer.getText(source) }, start, end };
}

/** `{"text"}`, `{`text`}`, `{true}`: constant values written as expressions. */
function literalText(ts: typeof TypeScript, expression: TypeScript.Expression): string | undefined {
  if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) return expression.text;
  if (expression.kind === ts.SyntaxKind.TrueKeyword) return 'true';
  if (expression.kind === ts.SyntaxKind.FalseKeyword) return 'false';
  return undefined;
}
