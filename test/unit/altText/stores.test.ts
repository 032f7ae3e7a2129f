import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AltTextCache, defaultAltCachePath } from '../../../src/altText/altCache';
import { createGitignoreMatcher } from '../../../src/altText/gitignoreMatcher';
import { imageFileCandidates, resolveImageFile, resolveImageFileSync, sha256File, unreadableSource } from '../../../src/altText/imageFiles';
import { AltTextRecords } from '../../../src/altText/staleAlt';
import { suiteScratchDir } from '../../support/scratchDir';

describe('alt text cache and records', () => {
  const dir = suiteScratchDir('loupe-stores-');

  const key = { sha256: 'a'.repeat(64), model: 'LiquidAI/LFM2-VL-450M@abc', precision: 'q4', maxLength: 125, language: 'en' };

  it('cache: survives a save/load round trip, keyed by image, model, precision, length and language', async () => {
    const path = join(dir(), 'nested', 'cache.json');
    const cache = await AltTextCache.load(path);
    assert.equal(cache.get(key), undefined);
    cache.set(key, 'A cat.');
    await cache.save();
    const loaded = await AltTextCache.load(path);
    assert.equal(loaded.get(key), 'A cat.');
    for (const other of [{ model: 'other' }, { precision: 'fp16' }, { maxLength: 80 }, { language: 'de' }, { sha256: 'b'.repeat(64) }]) {
      assert.equal(loaded.get({ ...key, ...other }), undefined, JSON.stringify(other));
    }
  });

  it('cache: two writers (the CLI beside the editor) keep each other\'s answers', async () => {
    const path = join(dir(), 'shared.json');
    const [editor, cli] = [await AltTextCache.load(path), await AltTextCache.load(path)];
    editor.set(key, 'A cat.');
    cli.set({ ...key, language: 'de' }, 'Eine Katze.');
    await editor.save();
    await cli.save();
    const both = await AltTextCache.load(path);
    assert.deepEqual([both.get(key), both.get({ ...key, language: 'de' })], ['A cat.', 'Eine Katze.']);
  });

  it('cache: one file per user, outside any repository', () => {
    assert.equal(defaultAltCachePath({ LOUPE_HOME: '/srv/loupe' }), join('/srv/loupe', 'alt-text-cache.json'));
    assert.equal(defaultAltCachePath({}), join(homedir(), '.cache', 'loupe', 'alt-text-cache.json'));
  });

  it('records: keys are workspace-relative with / separators', async () => {
    const records = await AltTextRecords.load('.loupe/alt-text.json', dir());
    records.record(join(dir(), 'img', 'a.png'), 'b'.repeat(64), 'A dog.');
    await records.save();
    const saved = JSON.parse(await readFile(join(dir(), '.loupe', 'alt-text.json'), 'utf8'));
    assert.deepEqual(Object.keys(saved.images), ['img/a.png']);
    assert.equal((await AltTextRecords.load('.loupe/alt-text.json', dir())).get(join(dir(), 'img', 'a.png'))?.alt, 'A dog.');
  });

  it('a corrupt file is an error naming the file and the way out', async () => {
    const broken = join(dir(), 'broken.json');
    await writeFile(broken, '{"version": 2, "entries": ');
    await assert.rejects(AltTextCache.load(broken), (error: Error) => error.message.includes(broken) && /not valid JSON.*delete it/.test(error.message));
    await writeFile(broken, '{"version": 2, "images": {}}');
    await assert.rejects(AltTextRecords.load(broken, dir()), /broken\.json is not a Loupe alt text record: version/);
  });
});

describe('image files', () => {
  const dir = suiteScratchDir('loupe-images-');

  it('resolves relative, root-relative (incl. public/ and static/), file: and explains the rest', () => {
    const root = '/work/site';
    assert.deepEqual(imageFileCandidates('../img/a%20b.png?v=2#x', '/work/site/docs/page.md', root), { files: ['/work/site/img/a b.png'] });
    assert.deepEqual(imageFileCandidates('/logo.png', '/work/site/docs/page.md', root), {
      files: ['/work/site/logo.png', '/work/site/public/logo.png', '/work/site/static/logo.png'],
    });
    assert.deepEqual(imageFileCandidates('file:///tmp/x.png', '/a.md', root), { files: ['/tmp/x.png'] });
    for (const [src, reason] of [
      ['https://example.invalid/a.png', /not a local file/],
      ['//cdn.example.invalid/a.png', /not a local file/],
      ['data:image/png;base64,AAAA', /inline data: image/],
      ['{hero}', /JavaScript expression/],
      ['', /no src/],
    ] as const) {
      const result = imageFileCandidates(src, '/a.md', root);
      assert.ok('problem' in result && reason.test(result.problem), src);
    }
  });

  // The quick fixes offer Generate only where this says nothing: remote URLs once got it and failed.
  it('tells the sources Loupe never describes from their text alone, and no others', () => {
    const kinds = Object.fromEntries(
      ['https://example.invalid/a.png', 'HTTP://example.invalid/a.png', '//cdn.example.invalid/a.png', 'ftp://example.invalid/a.png', 'data:image/png;base64,AAAA', '{hero}', ' ', 'img/a.png', '/logo.png', 'file:///tmp/x.png', 'a%20b.png?v=2'].map((src) => [src, unreadableSource(src)?.kind]),
    );
    assert.deepEqual(kinds, {
      'https://example.invalid/a.png': 'remote',
      'HTTP://example.invalid/a.png': 'remote',
      '//cdn.example.invalid/a.png': 'remote',
      'ftp://example.invalid/a.png': 'remote',
      'data:image/png;base64,AAAA': 'inline',
      '{hero}': 'expression',
      ' ': 'empty',
      'img/a.png': undefined,
      '/logo.png': undefined,
      'file:///tmp/x.png': undefined,
      'a%20b.png?v=2': undefined,
    });
  });

  it('finds the existing candidate and hashes its bytes', async () => {
    await writeFile(join(dir(), 'a.png'), 'abc');
    const found = await resolveImageFile('a.png', join(dir(), 'doc.md'), dir());
    assert.deepEqual(found, { path: join(dir(), 'a.png') });
    // sha256("abc")
    assert.equal(await sha256File(join(dir(), 'a.png')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.deepEqual(await resolveImageFile('b.png', join(dir(), 'doc.md'), dir()), { problem: 'image file not found (looked for b.png)' });
  });

  // The quick fix once found <root>/public/img/a.png while Ask About Image Under Cursor looked
  // only at <root>/img/a.png; both now go through these two, which must agree.
  it('`/img/a.png` is the same file for the quick fix and Ask About Image Under Cursor', async () => {
    const site = join(dir(), 'site');
    await mkdir(join(site, 'public', 'img'), { recursive: true });
    await mkdir(join(site, 'docs'), { recursive: true });
    await writeFile(join(site, 'public', 'img', 'a.png'), 'png');
    const document = join(site, 'docs', 'page.md');
    const expected = { path: join(site, 'public', 'img', 'a.png') };
    assert.deepEqual(await resolveImageFile('/img/a.png', document, site), expected);
    assert.deepEqual(resolveImageFileSync('/img/a.png', document, site), expected);
    assert.deepEqual(resolveImageFileSync('/img/b.png', document, site), await resolveImageFile('/img/b.png', document, site));
    assert.deepEqual(resolveImageFileSync('https://example.invalid/a.png', document, site), await resolveImageFile('https://example.invalid/a.png', document, site));
  });
});

describe('gitignore matcher', () => {
  it('applies nested files, negation and ignored folders like git', () => {
    const isIgnored = createGitignoreMatcher([
      { dir: '/r/docs', content: '!keep.md\n' },
      { dir: '/r', content: 'drafts/\n*.gen.md\nbuild\n' },
    ]);
    assert.equal(isIgnored('/r/drafts/a.md'), true);
    assert.equal(isIgnored('/r/docs/x.gen.md'), true);
    assert.equal(isIgnored('/r/docs/keep.md'), false);
    assert.equal(isIgnored('/r/build/sub/a.md'), true);
    assert.equal(isIgnored('/r/docs/a.md'), false);
    assert.equal(isIgnored('/elsewhere/drafts/a.md'), false);
  });
});
