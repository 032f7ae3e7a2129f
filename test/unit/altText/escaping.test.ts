import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ts from 'typescript';
import {
  escapeHtmlText,
  escapeMarkdownAlt,
  escapeMarkdownProse,
  htmlAttributeValue,
  jsxAttributeValue,
  unescapeHtmlAttributeValue,
  unescapeJsxAttributeValue,
  unescapeMarkdownAlt,
} from '../../../src/altText/altEscaping';
import { scanImages } from '../../../src/altText/scanDocument';

const SAMPLES = [
  'A plain sentence.',
  'Brackets ] and [ in [nested] text',
  'Back\\slash, trailing \\',
  'Escaped \\] bracket and \\\\ double',
  'Quote " and \'single\' quotes',
  'Fish & chips, &amp; literally, &#123; and &copy;',
  'Less < than, <b>tag</b>, <!-- comment -->',
  'Braces {expression} and } alone {',
  '*stars*, _underscores_, `code`, ~~strike~~, a | pipe',
  '![nested](image.png) and [link](url)',
  'Unicode: Größe, 日本語, 😀',
  'Line one\nline two\r\nline three',
];

/** What TypeScript's own JSX emit makes of an attribute value: the ground truth for JSX. */
function emittedJsxAlt(quoted: string): string {
  const output = ts.transpileModule(`exports.props = <img alt=${quoted} />;`, {
    compilerOptions: { jsx: ts.JsxEmit.React, module: ts.ModuleKind.CommonJS },
    fileName: 'probe.tsx',
  }).outputText;
  const exports: { props?: { alt: string } } = {};
  new Function('React', 'exports', output)({ createElement: (_tag: string, props: { alt: string }) => props }, exports);
  return exports.props!.alt;
}

describe('Markdown alt escaping', () => {
  for (const sample of SAMPLES) {
    it(`round-trips ${JSON.stringify(sample)} through Markdown and MDX parsers`, () => {
      const expected = sample.replace(/\r\n|\r|\n/g, ' ');
      const escaped = escapeMarkdownAlt(sample);
      assert.doesNotMatch(escaped, /[\r\n]/);
      assert.equal(unescapeMarkdownAlt(escaped), expected);
      assert.equal(unescapeMarkdownAlt(escaped, { mdx: true }), expected);
    });
  }

  it('leaves the image around it intact: one image, same destination', () => {
    const text = `![${escapeMarkdownAlt('a](evil.png) [b')}](real.png)`;
    const images = scanImages(text, 'x.md', { kind: 'markdown' });
    assert.equal(images.length, 1);
    assert.equal(images[0].src, 'real.png');
    assert.equal(images[0].alt, 'a](evil.png) [b');
  });

  it('keeps ordinary text readable', () => {
    assert.equal(escapeMarkdownAlt('Sales rose 20% in Q3 & Q4.'), 'Sales rose 20% in Q3 & Q4.');
  });
});

describe('HTML attribute escaping', () => {
  for (const sample of SAMPLES) {
    it(`round-trips ${JSON.stringify(sample)} through parse5`, () => {
      assert.equal(unescapeHtmlAttributeValue(htmlAttributeValue(sample)), sample);
    });
  }

  it('cannot end the attribute or the tag', () => {
    const text = `<img alt=${htmlAttributeValue('x" onerror="alert(1)')} src="a.png">`;
    const [image] = scanImages(text, 'x.html', { kind: 'html' });
    assert.equal(image.alt, 'x" onerror="alert(1)');
    assert.doesNotMatch(text, /onerror="/);
  });
});

describe('JSX attribute escaping', () => {
  for (const sample of SAMPLES) {
    it(`round-trips ${JSON.stringify(sample)} through Loupe's reader, TypeScript's emit and MDX`, () => {
      const quoted = jsxAttributeValue(sample);
      assert.equal(unescapeJsxAttributeValue(quoted), sample);
      assert.equal(emittedJsxAlt(quoted), sample);
      const [mdxImage] = scanImages(`<img src="a.png" alt=${quoted} />\n`, 'x.mdx', { kind: 'mdx' });
      assert.equal(mdxImage.alt, sample);
    });
  }
});

describe('prose escaping', () => {
  it('neutralises HTML, JSX and expressions but keeps Markdown formatting', () => {
    assert.equal(escapeMarkdownProse('**Boxes**: </details> {x} &amp; A&B'), '**Boxes**: \\</details\\> \\{x\\} \\&amp; A&B');
    // Backslashes of the text's own before a special character stay backslashes, and it stays literal.
    assert.equal(escapeMarkdownProse('\\<img src=//t.example/p>'), '\\\\\\<img src=//t.example/p\\>');
    assert.equal(escapeMarkdownProse(escapeMarkdownProse('<b>')), '\\\\\\<b\\\\\\>', 'escaping twice leaves no tag live');
    assert.equal(escapeHtmlText('a < b & c > d'), 'a &lt; b &amp; c &gt; d');
  });
});
