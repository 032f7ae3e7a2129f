/**
 * Issue 14, item 9: symlink cycles hung `alt-text check` and `fix`, even for one named file (the
 * `.gitignore` walk followed them too). Walks no longer enter symlinked folders, a linked file
 * counts once, and a named link loop is a clear error. The timeouts turn a hang into a failure.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { runCheck } from '../../../src/altText/cliCheck';
import { fixPaths } from '../../../src/altText/cliFix';
import { testGenerator } from './fixtureTree';

const HANG = { timeout: 20_000 };

describe('symbolic links in the documents', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loupe-symlinks-'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366aa' } }).png().toFile(join(dir, 'a.png'));
    await mkdir(join(dir, 'docs', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'docs', 'page.md'), '![](../a.png)\n');
    // Two links that lead back up: every walk through them doubles, for ever.
    await symlink('..', join(dir, 'docs', 'up'));
    await symlink('../..', join(dir, 'docs', 'deeper', 'top'));
    // A file linked from elsewhere, a link to itself, and a pair that point at each other.
    await symlink('docs/page.md', join(dir, 'linked.md'));
    await symlink('self.md', join(dir, 'self.md'));
    await symlink('pong.md', join(dir, 'ping.md'));
    await symlink('ping.md', join(dir, 'pong.md'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('checks one named file in a tree with cycles', HANG, async () => {
    const report = await runCheck(['docs/page.md'], dir, { recordsPath: false });
    assert.deepEqual(report.lines.map((line) => line.split(': ')[0]), ['docs/page.md:1:1']);
  });

  it('walks a folder with cycles once, counting a linked file once and skipping link loops', HANG, async () => {
    const report = await runCheck(['.'], dir, { recordsPath: false });
    assert.deepEqual(report.files, [join(dir, 'docs', 'page.md')]);
    assert.equal(report.exitCode, 1);
  });

  it('says a named link loop is one, and a named dangling link is broken', HANG, async () => {
    await assert.rejects(runCheck(['self.md'], dir), /^Error: self\.md: is a symbolic link loop \(it leads back to itself\); fix or remove the link\.$/);
    await assert.rejects(runCheck(['ping.md'], dir), /ping\.md: is a symbolic link loop/);
    await symlink('missing.md', join(dir, 'dangling.md'));
    await assert.rejects(runCheck(['dangling.md'], dir), /dangling\.md: is a broken symbolic link/);
  });

  it('fixes a tree with cycles, writing the linked file once through its link', HANG, async () => {
    const result = await fixPaths(['.', 'linked.md'], testGenerator(async () => 'A blue square'), { cwd: dir, cachePath: 'cache.json' });
    assert.equal(result.written, 1);
    assert.equal(await readFile(join(dir, 'docs', 'page.md'), 'utf8'), '![A blue square.](../a.png)\n');
  });
});
