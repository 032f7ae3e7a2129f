import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AltTarget, Finding, ImageOccurrence } from '../../../src/altText/findings';
import { DocumentParseError } from '../../../src/altText/documentErrors';
import { scanDocument, scanImages, scanTargetFor } from '../../../src/altText/scanDocument';
import { docsFixture } from './fixtureTree';

/** [line, column, endLine, endColumn, syntax, kind, src, alt] */
type Row = [number, number, number, number, string, string, string, string | undefined];

function read(file: string): string {
  return readFileSync(join(docsFixture, file), 'utf8');
}

function findingsIn(file: string): Finding[] {
  return scanDocument(read(file), join(docsFixture, file));
}

function rows(findings: Finding[]): Row[] {
  return findings.map((f) => [f.line, f.column, f.endLine, f.endColumn, f.syntax, f.kind, f.src, f.alt]);
}

function occurrencesIn(file: string): ImageOccurrence[] {
  const path = join(docsFixture, file);
  return scanImages(read(file), path, scanTargetFor(path)!);
}

/** "line:col-line:col" of an alt target (label/attribute value), or "@line:col" for an insertion. */
function target(t: AltTarget): string {
  const span = (s: { start: { line: number; column: number }; end: { line: number; column: number } }) =>
    `${s.start.line}:${s.start.column}-${s.end.line}:${s.end.column}`;
  if (t.type === 'markdown-label') return span(t.value) + (t.referenceLabel !== undefined ? ` ref=${t.referenceLabel}` : '');
  if (t.type === 'attribute') return `attr ${span(t.attribute)} value ${t.value ? span(t.value) : 'none'}`;
  return `@${t.at.line}:${t.at.column}`;
}

function at(occurrences: ImageOccurrence[]): string[] {
  return occurrences.map((o) => `${o.start.line}:${o.start.column}`);
}

describe('Markdown scanner on the fixture docs', () => {
  it('README.md: empty alt, also inside a link and in a quoted list item', () => {
    const findings = findingsIn('README.md');
    assert.deepEqual(rows(findings), [
      [7, 1, 7, 27, 'markdown', 'empty', 'images/screenshot.png', ''],
      [12, 2, 12, 27, 'markdown', 'empty', 'images/logo-copy.png', ''],
      [16, 5, 16, 33, 'markdown', 'empty', 'images/architecture.png', ''],
    ]);
    assert.deepEqual(findings.map((f) => target(f.altTarget)), ['7:3-7:3', '12:4-12:4', '16:7-16:7']);
    assert.deepEqual(at(occurrencesIn('README.md')), ['3:1', '7:1', '11:2', '12:2', '16:5']);
    assert.equal(findings[0].documentKind, 'markdown');
    assert.match(findings[0].message, /images\/screenshot\.png/);
  });

  it('guide/getting-started.md: placeholder, file name and whitespace alt; nothing from code, comments or escapes', () => {
    const findings = findingsIn('guide/getting-started.md');
    assert.deepEqual(rows(findings), [
      [5, 1, 5, 51, 'markdown', 'placeholder', '../images/screenshot.png', 'image'],
      [11, 1, 11, 48, 'markdown', 'filename', '../images/architecture.png', 'architecture.png'],
      [13, 1, 13, 46, 'markdown', 'empty', '../images/my chart.png', '  '],
      [15, 1, 15, 33, 'markdown', 'placeholder', '../images/photo.png', 'Picture.'],
    ]);
    assert.deepEqual(findings.map((f) => target(f.altTarget)), ['5:3-5:8', '11:3-11:19', '13:3-13:5', '15:3-15:11']);
    assert.equal(findings[0].title, 'The Ask panel');
    assert.equal(findings[2].title, 'Sales chart');

    const occurrences = occurrencesIn('guide/getting-started.md');
    // Lines 17 (code span), 20-21 (fence), 24 (indented code), 26-29 (comments), 32:11 (escaped `!`) hold none.
    assert.deepEqual(at(occurrences), ['5:1', '9:1', '11:1', '13:1', '15:1', '32:47']);
    assert.equal(occurrences[1].alt, 'Diagram: host [extension] talks to engine [worker]');
    assert.equal(target(occurrences[1].altTarget), '9:3-9:53');
    assert.equal(occurrences[5].alt, 'a ] b');
    assert.equal(occurrences[5].src, '../images/chart.png');
  });

  it('guide/reference.md: full, collapsed and shortcut references, raw HTML blocks and inline HTML', () => {
    const findings = findingsIn('guide/reference.md');
    assert.deepEqual(rows(findings), [
      [5, 1, 5, 10, 'markdown', 'empty', '../images/chart.png', ''],
      [7, 1, 7, 15, 'markdown', 'placeholder', '../images/photo.png', 'photo'],
      [11, 1, 11, 11, 'markdown', 'placeholder', '../images/diagram.png', 'IMAGE'],
      [21, 3, 22, 20, 'html', 'missing', '../images/diagram.png', undefined],
      [28, 1, 28, 50, 'html', 'placeholder', '../images/photo.png', 'screenshot.'],
    ]);
    assert.deepEqual(findings.map((f) => target(f.altTarget)), [
      '5:3-5:3',
      '7:3-7:8',
      '11:3-11:8 ref=IMAGE',
      '@21:7',
      'attr 28:32-28:49 value 28:37-28:48',
    ]);

    const occurrences = occurrencesIn('guide/reference.md');
    assert.deepEqual(at(occurrences), ['3:21', '5:1', '7:1', '9:1', '11:1', '21:3', '25:8', '25:60', '28:1', '30:1']);
    const [full, , , shortcut, , , inline, decorative, , presentation] = occurrences;
    assert.deepEqual([full.alt, full.src, full.title], ['Dashboard with three charts', '../images/chart.png', 'Dashboard']);
    assert.deepEqual([shortcut.alt, shortcut.src, target(shortcut.altTarget)], ['logo', '../images/logo.png', '9:3-9:7 ref=logo']);
    assert.deepEqual([inline.syntax, inline.alt], ['html', 'Loupe']);
    assert.deepEqual([decorative.alt, decorative.end.line, decorative.end.column], ['', 26, 8]);
    assert.equal(presentation.hidden, true);
  });

  it('doc.mdx: Markdown images and JSX elements; nothing from MDX comments or code fences', () => {
    const findings = findingsIn('doc.mdx');
    assert.deepEqual(rows(findings), [
      [9, 1, 9, 27, 'markdown', 'empty', 'images/screenshot.png', ''],
      [14, 3, 14, 35, 'jsx', 'missing', 'images/diagram.png', undefined],
      [17, 8, 17, 53, 'jsx', 'placeholder', 'images/chart.png', 'figure'],
    ]);
    assert.deepEqual(findings.map((f) => target(f.altTarget)), ['9:3-9:3', '@14:7', 'attr 17:38-17:50 value 17:43-17:49']);
    assert.ok(findings.every((f) => f.documentKind === 'mdx'));
    const occurrences = occurrencesIn('doc.mdx');
    assert.deepEqual(at(occurrences), ['9:1', '11:1', '14:3', '17:8', '19:1', '21:1']);
    assert.deepEqual(occurrences.map((o) => o.altState), ['text', 'text', 'absent', 'text', 'dynamic', 'text']);
  });
});

describe('HTML scanner', () => {
  it('page.html: missing and poor alt; nothing from script, comments, escaped text or textarea', () => {
    const findings = findingsIn('page.html');
    assert.deepEqual(rows(findings), [
      [11, 16, 11, 51, 'html', 'missing', 'images/architecture.png', undefined],
      [14, 3, 18, 4, 'html', 'placeholder', 'images/screenshot.png', 'image'],
      [22, 5, 22, 53, 'html', 'filename', 'images/diagram.png', 'diagram.svg'],
    ]);
    assert.deepEqual(findings.map((f) => target(f.altTarget)), ['@11:20', 'attr 17:5-17:16 value 17:10-17:15', 'attr 22:35-22:52 value 22:40-22:51']);
    const occurrences = occurrencesIn('page.html');
    assert.deepEqual(at(occurrences), ['11:16', '12:3', '13:3', '14:3', '20:3', '22:5', '25:3']);
    assert.equal(occurrences[2].alt, '');
    assert.equal(occurrences[4].hidden, true);
    assert.equal(occurrences[6].alt, 'A "quoted" team photo');
  });

  it('counts columns in UTF-16 code units and lines across \\r\\n, and skips a byte order mark', () => {
    const text = '\ufeff<p>日本 😀 <img src="a.png"></p>\r\n<img\r\n src="b.png" alt="icon">';
    const findings = scanDocument(text, 'crlf.html');
    assert.deepEqual(rows(findings), [
      [1, 11, 1, 28, 'html', 'missing', 'a.png', undefined],
      [2, 1, 3, 25, 'html', 'placeholder', 'b.png', 'icon'],
    ]);
    assert.equal(text.slice(findings[0].start.offset, findings[0].start.offset + 4), '<img');
    assert.equal(target(findings[1].altTarget), 'attr 3:14-3:24 value 3:19-3:23');
  });
});

describe('JSX scanner', () => {
  it('Component.tsx: <img> and Next.js <Image>; spreads, expressions, alt="" and hidden images are not flagged', () => {
    const findings = findingsIn('components/Component.tsx');
    assert.deepEqual(rows(findings), [
      [16, 7, 16, 44, 'jsx', 'missing', '../images/logo-copy.png', undefined],
      [20, 7, 24, 9, 'jsx', 'missing', '/images/architecture.png', undefined],
      [25, 7, 25, 71, 'jsx', 'filename', '../images/diagram.png', 'diagram.PNG'],
    ]);
    assert.deepEqual(findings.map((f) => target(f.altTarget)), ['@16:11', '@20:13', 'attr 25:40-25:57 value 25:45-25:56']);
    const occurrences = occurrencesIn('components/Component.tsx');
    // 12:18 is a template string and 15:11 a JSX comment: not elements.
    assert.deepEqual(at(occurrences), ['8:10', '16:7', '17:7', '18:7', '19:7', '20:7', '25:7', '26:7', '27:7']);
    assert.deepEqual(
      occurrences.map((o) => o.altState),
      ['dynamic', 'absent', 'text', 'dynamic', 'text', 'absent', 'text', 'absent', 'dynamic'],
    );
    assert.equal(occurrences[4].src, '{hero}');
    assert.equal(occurrences[7].hidden, true);
  });

  it('Hero.jsx: a placeholder in a .jsx file', () => {
    assert.deepEqual(rows(findingsIn('components/Hero.jsx')), [[2, 10, 2, 69, 'jsx', 'placeholder', '../images/logo.png', 'img']]);
    assert.equal(target(findingsIn('components/Hero.jsx')[0].altTarget), 'attr 2:40-2:49 value 2:45-2:48');
  });

  it('cast.ts: a plain .ts file is not scanned (its `<Image>value` is a type assertion)', () => {
    assert.equal(scanTargetFor(join(docsFixture, 'components/cast.ts')), undefined);
  });

  it('reads constant expressions as values and decodes character references in strings', () => {
    const text = 'const a = <><img src="x.png" alt={"image"} /><img src="y.png" alt={``} /><img src="z.png" alt="Fish &amp; chips" /></>;';
    const occurrences = scanImages(text, 'a.tsx', { kind: 'jsx', jsxFlavour: 'tsx' });
    assert.deepEqual(occurrences.map((o) => o.alt), ['image', '', 'Fish & chips']);
    assert.deepEqual(rows(scanDocument(text, 'a.tsx')).map((r) => r[5]), ['placeholder']);
  });
});

describe('dispatch', () => {
  it('picks the scanner by language id, else by extension', () => {
    assert.deepEqual(scanTargetFor('x.txt', 'mdx'), { kind: 'mdx' });
    assert.deepEqual(scanTargetFor('x.tsx', 'typescriptreact'), { kind: 'jsx', jsxFlavour: 'tsx' });
    assert.deepEqual(scanTargetFor('Page.HTM'), { kind: 'html' });
    assert.equal(scanTargetFor('notes.txt'), undefined);
    assert.throws(() => scanDocument('text', 'notes.txt'), /notes\.txt: .*file type/);
  });

  it('reports invalid MDX as a parse error with its position', () => {
    assert.throws(
      () => scanDocument('# Title\n\n<img src="a.png"\n', 'broken.mdx'),
      (error: unknown) => error instanceof DocumentParseError && error.file === 'broken.mdx' && error.line >= 3 && /MDX/.test(error.message),
    );
  });

  it('maps raw HTML inside a blockquote back to its source columns', () => {
    const text = '> <div>\n>   <img\n>  src="q.png">\n> </div>\n';
    const [finding] = scanDocument(text, 'quote.md');
    assert.deepEqual(rows([finding]), [[2, 5, 3, 16, 'html', 'missing', 'q.png', undefined]]);
    assert.equal(target(finding.altTarget), '@2:9');
  });
});
