/**
 * `loupe alt-text check|fix` (the built CLI, the tiny model) on the documents issue 14 used to
 * break it: a Latin-1 file, UTF-16 Markdown, a symlink cycle and a 2 MB document. Each is
 * checked correctly or refused with exit 2 and a line naming the file; nothing hangs and no
 * byte of a refused file changes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { repoRoot, tinyModelDir } from '../support/paths';

function loupe(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], {
      cwd,
      env: { ...process.env, LOUPE_HOME: join(cwd, '.home'), LOUPE_MODEL: tinyModelDir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

describe('loupe alt-text on hostile documents', () => {
  let dir: string;
  const latin1 = Buffer.from('# Caf\xe9\n\n![](a.png)\n', 'latin1');
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-hostile-docs-'));
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#3366aa' } }).png().toFile(join(dir, 'a.png'));
    writeFileSync(join(dir, 'latin1.md'), latin1);
    writeFileSync(join(dir, 'utf16.md'), utf16le('# Über\n\n![](a.png)\n'));
    writeFileSync(join(dir, 'huge.md'), `![](a.png)\n${'word '.repeat(400_000)}\n`);
    mkdirSync(join(dir, 'sub'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    symlinkSync('../sub', join(dir, 'sub', 'again'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check: finds the UTF-16 image, refuses the Latin-1 and the 2 MB files with exit 2', { timeout: 60_000 }, async () => {
    const run = await loupe(['alt-text', 'check', '.'], dir);
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 3, run.stdout);
    assert.match(lines[0], /^huge\.md:1:1: not checked: 2,000,012 bytes, over the 1 MB limit for alt text checks/);
    assert.match(lines[1], /^latin1\.md:1:6: cannot read: byte 0xE9 is not UTF-8 .*convert it to UTF-8/);
    assert.match(lines[2], /^utf16\.md:3:1: Image "a\.png" has empty alt text/);
  });

  it('fix: writes the UTF-16 file as UTF-16, leaves the refused ones byte for byte, exits 2 naming them', { timeout: 300_000 }, async () => {
    const run = await loupe(['alt-text', 'fix', '.'], dir);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^latin1\.md:1:6: cannot read: byte 0xE9/m);
    assert.match(run.stderr, /^huge\.md:1:1: not checked/m);
    assert.match(run.stderr, /1 alt text\(s\) written in 1 file\(s\).*; 2 file\(s\) left unchanged/);
    assert.deepEqual(readFileSync(join(dir, 'latin1.md')), latin1);
    const utf16 = readFileSync(join(dir, 'utf16.md'));
    assert.deepEqual([...utf16.subarray(0, 2)], [0xff, 0xfe], 'still UTF-16 LE with its mark');
    assert.match(new TextDecoder('utf-16le').decode(utf16.subarray(2)), /^# Über\n\n!\[.+\]\(a\.png\)\n$/);
  });
});
