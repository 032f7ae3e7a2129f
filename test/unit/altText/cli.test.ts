import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { checkPaths, runCheck } from '../../../src/altText/cliCheck';
import type { AltTextGenerator } from '../../../src/altText/altProposals';
import { fixPaths } from '../../../src/altText/cliFix';
import { copyDocsTree, testGenerator } from './fixtureTree';

const EXPECTED_LOCATIONS = [
  'README.md:7:1',
  'README.md:12:2',
  'README.md:16:5',
  'components/Component.tsx:16:7',
  'components/Component.tsx:20:7',
  'components/Component.tsx:25:7',
  'components/Hero.jsx:2:10',
  'doc.mdx:9:1',
  'doc.mdx:14:3',
  'doc.mdx:17:8',
  'guide/getting-started.md:5:1',
  'guide/getting-started.md:11:1',
  'guide/getting-started.md:13:1',
  'guide/getting-started.md:15:1',
  'guide/reference.md:5:1',
  'guide/reference.md:7:1',
  'guide/reference.md:11:1',
  'guide/reference.md:21:3',
  'guide/reference.md:28:1',
  'page.html:11:16',
  'page.html:14:3',
  'page.html:22:5',
];

/** What a model might answer: a name-based description with the usual "Image of" opener. */
function recordingGenerator(calls: string[]): AltTextGenerator {
  return testGenerator(async ({ imagePath, documentContext, maxLength }) => {
    assert.equal(typeof documentContext, 'string');
    assert.equal(maxLength, 125);
    calls.push(basename(imagePath));
    return `Image of the ${basename(imagePath, '.png').replace(/[^a-z]+/gi, ' ')} in the Loupe docs`;
  });
}

/** Each test's own cache, relative to its working directory (the default is per user). */
const CACHE = 'test-alt-cache.json';

describe('loupe alt-text check', () => {
  let tree: Awaited<ReturnType<typeof copyDocsTree>>;
  before(async () => {
    tree = await copyDocsTree();
  });
  after(() => tree.dispose());

  it('reports path:line:col: message for every finding, skipping .gitignore and node_modules', async () => {
    const report = await runCheck(['.'], tree.root);
    assert.deepEqual(report.lines.map((line) => /^[^:]+:\d+:\d+/.exec(line)![0]), EXPECTED_LOCATIONS);
    assert.equal(
      report.lines[0],
      'README.md:7:1: Image "images/screenshot.png" has empty alt text: describe what it shows. If it is decorative, the "Mark as decorative" fix writes it as <img alt=""> (Markdown has no decorative image syntax).',
    );
    assert.equal(report.lines[19], 'page.html:11:16: Image "images/architecture.png" has no alt attribute: describe what it shows, or add alt="" if it is decorative.');
    assert.equal(report.lines[21], 'page.html:22:5: Alt text "diagram.svg" of image "images/diagram.png" is a file name: describe what the image shows.');
    assert.equal(report.found, true);
    assert.equal(report.exitCode, 1);
    assert.ok(!report.files.some((file) => file.includes('node_modules') || file.includes('drafts')));
    assert.deepEqual(
      (await checkPaths(['.'], tree.root)).map((finding) => finding.kind),
      ['empty', 'empty', 'empty', 'missing', 'missing', 'filename', 'placeholder', 'empty', 'missing', 'placeholder', 'placeholder', 'filename', 'empty', 'placeholder', 'empty', 'placeholder', 'placeholder', 'missing', 'placeholder', 'missing', 'placeholder', 'filename'],
    );
  });

  it('checks a file named explicitly even when it is ignored, and globs relative to cwd', async () => {
    const explicit = await runCheck(['drafts/wip.md'], tree.root);
    assert.deepEqual(explicit.lines.map((line) => line.split(': ')[0]), ['drafts/wip.md:3:1']);
    const globbed = await runCheck(['guide/*.md', 'page.html'], tree.root);
    assert.equal(globbed.findings.length, 4 + 5 + 3);
  });

  it('says when nothing was found (exit 0) and when a pattern names nothing checkable', async () => {
    await writeFile(join(tree.root, 'clean.md'), '![A lighthouse at dusk](images/photo.png)\n');
    const clean = await runCheck(['clean.md'], tree.root);
    assert.deepEqual([clean.found, clean.exitCode, clean.lines], [false, 0, []]);
    await assert.rejects(runCheck(['nope.md'], tree.root), /nope\.md: no such file or folder/);
    await assert.rejects(runCheck(['drafts/**/*.md'], tree.root), /drafts\/\*\*\/\*\.md: no Markdown, MDX, HTML or JSX files match/);
    await assert.rejects(runCheck(['images/logo.png'], tree.root), /images\/logo\.png: Loupe cannot check alt text in this file type/);
    await assert.rejects(runCheck(['components/cast.ts'], tree.root), /cast\.ts: Loupe cannot check alt text in this file type/);
  });

  it('reports a file it cannot parse with exit 2, still checking the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loupe-broken-'));
    try {
      await writeFile(join(dir, 'broken.mdx'), '# Title\n\n<img src="a.png"\n');
      await writeFile(join(dir, 'ok.md'), '![](a.png)\n');
      const report = await runCheck(['.'], dir);
      assert.equal(report.exitCode, 2);
      assert.equal(report.findings.length, 1);
      assert.match(report.lines[0], /^broken\.mdx:\d+:\d+: cannot parse: invalid MDX: /);
      assert.equal(report.lines[1].split(': ')[0], 'ok.md:1:1');
      await assert.rejects(checkPaths(['.'], dir), /broken\.mdx:\d+:\d+: cannot parse/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('loupe alt-text fix --no-records', () => {
  let tree: Awaited<ReturnType<typeof copyDocsTree>>;
  before(async () => {
    tree = await copyDocsTree();
  });
  after(() => tree.dispose());

  it('writes the alt text but creates no .loupe/alt-text.json', async () => {
    const result = await fixPaths(['.'], recordingGenerator([]), { cwd: tree.root, cachePath: CACHE, language: 'en', writeRecords: false });
    assert.equal(result.written, EXPECTED_LOCATIONS.length);
    assert.equal((await runCheck(['.'], tree.root)).exitCode, 0, 'the documents were fixed');
    await assert.rejects(readFile(join(tree.root, '.loupe', 'alt-text.json')), /ENOENT/);
  });
});

describe('loupe alt-text fix', () => {
  let tree: Awaited<ReturnType<typeof copyDocsTree>>;
  before(async () => {
    tree = await copyDocsTree();
  });
  after(() => tree.dispose());

  it('dry run: returns a unified diff, writes only the generation cache', async () => {
    const readme = await readFile(join(tree.root, 'README.md'), 'utf8');
    const calls: string[] = [];
    const result = await fixPaths(['.'], recordingGenerator(calls), { cwd: tree.root, dryRun: true, cachePath: CACHE, language: 'en' });
    assert.equal(await readFile(join(tree.root, 'README.md'), 'utf8'), readme, 'documents untouched');
    assert.equal(result.written, EXPECTED_LOCATIONS.length);
    // One model call per distinct image content: logo-copy.png has logo.png's bytes.
    assert.equal(calls.length, 7);
    assert.equal(new Set(calls).size, 7);
    assert.equal(result.generated + result.fromCache, EXPECTED_LOCATIONS.length);
    assert.match(result.diff, /^--- a\/README\.md$/m);
    assert.match(result.diff, /^-!\[\]\(images\/screenshot\.png\)$/m);
    assert.match(result.diff, /^\+!\[The screenshot in the Loupe docs\.\]\(images\/screenshot\.png\)$/m);
    assert.match(result.diff, /^\+ {6}<img alt="The logo copy in the Loupe docs\." src="\.\.\/images\/logo-copy\.png" \/>$/m);
    assert.match(result.diff, /^\+!\[The my chart in the Loupe docs\.\]\(<\.\.\/images\/my chart\.png> 'Sales chart'\)$/m);
    assert.match(result.diff, /^\+!\[The diagram in the Loupe docs\.\]\[IMAGE\]$/m);
    const cache = JSON.parse(await readFile(join(tree.root, CACHE), 'utf8'));
    assert.equal(Object.keys(cache.entries).length, 7);
    await assert.rejects(readFile(join(tree.root, '.loupe', 'alt-text.json')), /ENOENT/);
  });

  it('applies the fixes from the cache, records them, and a second run changes nothing', async () => {
    const calls: string[] = [];
    const first = await fixPaths(['.'], recordingGenerator(calls), { cwd: tree.root, cachePath: CACHE, language: 'en' });
    assert.deepEqual(calls, [], 'every image came from the dry run cache');
    assert.equal(first.fromCache, EXPECTED_LOCATIONS.length);
    assert.equal(first.changedFiles.length, 7);
    assert.equal((await runCheck(['.'], tree.root)).exitCode, 0);

    const reference = await readFile(join(tree.root, 'guide', 'reference.md'), 'utf8');
    assert.match(reference, /^!\[The chart in the Loupe docs\.\]\[dash\]$/m);
    assert.match(reference, /^ {2}<img alt="The diagram in the Loupe docs\." src="\.\.\/images\/diagram\.png"$/m);
    const component = await readFile(join(tree.root, 'components', 'Component.tsx'), 'utf8');
    assert.match(component, /<Image alt="The architecture in the Loupe docs\."\n {8}src="\/images\/architecture\.png"/);
    const records = JSON.parse(await readFile(join(tree.root, '.loupe', 'alt-text.json'), 'utf8'));
    assert.equal(records.images['images/chart.png'].alt, 'The chart in the Loupe docs.');

    const second = await fixPaths(['.'], recordingGenerator(calls), { cwd: tree.root, cachePath: CACHE, language: 'en' });
    assert.deepEqual([second.diff, second.changedFiles, second.written, calls], ['', [], 0, []]);
  });

  it('reports alt text Loupe wrote as stale when the image changes, and regenerates it on request', async () => {
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toFile(join(tree.root, 'images', 'chart.png'));
    const report = await runCheck(['.'], tree.root);
    // Only images still carrying Loupe's text: the author-written "Dashboard with three charts" is theirs.
    assert.deepEqual(report.lines.map((line) => line.split(': ')[0]), ['doc.mdx:17:8', 'guide/reference.md:5:1']);
    assert.match(report.lines[1], /changed since Loupe wrote its alt text "The chart in the Loupe docs\."/);
    assert.equal((await runCheck(['.'], tree.root, { recordsPath: false })).exitCode, 0);

    const calls: string[] = [];
    const notStale = await fixPaths(['.'], recordingGenerator(calls), { cwd: tree.root, cachePath: CACHE, language: 'en' });
    assert.equal(notStale.written, 0, 'stale alt text is only rewritten with includeStale');
    const redrawn = testGenerator(async ({ imagePath }) => {
      calls.push(basename(imagePath));
      return 'The redrawn chart, now in dark blue';
    });
    const fixed = await fixPaths(['.'], redrawn, { cwd: tree.root, includeStale: true, cachePath: CACHE, language: 'en' });
    assert.deepEqual([calls, fixed.written], [['chart.png'], 2]);
    assert.match(await readFile(join(tree.root, 'doc.mdx'), 'utf8'), /<Image src="images\/chart.png" alt="The redrawn chart, now in dark blue\." \/>/);
    assert.equal((await runCheck(['.'], tree.root)).exitCode, 0);
  });

  it('stops when generation keeps failing, keeping what was already written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loupe-failing-'));
    try {
      const png = (name: string, r: number) => sharp({ create: { width: 4, height: 4, channels: 3, background: { r, g: 0, b: 0 } } }).png().toFile(join(dir, name));
      await Promise.all([png('a.png', 1), png('b.png', 2), png('c.png', 3), png('d.png', 4)]);
      await writeFile(join(dir, '1.md'), '![](a.png)\n');
      await writeFile(join(dir, '2.md'), '![](b.png) ![](c.png) ![](d.png)\n');
      let calls = 0;
      const flaky = testGenerator(async () => {
        if (++calls === 1) return 'A dark red square';
        throw new Error('model missing');
      });
      await assert.rejects(fixPaths(['.'], flaky, { cwd: dir, cachePath: CACHE }), /alt text generation keeps failing: model missing/);
      assert.equal(calls, 4);
      assert.equal(await readFile(join(dir, '1.md'), 'utf8'), '![A dark red square.](a.png)\n');
      assert.equal(await readFile(join(dir, '2.md'), 'utf8'), '![](b.png) ![](c.png) ![](d.png)\n');
      const records = JSON.parse(await readFile(join(dir, '.loupe', 'alt-text.json'), 'utf8'));
      assert.deepEqual(Object.keys(records.images), ['a.png']);
      const cache = JSON.parse(await readFile(join(dir, CACHE), 'utf8'));
      assert.equal(Object.keys(cache.entries).length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('skips images it cannot describe and keeps going', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loupe-skip-'));
    try {
      const png = (r: number) => sharp({ create: { width: 4, height: 4, channels: 3, background: { r, g: 0, b: 0 } } }).png().toFile(join(dir, `${r}.png`));
      await Promise.all([png(1), png(2), png(3)]);
      await writeFile(join(dir, 'a.md'), '![](1.png) ![](2.png) ![](3.png) ![](https://example.invalid/x.png) ![](missing.png)\n');
      const generate = testGenerator(async ({ imagePath: path }) => {
        if (path.endsWith('1.png')) throw new Error('engine crashed');
        if (path.endsWith('2.png')) return 'Image.';
        return 'A red square.';
      });
      const result = await fixPaths(['a.md'], generate, { cwd: dir, cachePath: CACHE });
      assert.equal(await readFile(join(dir, 'a.md'), 'utf8'), '![](1.png) ![](2.png) ![A red square.](3.png) ![](https://example.invalid/x.png) ![](missing.png)\n');
      assert.deepEqual(
        result.skipped.map((skip) => `${skip.line}:${skip.column} ${skip.reason}`),
        [
          '1:1 generation failed: engine crashed',
          '1:12 the model\'s answer is not usable alt text: "Image."',
          '1:34 not described: https://example.invalid/x.png is not a local file (Loupe works offline)',
          '1:69 not described: image file not found (looked for missing.png)',
        ],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
