import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkDecodable, ImageRefused } from '../../../src/features/askPanel/imageCheck';
import { imageFixture } from '../../support/paths';

const fixture = (name: string, mime: string) => ({ name, mime, bytes: new Uint8Array(readFileSync(imageFixture(name))) });

describe('image intake check', () => {
  it('accepts images that decode to the end', async () => {
    await checkDecodable(fixture('screenshot-256x384.png', 'image/png'));
    await checkDecodable(fixture('exif-rotated.jpg', 'image/jpeg'));
    await checkDecodable(fixture('animated.gif', 'image/gif'));
  });

  it('refuses a corrupt JPEG and a truncated PNG with a plain reason, not the decoder’s words', async () => {
    for (const [name, mime] of [['corrupt.jpg', 'image/jpeg'], ['truncated.png', 'image/png']] as const) {
      await assert.rejects(checkDecodable(fixture(name, mime)), (error: Error) => {
        assert.ok(error instanceof ImageRefused, String(error));
        assert.match(error.message, new RegExp(`^${name.replace('.', '\\.')} is (damaged|incomplete or damaged)`));
        assert.match(error.message, /Choose another image/);
        assert.doesNotMatch(error.message, /vips|libpng|jpeg:|premature|Input buffer/i);
        return true;
      });
    }
  });
});
