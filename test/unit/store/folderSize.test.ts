// A model's size on disk counts a file hard-linked into its CPU-optimised copy once.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { folderSize } from '../../../src/store/store';

test('hard links are counted once, separate files each time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-size-'));
  try {
    writeFileSync(join(dir, 'weights.onnx_data'), Buffer.alloc(1000));
    writeFileSync(join(dir, 'config.json'), Buffer.alloc(10));
    mkdirSync(join(dir, 'loupe-optimized'));
    linkSync(join(dir, 'weights.onnx_data'), join(dir, 'loupe-optimized', 'weights.onnx_data'));
    writeFileSync(join(dir, 'loupe-optimized', 'decoder.onnx'), Buffer.alloc(100));
    assert.equal(await folderSize(dir), 1110);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
