import assert from 'node:assert/strict';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readImageFile } from '../../../src/features/imageBytes';
import { imageFixture } from '../../support/paths';

/** The Ask panel's file read (VS Code's workspace.fs there), over real files here. */
function fileSystem(path: string) {
  const reads: string[] = [];
  return { reads, stat: () => stat(path), read: () => (reads.push(path), readFile(path)) };
}

describe('an image dropped or picked into the panel', () => {
  it('is refused by its size before a byte of it is read', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'loupe-drop-')), 'huge.png');
    writeFileSync(path, '');
    truncateSync(path, 60_000_000);
    const fs = fileSystem(path);
    await assert.rejects(readImageFile('huge.png', fs.stat, fs.read), /^Error: huge\.png is 60 MB, more than the 50 MB Loupe reads\./);
    assert.deepEqual(fs.reads, []);
  });

  it('is read and its type sniffed when the size is fine', async () => {
    const fs = fileSystem(imageFixture('screenshot-256x384.png'));
    const { bytes, format } = await readImageFile('screenshot.png', fs.stat, fs.read);
    assert.equal(format.mime, 'image/png');
    assert.ok(bytes.length > 0);
  });
});
