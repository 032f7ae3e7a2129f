/**
 * Issue 14, item 5: `alt-text fix` wrote back the text it had read at the start, losing what the
 * author typed while the model worked. Each file is read again before writing: edits elsewhere
 * are kept, edits where Loupe writes make it leave the file alone (reported, the others fixed),
 * and the file is written in place (src/altText/documentWrite.ts) with its mode, inode and
 * symlink kept. Issue 22: a read-only file is never written.
 */
import assert from 'node:assert/strict';
import { chmod, link, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { applyTextEdits } from '../../../src/altText/altEdits';
import type { AltTextGenerator } from '../../../src/altText/altProposals';
import { fixPaths } from '../../../src/altText/cliFix';
import { testGenerator } from './fixtureTree';
import { rebaseEdits } from '../../../src/altText/rebaseEdits';

describe('rebaseEdits', () => {
  const before = 'one\n![](a.png)\nthree\n![](b.png)\n';
  // Alt text into both labels, as fix computes it on the text it read.
  const edits = ['](a.png)', '](b.png)'].map((label, i) => ({ start: before.indexOf(label), end: before.indexOf(label), newText: 'AB'[i] }));

  it('moves edits past lines added, removed or changed elsewhere', () => {
    const after = 'zero\none\n![](a.png)\nTHREE and more\n![](b.png)\n';
    assert.equal(applyTextEdits(after, rebaseEdits(before, after, edits)!), 'zero\none\n![A](a.png)\nTHREE and more\n![B](b.png)\n');
    assert.equal(applyTextEdits(before, rebaseEdits(before, before, edits)!), 'one\n![A](a.png)\nthree\n![B](b.png)\n');
  });

  it('refuses when a line an edit touches changed', () => {
    assert.equal(rebaseEdits(before, before.replace('a.png', 'c.png'), edits), undefined);
    assert.equal(rebaseEdits(before, before.replace('![](b.png)\n', ''), edits), undefined);
  });
});

describe('fix while the documents are being edited', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loupe-concurrent-'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366aa' } }).png().toFile(join(dir, 'a.png'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#aa3366' } }).png().toFile(join(dir, 'b.png'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A model that takes its time, during which the author edits `file` with `edit`. */
  const editingWhileGenerating =
    (file: string, edit: (text: string) => string): AltTextGenerator =>
      testGenerator(async ({ imagePath }) => {
        await writeFile(join(dir, file), edit(await readFile(join(dir, file), 'utf8')));
        return imagePath.endsWith('a.png') ? 'A blue square' : 'A red square';
      });

  it('keeps what the author wrote meanwhile and adds the alt text where it belongs', async () => {
    await writeFile(join(dir, 'kept.md'), '# Title\n\n![](a.png)\n\nEnd.\n');
    await chmod(join(dir, 'kept.md'), 0o640);
    const result = await fixPaths(['kept.md'], editingWhileGenerating('kept.md', (text) => `Intro.\n\n${text}More.\n`), {
      cwd: dir,
      cachePath: 'cache-1.json',
    });
    assert.equal(await readFile(join(dir, 'kept.md'), 'utf8'), 'Intro.\n\n# Title\n\n![A blue square.](a.png)\n\nEnd.\nMore.\n');
    assert.deepEqual(result.problems, []);
    assert.equal((await stat(join(dir, 'kept.md'))).mode & 0o777, 0o640, 'mode kept');
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('.loupe-')), [], 'no backup or temporary file left');
  });

  it('leaves a file alone when its image lines changed, reports it, and fixes the others', async () => {
    await writeFile(join(dir, 'changed.md'), 'Text\n![](a.png)\n');
    await writeFile(join(dir, 'other.md'), '![](b.png)\n');
    const typed = 'Text\n![Written by hand](a.png)\n';
    const result = await fixPaths(['changed.md', 'other.md'], editingWhileGenerating('changed.md', () => typed), {
      cwd: dir,
      cachePath: 'cache-2.json',
    });
    assert.equal(await readFile(join(dir, 'changed.md'), 'utf8'), typed, "the author's edit survives");
    assert.equal(await readFile(join(dir, 'other.md'), 'utf8'), '![A red square.](b.png)\n');
    assert.deepEqual(
      result.problems.map((problem) => [problem.file, problem.message]),
      [[join(dir, 'changed.md'), 'not fixed: the file was edited where Loupe writes while the model worked; run fix again (the answers are cached)']],
    );
    assert.deepEqual(result.changedFiles, [join(dir, 'other.md')]);
  });

  it('writes the target of a symlinked document, keeping the link, and keeps the inode (hard links too)', async () => {
    await writeFile(join(dir, 'target.md'), '![](a.png)\n');
    await symlink('target.md', join(dir, 'link.md'));
    await link(join(dir, 'target.md'), join(dir, 'hard.md'));
    const inode = (await stat(join(dir, 'target.md'))).ino;
    const result = await fixPaths(['link.md'], testGenerator(async () => 'A blue square'), { cwd: dir, cachePath: 'cache-3.json' });
    assert.deepEqual(result.problems, []);
    assert.equal(await readlink(join(dir, 'link.md')), 'target.md');
    assert.equal(await readFile(join(dir, 'target.md'), 'utf8'), '![A blue square.](a.png)\n');
    assert.equal((await stat(join(dir, 'target.md'))).ino, inode, 'same inode: a program holding it open keeps writing to this file');
    assert.equal(await readFile(join(dir, 'hard.md'), 'utf8'), '![A blue square.](a.png)\n');
  });

  it('an edit that shortens the file keeps the text after it and leaves nothing behind', async () => {
    const tail = 'After the image.\n'.repeat(5000);
    await writeFile(join(dir, 'shorter.md'), `![screenshot-of-the-settings-page-2024-01-01-final-v2.png](a.png)\n${tail}`);
    const result = await fixPaths(['shorter.md'], testGenerator(async () => 'A blue square'), { cwd: dir, cachePath: 'cache-5.json' });
    assert.deepEqual(result.problems, []);
    assert.equal(await readFile(join(dir, 'shorter.md'), 'utf8'), `![A blue square.](a.png)\n${tail}`);
  });

  it('never writes a read-only file, even as root: a problem named, no model time spent, the others fixed', async () => {
    await writeFile(join(dir, 'locked.md'), '![](a.png)\n');
    await chmod(join(dir, 'locked.md'), 0o444);
    await writeFile(join(dir, 'open.md'), '![](b.png)\n');
    const asked: string[] = [];
    const result = await fixPaths(['locked.md', 'open.md'], testGenerator(async ({ imagePath }) => (asked.push(imagePath), 'A red square')), { cwd: dir, cachePath: 'cache-4.json' });
    assert.equal(await readFile(join(dir, 'locked.md'), 'utf8'), '![](a.png)\n');
    assert.equal((await stat(join(dir, 'locked.md'))).mode & 0o777, 0o444);
    assert.deepEqual(result.problems.map((problem) => [problem.file, problem.message]), [[join(dir, 'locked.md'), 'not fixed: the file is read-only; make it writable (chmod u+w) if Loupe should fix it']]);
    assert.deepEqual(asked, [join(dir, 'b.png')]);
    assert.equal(await readFile(join(dir, 'open.md'), 'utf8'), '![A red square.](b.png)\n');
  });

  it('a cache that cannot be saved is a warning: the fix is written and recorded', async () => {
    await writeFile(join(dir, 'cached.md'), '![](a.png)\n');
    await writeFile(join(dir, 'not-a-folder'), '');
    const result = await fixPaths(['cached.md'], testGenerator(async () => 'A blue square'), { cwd: dir, cachePath: 'not-a-folder/cache.json' });
    assert.equal(await readFile(join(dir, 'cached.md'), 'utf8'), '![A blue square.](a.png)\n');
    assert.deepEqual(result.problems, []);
    assert.equal(result.warnings.length, 2, result.warnings.join('\n'));
    assert.match(result.warnings[0]!, /Cannot read alt text cache .*this run goes without the cache/);
    assert.match(result.warnings[1]!, /alt text cache was not saved/);
    assert.match(await readFile(join(dir, '.loupe', 'alt-text.json'), 'utf8'), /A blue square\./, 'recorded');
  });
});
