import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClipboardImageError, clipboardImageReaderAvailable, parseAppleScriptData, readClipboardImage } from '../../../src/features/clipboardImage';

const hasXclip = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v xclip']);
    return true;
  } catch {
    return false;
  }
})();

describe('readClipboardImage on Linux', () => {
  it('says the clipboard is unreachable when there is no display at all', async () => {
    await assert.rejects(readClipboardImage('linux', { PATH: process.env.PATH }), (error: Error) => {
      assert.ok(error instanceof ClipboardImageError);
      assert.match(error.message, /cannot reach a clipboard here: .*without a desktop/);
      assert.match(error.message, /Ctrl\/Cmd\+V/);
      return true;
    });
  });

  it('names the tools to install when neither xclip nor wl-paste exists', async () => {
    const emptyPath = mkdtempSync(join(tmpdir(), 'loupe-no-tools-'));
    await assert.rejects(readClipboardImage('linux', { PATH: emptyPath, DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' }), /needs wl-clipboard \(Wayland\) or xclip \(X11\)/);
  });

  it('reports what xclip said when the display cannot be opened', { skip: !hasXclip && 'xclip is not installed' }, async () => {
    await assert.rejects(readClipboardImage('linux', { PATH: process.env.PATH, DISPLAY: ':87' }), (error: Error) => {
      assert.ok(error instanceof ClipboardImageError);
      assert.match(error.message, /Could not read the clipboard with xclip: .*display/i);
      return true;
    });
  });
});

describe('clipboardImageReaderAvailable (what hides the clipboard command)', () => {
  const toolDir = (...tools: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-tools-'));
    for (const tool of tools) {
      writeFileSync(join(dir, tool), '#!/bin/sh\n');
      chmodSync(join(dir, tool), 0o755);
    }
    return dir;
  };

  it('needs a display and its tool on Linux', async () => {
    assert.equal(await clipboardImageReaderAvailable('linux', { PATH: toolDir('xclip') }), false, 'no display');
    assert.equal(await clipboardImageReaderAvailable('linux', { PATH: toolDir(), DISPLAY: ':0' }), false, 'no xclip');
    assert.equal(await clipboardImageReaderAvailable('linux', { PATH: toolDir('wl-paste'), DISPLAY: ':0' }), false, 'wl-paste without Wayland');
    assert.equal(await clipboardImageReaderAvailable('linux', { PATH: toolDir('xclip'), DISPLAY: ':0' }), true);
    assert.equal(await clipboardImageReaderAvailable('linux', { PATH: `${toolDir()}:${toolDir('wl-paste')}`, WAYLAND_DISPLAY: 'wayland-0' }), true);
  });

  it('counts on the built-in tools of Windows and macOS', async () => {
    assert.equal(await clipboardImageReaderAvailable('win32', {}), true);
    assert.equal(await clipboardImageReaderAvailable('darwin', {}), true);
    assert.equal(await clipboardImageReaderAvailable('aix', {}), false);
  });
});

describe('parseAppleScriptData', () => {
  it('decodes the PNG bytes osascript prints', () => {
    assert.deepEqual([...parseAppleScriptData('«data PNGf89504E470D0A1A0A»\n')], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('treats other output as an empty clipboard', () => {
    assert.throws(() => parseAppleScriptData('«data TIFF4D4D»'), /holds no image/);
  });
});
