/**
 * Issue 22: documents that point outside the workspace, and batches that use one image many
 * times. (Read-only documents and the cache: concurrentEdits.test.ts; appenders:
 * test/integration/documentAppenders.test.ts.)
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { AltTextGenerator, AltTextRequest } from '../../../src/altText/altProposals';
import { fixPaths } from '../../../src/altText/cliFix';

function recordingGenerator(concurrency = 1): { generator: AltTextGenerator; asked: string[] } {
  const asked: string[] = [];
  const generator: AltTextGenerator = {
    concurrency,
    model: async () => ({ model: 'test-model', precision: 'q4' }),
    generate: async ({ imagePath }: AltTextRequest) => {
      asked.push(imagePath);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'A blue square';
    },
  };
  return { generator, asked };
}

describe('documents that point outside the workspace', () => {
  let base: string;
  let workspace: string;
  let outside: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'loupe-hostile-docs-'));
    workspace = join(base, 'workspace');
    outside = join(base, 'secret');
    await mkdir(workspace);
    await mkdir(outside);
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366aa' } }).png().toFile(join(outside, 'secret.png'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#aa3366' } }).png().toFile(join(workspace, 'inside.png'));
    await symlink(join(outside, 'secret.png'), join(workspace, 'linked.png'));
  });
  after(() => rm(base, { recursive: true, force: true }));

  const doc = () =>
    ['![](../secret/secret.png)', `![](${pathToFileURL(join(outside, 'secret.png')).href})`, '![](linked.png)', `<img src="${join(outside, 'secret.png')}">`, '![](inside.png)', ''].join('\n\n');

  it('reads (and sends) no image from outside, says why, and records no outside path', async () => {
    await writeFile(join(workspace, 'doc.md'), doc());
    const { generator, asked } = recordingGenerator();
    const result = await fixPaths(['doc.md'], generator, { cwd: workspace, cachePath: join(base, 'cache-1.json') });
    assert.deepEqual(asked, [join(workspace, 'inside.png')]);
    const reasons = result.skipped.map((skip) => skip.reason);
    assert.equal(reasons.length, 4, JSON.stringify(reasons));
    for (const reason of reasons.slice(0, 3)) assert.match(reason, /secret\.png is outside the workspace, and Loupe reads no image from outside it/);
    // An absolute path is site-root relative, as on the web: it cannot leave the workspace either.
    assert.match(reasons[3]!, /image file not found \(looked for tmp\//);
    const records = await readFile(join(workspace, '.loupe', 'alt-text.json'), 'utf8');
    assert.ok(!records.includes('secret'), records);
    assert.match(await readFile(join(workspace, 'doc.md'), 'utf8'), /!\[A blue square\.\]\(inside\.png\)/);
  });

  it('reads images from a folder the user named', async () => {
    await writeFile(join(workspace, 'named.md'), '![](../secret/secret.png)\n\n![](linked.png)\n');
    const { generator, asked } = recordingGenerator();
    const result = await fixPaths(['named.md'], generator, { cwd: workspace, cachePath: join(base, 'cache-2.json'), imageFolders: ['../secret'] });
    assert.deepEqual(result.skipped, []);
    assert.equal(asked.length, 1, 'the same bytes are described once');
    assert.equal(await readFile(join(workspace, 'named.md'), 'utf8'), '![A blue square.](../secret/secret.png)\n\n![A blue square.](linked.png)\n');
  });
});

describe('one image used many times in a batch', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loupe-dedupe-'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366aa' } }).png().toFile(join(dir, 'logo.png'));
    await copyFile(join(dir, 'logo.png'), join(dir, 'logo-copy.png'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is described once, by content, even with requests in flight at once', async () => {
    await writeFile(join(dir, 'a.md'), '![](logo.png)\n\n![](logo.png)\n');
    await writeFile(join(dir, 'b.md'), '![](logo.png)\n\n![](logo-copy.png)\n\n![](./logo.png)\n');
    const { generator, asked } = recordingGenerator(4);
    const result = await fixPaths(['a.md', 'b.md'], generator, { cwd: dir, cachePath: join(dir, 'cache.json') });
    assert.equal(asked.length, 1, `asked ${asked.length} times`);
    assert.equal(result.written, 5);
    assert.equal(result.generated, 1);
    assert.equal(await readFile(join(dir, 'b.md'), 'utf8'), '![A blue square.](logo.png)\n\n![A blue square.](logo-copy.png)\n\n![A blue square.](./logo.png)\n');
  });
});
