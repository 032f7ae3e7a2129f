import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import { parse as parseHtml } from 'parse5';
import { imageAt, imagePathOfSrc, imagesIn } from '../../../src/altText/imageReferences';
import { altTextInsertion, formatAsComment, hasCommentSyntax, toMarkdownTable, type TextEdit } from '../../../src/features/insertionText';

const apply = (text: string, edit: TextEdit) => text.slice(0, edit.start) + edit.newText + text.slice(edit.end);
const markdown = new MarkdownIt();

/** The alt text a Markdown renderer actually produces for the first image. */
function renderedMarkdownAlt(source: string): string | undefined {
  const html = markdown.render(source);
  const img = findElement(parseHtml(html), 'img');
  return img?.attrs.find((a) => a.name === 'alt')?.value;
}

interface Element {
  nodeName: string;
  attrs: { name: string; value: string }[];
  childNodes?: Element[];
}
function findElement(node: unknown, name: string): Element | undefined {
  const element = node as Element;
  if (element.nodeName === name) return element;
  for (const child of element.childNodes ?? []) {
    const found = findElement(child, name);
    if (found) return found;
  }
  return undefined;
}

describe('formatAsComment', () => {
  it('uses line comments where the language has them, keeping indentation and blank lines', () => {
    assert.equal(formatAsComment('A login form.\n\nIt has two fields.', 'typescript', '  '), '  // A login form.\n  //\n  // It has two fields.');
    assert.equal(formatAsComment('x', 'python'), '# x');
    assert.equal(formatAsComment('x', 'sql'), '-- x');
    assert.equal(formatAsComment('x', 'rust'), '// x');
    assert.equal(formatAsComment('x', 'shellscript'), '# x');
    assert.equal(formatAsComment('x', 'yaml'), '# x');
  });

  it('uses block comments for markup and defuses a closing token inside the answer', () => {
    assert.equal(formatAsComment('a --> b', 'html'), '<!-- a - -> b -->');
    assert.equal(formatAsComment('one\ntwo */ three', 'css'), '/*\none\ntwo * / three\n*/');
    const mdx = formatAsComment('ends */ here', 'mdx')!;
    assert.equal(mdx.indexOf('*/'), mdx.length - 3, 'only the real terminator closes the MDX comment');
  });

  it('a defused HTML comment stays one comment when parsed', () => {
    const comment = formatAsComment('evil --> <script>alert(1)</script>', 'markdown')!;
    const html = markdown.render(`${comment}\n`);
    assert.doesNotMatch(html, /<script>/);
  });

  it('knows which languages have no comment syntax', () => {
    assert.equal(formatAsComment('x', 'json'), undefined);
    assert.equal(hasCommentSyntax('json'), false);
    assert.equal(hasCommentSyntax('go'), true);
  });
});

describe('toMarkdownTable', () => {
  it('takes a Markdown table out of surrounding prose and pads short rows', () => {
    const answer = 'Here is the data:\n\n| Year | Sales |\n|---|---:|\n| 2023 | 10 |\n| 2024 |\n\nSales grew.';
    assert.equal(toMarkdownTable(answer), '| Year | Sales |\n| --- | --- |\n| 2023 | 10 |\n| 2024 |  |');
  });

  it('converts comma and tab separated rows, escaping pipes', () => {
    assert.equal(toMarkdownTable('Quarter,Revenue\nQ1,1|2\nQ2,3'), '| Quarter | Revenue |\n| --- | --- |\n| Q1 | 1\\|2 |\n| Q2 | 3 |');
    assert.equal(toMarkdownTable('a\tb\n1\t2'), '| a | b |\n| --- | --- |\n| 1 | 2 |');
  });

  it('the result renders as a table with the same cells', () => {
    const table = toMarkdownTable('Name,Value\nx,1\ny,2')!;
    const html = markdown.render(table);
    assert.match(html, /<table>/);
    assert.deepEqual([...html.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]), ['x', '1', 'y', '2']);
  });

  it('returns undefined when there is no table', () => {
    assert.equal(toMarkdownTable('The chart shows growth.'), undefined);
  });
});

describe('imageAt', () => {
  it('picks the image under the cursor, else the nearest on the line', () => {
    const text = 'a ![one](1.png) b ![two](2.png)\nnext line';
    assert.equal(imageAt(text, text.indexOf('two'), 'a.md', 'markdown')?.src, '2.png');
    assert.equal(imageAt(text, 0, 'a.md', 'markdown')?.src, '1.png');
    assert.equal(imageAt(text, text.length - 1, 'a.md', 'markdown'), undefined);
  });

  it('finds <img> in HTML and JSX, and nothing in a file type without images', () => {
    const html = '<p>x <img src="a.png"></p>';
    assert.equal(imageAt(html, 8, 'a.html', 'html')?.src, 'a.png');
    const tsx = 'export const A = () => <img src={logo} />;';
    assert.equal(imageAt(tsx, tsx.indexOf('img'), 'a.tsx', 'typescriptreact')?.src, '{logo}');
    assert.equal(imageAt('![x](a.png)', 2, 'a.py', 'python'), undefined);
  });
});

describe('imagePathOfSrc', () => {
  it('follows JSX string literals, require() and default imports', () => {
    const text = "import logo from './assets/logo.png';\nimport React from 'react';";
    assert.equal(imagePathOfSrc('{logo}', text), './assets/logo.png');
    assert.equal(imagePathOfSrc("{require('../b.webp')}", text), '../b.webp');
    assert.equal(imagePathOfSrc('{"c.gif"}', text), 'c.gif');
    assert.equal(imagePathOfSrc('plain.png', text), 'plain.png');
    assert.equal(imagePathOfSrc('{props.src}', text), undefined);
    assert.equal(imagePathOfSrc('{`${base}/x.png`}', text), undefined);
  });
});

describe('altTextInsertion', () => {
  const insert = (text: string, fileName: string, languageId: string, answer: string, site = { src: imagesIn(text, fileName, languageId)[0]!.src, offset: 0 }) => {
    const result = altTextInsertion({ text, fileName, languageId }, site, answer, 125);
    return { ...result, text: apply(text, result.edit) };
  };

  it('fills empty Markdown alt text with the cleaned answer, which a renderer reads back exactly', () => {
    const { text, alt } = insert('See ![](shot.png) here.', 'a.md', 'markdown', 'This image shows a login form with [Email] and *Password* fields.\n\nMore detail.');
    assert.equal(alt, 'A login form with [Email] and Password fields.');
    assert.match(text, /\]\(shot\.png\) here\.$/);
    assert.equal(renderedMarkdownAlt(text), alt);
  });

  it('keeps the alt text within the configured length', () => {
    const long = `A dashboard ${'with many widgets '.repeat(20)}`;
    const { alt } = altTextInsertion({ text: '![](d.png)', fileName: 'a.md', languageId: 'markdown' }, { src: 'd.png', offset: 0 }, long, 60);
    assert.ok(alt.length <= 60, `${alt.length}: ${alt}`);
  });

  it('keeps collapsed and shortcut references pointing at their definition', () => {
    for (const source of ['![logo][]\n\n[logo]: ./l.png\n', '![logo]\n\n[logo]: ./l.png\n']) {
      const { text } = insert(source, 'a.md', 'markdown', 'The Loupe logo');
      assert.equal(text.split('\n')[0], '![The Loupe logo.][logo]');
      const [image] = imagesIn(text, 'a.md', 'markdown');
      assert.deepEqual([image!.src, image!.alt], ['./l.png', 'The Loupe logo.']);
    }
  });

  it('finds the image again after the document changed, nearest to where it was', () => {
    const source = 'New intro line.\n\n![](a.png)\n\n![](a.png)\n';
    const second = source.lastIndexOf('![');
    const { text } = insert(source, 'a.md', 'markdown', 'Second chart', { src: 'a.png', offset: second - 3 });
    assert.equal(text, 'New intro line.\n\n![](a.png)\n\n![Second chart.](a.png)\n');
  });

  it('says so when the image is gone or the answer has no usable alt text', () => {
    const doc = { text: '![](other.png)', fileName: 'notes.md', languageId: 'markdown' };
    assert.throws(() => altTextInsertion(doc, { src: 'a.png', offset: 0 }, 'A chart', 125), /a\.png is no longer referenced in notes\.md/);
    assert.throws(() => altTextInsertion(doc, { src: 'other.png', offset: 0 }, 'screenshot.png', 125), /no usable alt text/);
  });

  it('adds or replaces an HTML alt attribute, escaped so a parser reads it back exactly', () => {
    for (const source of ['<img src="a.png">', '<img alt="old" src="a.png">', "<img alt='old' src=a.png>"]) {
      const { text, alt } = insert(source, 'a.html', 'html', 'Say "hi" & <wave> to the team');
      const img = findElement(parseHtml(text), 'img')!;
      assert.equal(img.attrs.find((a) => a.name === 'alt')?.value, alt, text);
      assert.equal(img.attrs.find((a) => a.name === 'src')?.value, 'a.png');
    }
  });

  it('writes JSX alt text that the TSX parser reads back exactly', () => {
    for (const source of ['const A = <img src={logo} />;', 'const A = <img alt={old} src={logo} />;']) {
      const { text, alt } = insert(source, 'a.tsx', 'typescriptreact', 'The "Loupe" {logo} & co');
      const [image] = imagesIn(text, 'a.tsx', 'typescriptreact');
      assert.equal(image!.alt, alt, text);
      assert.equal(image!.src, '{logo}');
    }
  });
});
