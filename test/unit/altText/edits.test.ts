import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, type DefaultTreeAdapterTypes } from 'parse5';
import { altTextSlot, applyTextEdits, decorativeEdit, describeDiagramEdits, fillAltEdit } from '../../../src/altText/altEdits';
import { findingsFor } from '../../../src/altText/findings';
import { scanDocument, scanImages, scanTargetFor } from '../../../src/altText/scanDocument';
import { docsFixture } from './fixtureTree';

const FIXTURE_FILES = [
  'README.md',
  'guide/getting-started.md',
  'guide/reference.md',
  'doc.mdx',
  'page.html',
  'components/Component.tsx',
  'components/Hero.jsx',
];
const TRICKY_ALT = 'Flow: "host" [extension] → engine {worker} & <queue>\\ 50% done';

function load(file: string) {
  const path = join(docsFixture, file);
  return { path, text: readFileSync(path, 'utf8'), target: scanTargetFor(path)! };
}

describe('fillAltEdit', () => {
  for (const file of FIXTURE_FILES) {
    it(`${file}: every finding gets exactly the alt text written, nothing else changes`, () => {
      const { path, text, target } = load(file);
      const before = scanImages(text, path, target);
      const findings = findingsFor(before);
      assert.ok(findings.length > 0);
      const updated = applyTextEdits(text, findings.map((finding) => fillAltEdit(finding, TRICKY_ALT)));
      const after = scanImages(updated, path, target);

      assert.equal(after.length, before.length, 'same number of images');
      assert.deepEqual(findingsFor(after), [], 'nothing left to fix');
      const fixedStarts = new Set(findings.map((finding) => finding.start.offset));
      before.forEach((original, i) => {
        assert.equal(after[i].src, original.src);
        if (fixedStarts.has(original.start.offset)) assert.equal(after[i].alt, TRICKY_ALT, `${file}:${original.start.line}`);
        else assert.deepEqual([after[i].altState, after[i].alt], [original.altState, original.alt]);
      });
    });
  }

  it('turns collapsed and shortcut references into full ones so the reference survives', () => {
    const text = '![IMAGE][]\n\n![photo]\n\n[image]: a.png\n[photo]: b.png\n';
    const updated = applyTextEdits(text, scanDocument(text, 'r.md').map((finding) => fillAltEdit(finding, 'A cat')));
    assert.equal(updated, '![A cat][IMAGE]\n\n![A cat][photo]\n\n[image]: a.png\n[photo]: b.png\n');
  });

  it('writes the alt attribute in each dialect', () => {
    const html = applyTextEdits('<img src="a.png">', scanDocument('<img src="a.png">', 'a.html').map((f) => fillAltEdit(f, 'Say "hi" & go')));
    assert.equal(html, '<img alt="Say &quot;hi&quot; &amp; go" src="a.png">');
    const jsxText = '<img src="a.png" alt=\'image\' />';
    const jsx = applyTextEdits(jsxText, scanDocument(jsxText, 'a.tsx').map((f) => fillAltEdit(f, 'A {b}')));
    assert.equal(jsx, '<img src="a.png" alt="A &#123;b&#125;" />');
  });
});

describe('altTextSlot', () => {
  /** What the author ends up with: the slot's edit, then `typed` over the selection, scanned again. */
  function typeInto(text: string, file: string, typed: string) {
    const [image] = scanImages(text, file, scanTargetFor(file)!);
    const { edit, select } = altTextSlot(image);
    const prepared = edit ? applyTextEdits(text, [edit]) : text;
    const selected = prepared.slice(select.start, select.end);
    const result = prepared.slice(0, select.start) + typed + prepared.slice(select.end);
    const [after] = scanImages(result, file, scanTargetFor(file)!);
    const [before] = scanImages(prepared, file, scanTargetFor(file)!);
    return { selected, result, after, edited: edit !== undefined, flaggedBeforeTyping: findingsFor([before!]).length > 0 };
  }

  it('Markdown: the cursor goes between the brackets, or the current alt text is selected; nothing is written first', () => {
    const empty = typeInto('See ![](https://example.invalid/logo.png) here.\n', 'a.md', 'The Loupe logo');
    assert.deepEqual([empty.edited, empty.selected, empty.result], [false, '', 'See ![The Loupe logo](https://example.invalid/logo.png) here.\n']);
    const placeholder = typeInto('![Screenshot](https://example.invalid/s.png "Home")\n', 'a.md', 'The home page');
    assert.deepEqual([placeholder.edited, placeholder.selected, placeholder.after.alt, placeholder.after.title], [false, 'Screenshot', 'The home page', 'Home']);
  });

  it('Markdown references: written out in full with the label selected, so the reference survives the new alt text', () => {
    const slot = typeInto('![logo][]\n\n[logo]: https://example.invalid/logo.png\n', 'a.md', 'The Loupe logo');
    assert.deepEqual([slot.edited, slot.selected], [true, 'logo']);
    assert.equal(slot.result, '![The Loupe logo][logo]\n\n[logo]: https://example.invalid/logo.png\n');
    assert.equal(slot.after.src, 'https://example.invalid/logo.png');
  });

  it('HTML and JSX: a flagged placeholder alt is inserted and selected (alt="" would mark it decorative before a word was written); an alt value is selected', () => {
    const html = typeInto('<p><img src="https://example.invalid/a.png" width="20"></p>\n', 'a.html', 'A chart');
    assert.deepEqual([html.edited, html.selected, html.after.alt, html.flaggedBeforeTyping], [true, 'image', 'A chart', true]);
    assert.equal(html.result, '<p><img alt="A chart" src="https://example.invalid/a.png" width="20"></p>\n');
    const bare = typeInto('<img alt src="data:image/png;base64,AAAA">\n', 'a.html', 'A dot');
    assert.deepEqual([bare.edited, bare.after.alt], [true, 'A dot']);
    const jsx = typeInto('export const A = () => <img src="https://example.invalid/a.png" />;\n', 'a.tsx', 'A chart');
    assert.deepEqual([jsx.edited, jsx.selected, jsx.after.alt, jsx.flaggedBeforeTyping], [true, 'image', 'A chart', true]);
    const valued = typeInto('<img src="https://example.invalid/a.png" alt="image">\n', 'a.html', 'A chart');
    assert.deepEqual([valued.edited, valued.selected, valued.after.alt], [false, 'image', 'A chart']);
  });
});

describe('decorativeEdit', () => {
  it('HTML and JSX: alt="" replaces or is inserted', () => {
    for (const [text, file, expected] of [
      ['<img src="a.png" alt="icon">', 'a.html', '<img src="a.png" alt="">'],
      ['<img src="a.png">', 'a.html', '<img alt="" src="a.png">'],
      ['<Image src={hero} />', 'a.tsx', '<Image alt="" src={hero} />'],
    ]) {
      const [finding] = scanDocument(text, file);
      const updated = applyTextEdits(text, [decorativeEdit(finding)]);
      assert.equal(updated, expected);
      assert.deepEqual(scanDocument(updated, file), []);
    }
  });

  it('Markdown: becomes an HTML <img alt=""> keeping src and title; MDX: a JSX one', () => {
    const text = 'See ![  ](<my chart.png> "Sales") here.\n';
    const [finding] = scanDocument(text, 'a.md');
    const markdown = applyTextEdits(text, [decorativeEdit(finding)]);
    assert.equal(markdown, 'See <img src="my%20chart.png" alt="" title="Sales"> here.\n');
    assert.deepEqual(scanDocument(markdown, 'a.md'), []);

    const [mdxFinding] = scanDocument('![](a.png)\n', 'a.mdx');
    const mdx = applyTextEdits('![](a.png)\n', [decorativeEdit(mdxFinding)]);
    assert.equal(mdx, '<img src="a.png" alt="" />\n');
    const [image] = scanImages(mdx, 'a.mdx', { kind: 'mdx' });
    assert.deepEqual([image.syntax, image.alt], ['jsx', '']);
  });
});

describe('describeDiagramEdits', () => {
  it('Markdown: a <details> block after the paragraph, inside the quoted list item', () => {
    const { path, text } = load('README.md');
    const finding = scanDocument(text, path).find((f) => f.line === 16)!;
    const updated = applyTextEdits(text, describeDiagramEdits(text, finding, 'Three boxes.\n\n\n- Webview <ui>\n- Engine'));
    assert.ok(
      updated.endsWith(
        '> - ![](images/architecture.png)\n>\n>   <details><summary>Diagram description</summary>\n>\n>   Three boxes.\n>\n>   - Webview \\<ui\\>\n>   - Engine\n>\n>   </details>\n',
      ),
      updated,
    );
    // Still one image there, and the description did not turn into a second one or break the quote.
    assert.equal(scanImages(updated, path, { kind: 'markdown' }).length, scanImages(text, path, { kind: 'markdown' }).length);
  });

  it('Markdown: adds a blank line when another block follows directly', () => {
    const text = '![](d.png)\n- next\n';
    const [finding] = scanDocument(text, 'a.md');
    assert.equal(
      applyTextEdits(text, describeDiagramEdits(text, finding, 'Boxes.')),
      '![](d.png)\n\n<details><summary>Diagram description</summary>\n\nBoxes.\n\n</details>\n\n- next\n',
    );
  });

  it('HTML: a <p id> after the enclosing paragraph and aria-describedby on the image', () => {
    const { path, text } = load('page.html');
    const finding = scanDocument(text, path).find((f) => f.line === 11)!;
    const updated = applyTextEdits(text, describeDiagramEdits(text, finding, 'Webview <-> host & engine.\nThree parts.'));
    assert.match(updated, /<p>Overview: <img aria-describedby="loupe-desc-architecture" src="images\/architecture.png"><\/p>\n {2}<p id="loupe-desc-architecture">Webview &lt;-&gt; host &amp; engine. Three parts.<\/p>\n/);

    const document = parse(updated);
    const byId = findElement(document, (el) => el.attrs.some((a) => a.name === 'id' && a.value === 'loupe-desc-architecture'));
    assert.equal(textContent(byId!), 'Webview <-> host & engine. Three parts.');

    // A second description in the same page gets its own id, appended to an existing aria-describedby.
    const again = scanImages(updated, path, { kind: 'html' }).find((o) => o.start.line === 11)!;
    const twice = applyTextEdits(updated, describeDiagramEdits(updated, again, 'More.'));
    assert.match(twice, /aria-describedby="loupe-desc-architecture loupe-desc-architecture-2"/);
  });

  it('JSX files: refuses with a reason', () => {
    const [finding] = scanDocument('<img src="a.png" />', 'a.tsx');
    assert.throws(() => describeDiagramEdits('<img src="a.png" />', finding, 'x'), /only Markdown, MDX and HTML/);
  });
});

describe('applyTextEdits', () => {
  it('applies bottom-up, keeps same-offset insertions in order, rejects overlaps', () => {
    assert.equal(applyTextEdits('abcdef', [{ start: 1, end: 2, newText: 'X' }, { start: 4, end: 4, newText: '1' }, { start: 4, end: 4, newText: '2' }]), 'aXcd12ef');
    assert.throws(() => applyTextEdits('abcdef', [{ start: 1, end: 4, newText: '' }, { start: 2, end: 3, newText: '' }]), /Overlapping/);
  });
});

type Element = DefaultTreeAdapterTypes.Element;
function findElement(node: DefaultTreeAdapterTypes.ParentNode, predicate: (el: Element) => boolean): Element | undefined {
  for (const child of node.childNodes) {
    if (!('tagName' in child)) continue;
    if (predicate(child)) return child;
    const found = findElement(child, predicate);
    if (found) return found;
  }
  return undefined;
}
function textContent(node: DefaultTreeAdapterTypes.ParentNode): string {
  return node.childNodes.map((child) => ('value' in child && child.nodeName === '#text' ? child.value : 'childNodes' in child ? textContent(child) : '')).join('');
}
