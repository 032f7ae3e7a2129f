/**
 * Issue 14, item 10: Markdown scanning was superlinear and uncapped (a 1 MB nested list took
 * 49 s, 24 MB ran Node out of memory) and ran on the extension host's main thread. Documents are
 * capped by size and nesting, the parse is linear within the caps, and the editor scans in a
 * worker thread. Timeouts here only turn a hang into a failure; the timings are in the report.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { EditMap } from 'micromark-util-edit-map';
import { runCheck } from '../../../src/altText/cliCheck';
import { DocumentLimitError, DocumentParseError } from '../../../src/altText/documentErrors';
import { IsolatedScanner } from '../../../src/altText/isolatedScanner';
import '../../../src/altText/linearEditMap';
import { scanImages } from '../../../src/altText/scanDocument';
import { MAX_SCANNED_BYTES } from '../../../src/altText/scanLimits';
import { repoRoot } from '../../support/paths';

const markdown = { kind: 'markdown' } as const;
const SLOW = { timeout: 90_000 };

/** The scanner thread from its TypeScript source (the extension starts dist/altTextScan.js). */
function startTypeScriptWorker(options: WorkerOptions): Worker {
  const entry = join(repoRoot, 'src', 'altText', 'scanWorker.ts');
  return new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { ...options, eval: true });
}

/** Lines until `bytes`, each made by `line(i)`. */
function documentOf(bytes: number, line: (i: number) => string): string {
  const lines: string[] = [];
  for (let size = 0, i = 0; ; i++) {
    const next = `${line(i)}\n`;
    if (size + next.length > bytes) break;
    lines.push(next);
    size += next.length;
  }
  return lines.join('');
}

describe('scan limits', () => {
  it('refuses a document over 1 MB, saying why and the limit, and scans one at the limit', () => {
    const prose = (bytes: number) => `![](a.png)\n\n${'word '.repeat(bytes / 5)}`.slice(0, bytes);
    assert.throws(
      () => scanImages(prose(MAX_SCANNED_BYTES + 1), 'big.md', markdown),
      (error: unknown) =>
        error instanceof DocumentLimitError &&
        error.message === 'big.md:1:1: not checked: 1,000,001 bytes, over the 1 MB limit for alt text checks; split the document to have it checked',
    );
    // UTF-8 bytes, not characters: 400,000 × "€" is 1.2 MB.
    assert.throws(() => scanImages(`![](a.png) ${'€'.repeat(400_000)}`, 'euro.md', markdown), DocumentLimitError);
    assert.equal(scanImages(prose(MAX_SCANNED_BYTES), 'limit.md', markdown).length, 1);
  });

  it('refuses lists nested deeper than the parser handles in linear time, and takes 99 levels', () => {
    const staircase = documentOf(60_000, (i) => `${'  '.repeat(i)}- ![](a${i}.png)`);
    assert.throws(
      () => scanImages(staircase, 'stairs.md', markdown),
      /stairs\.md:1:1: not checked: lists or block quotes nest too deeply \(a marker at line 101, column 201; Loupe parses them up to column 200\)/,
    );
    assert.throws(() => scanImages(`${'>'.repeat(5000)} ![](a.png)\n`, 'quotes.mdx', { kind: 'mdx' }), /nest too deeply/);
    const deep = documentOf(100_000, (i) => `${'  '.repeat(i % 99)}- ![](a${i}.png)`);
    assert.equal(scanImages(deep, 'deep.md', markdown).length, deep.split('\n').length - 1);
    // Indented code is not nesting; a thematic break is not a list.
    assert.equal(scanImages(`${' '.repeat(400)}code\n\n- - -\n\n![](a.png)\n`, 'code.md', markdown).length, 1);
  });

  it('check reports a document over a limit with exit 2 and goes on with the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loupe-limits-'));
    try {
      await writeFile(join(dir, 'huge.md'), `![](a.png)\n${'x'.repeat(2_300_000)}\n`);
      await writeFile(join(dir, 'ok.md'), '![](a.png)\n');
      const report = await runCheck(['.'], dir, { recordsPath: false });
      assert.equal(report.exitCode, 2);
      assert.deepEqual(report.lines.map((line) => line.split(': ').slice(0, 2).join(': ')), ['huge.md:1:1: not checked', 'ok.md:1:1: Image "a.png" has empty alt text']);
      assert.match(report.lines[0], /2,300,012 bytes, over the 1 MB limit/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('linear scanning', () => {
  // In the editor's scanner thread, whose time limit (generous here) stops what would hang.
  let scanner: IsolatedScanner;
  before(() => {
    scanner = new IsolatedScanner(startTypeScriptWorker, 60_000);
  });
  after(() => scanner.dispose());

  it('applies micromark edit maps exactly as splices would', () => {
    for (let trial = 0; trial < 200; trial++) {
      const events = Array.from({ length: 30 }, (_, i) => i);
      const expected = [...events];
      const map = new EditMap();
      // Disjoint edits at distinct places, added in any order.
      const places = [...new Set(Array.from({ length: 4 }, () => Math.floor(Math.random() * 30)))].sort((a, b) => a - b);
      const edits = places.map((at, i) => ({ at, remove: Math.min(Math.floor(Math.random() * 3), (places[i + 1] ?? 30) - at), add: [100 + at, 200 + at] }));
      for (const edit of [...edits].reverse()) expected.splice(edit.at, edit.remove, ...edit.add);
      for (const edit of edits.sort(() => Math.random() - 0.5)) map.add(edit.at, edit.remove, edit.add as never[]);
      map.consume(events as never[]);
      assert.deepEqual(events, expected);
    }
  });

  it('scans 300 KB of nested list items in seconds (minutes before)', SLOW, async () => {
    const nested = documentOf(300_000, (i) => `${'- '.repeat(10)}![](a${i}.png)`);
    assert.equal((await scanner.scan(nested, 'nested.md', markdown)).length, nested.split('\n').length - 1);
  });

  it('maps a long raw HTML block back to the source in linear time', SLOW, async () => {
    const block = documentOf(MAX_SCANNED_BYTES, (i) => (i === 0 ? '- <div>' : `  <img src="a${i}.png">`));
    const images = await scanner.scan(block, 'html.md', markdown);
    assert.equal(images.length, block.split('\n').length - 2);
    const last = images[images.length - 1];
    assert.equal(block.slice(last.start.offset, last.end.offset), `<img src="a${images.length}.png">`);
  });

  it('finds images in HTML nested thousands of elements deep', SLOW, () => {
    const depth = 20_000;
    const html = `${'<div>'.repeat(depth)}<img src="a.png">${'</div>'.repeat(depth)}<img src="b.png">`;
    assert.deepEqual(
      scanImages(html, 'deep.html', { kind: 'html' }).map((image) => image.src),
      ['a.png', 'b.png'],
    );
  });
});

describe('IsolatedScanner (the editor scans in a worker thread)', () => {
  let scanner: IsolatedScanner;
  before(() => {
    scanner = new IsolatedScanner(startTypeScriptWorker, 1000);
  });
  after(() => scanner.dispose());

  it('answers as scanImages does, for every kind of document', SLOW, async () => {
    const documents: Array<[string, string, Parameters<typeof scanImages>[2]]> = [
      ['![](a.png) <img src="b.png">\n', 'a.md', markdown],
      ['<Image src="c.png" />\n', 'c.mdx', { kind: 'mdx' }],
      ['<main><img src="d.png"></main>', 'd.html', { kind: 'html' }],
      ['export const E = () => <img src="e.png" />;\n', 'e.tsx', { kind: 'jsx', jsxFlavour: 'tsx' }],
    ];
    for (const [text, file, target] of documents) assert.deepEqual(await scanner.scan(text, file, target), scanImages(text, file, target));
  });

  it('passes errors through as their own classes', SLOW, async () => {
    await assert.rejects(scanner.scan('<img src="a.png"\n', 'broken.mdx', { kind: 'mdx' }), DocumentParseError);
    await assert.rejects(scanner.scan(`![](a.png)${'x'.repeat(MAX_SCANNED_BYTES)}`, 'big.md', markdown), /big\.md:1:1: not checked: 1,000,010 bytes/);
  });

  it('stops a scan past its time limit and scans the next one in a fresh thread', SLOW, async () => {
    const slow = documentOf(500_000, (i) => `${'- '.repeat(10)}![](a${i}.png)`);
    const started = Date.now();
    await assert.rejects(scanner.scan(slow, 'slow.md', markdown), /slow\.md:1:1: not checked: scanning took longer than 1 s/);
    assert.ok(Date.now() - started < 10_000, 'stopped, not finished');
    assert.equal((await scanner.scan('![](a.png)\n', 'next.md', markdown)).length, 1);
  });
});
