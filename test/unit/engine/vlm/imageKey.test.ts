import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageKey } from '../../../../src/engine/vlm/conversationCache';
import { cropImage, regionWithin } from '../../../../src/imaging/region';
import type { RgbImage } from '../../../../src/imaging/rgbImage';
import { resolveOptions } from '../../../../src/protocol/options';

const vision = resolveOptions('fast', {}).vision;
const plain = (width: number, height: number, value = 200): RgbImage => ({ data: new Uint8Array(width * height * 3).fill(value), width, height });

describe('the vision cache key', () => {
  it('tells two regions with the same pixels apart', () => {
    const image = plain(100, 100);
    const left = cropImage(image, regionWithin({ x: 0, y: 0, width: 20, height: 20 }, 100, 100));
    const right = cropImage(image, regionWithin({ x: 50, y: 50, width: 20, height: 20 }, 100, 100));
    assert.deepEqual(left.data, right.data, 'the same pixels');
    assert.notEqual(imageKey([left], vision), imageKey([right], vision));
    assert.equal(imageKey([left], vision), imageKey([cropImage(image, left.region)], vision), 'the same region again');
  });

  it('keys a comparison on both images in order', () => {
    const [a, b] = [plain(10, 10, 1), plain(10, 10, 2)];
    assert.notEqual(imageKey([a, b], vision), imageKey([b, a], vision));
    assert.notEqual(imageKey([a, b], vision), imageKey([a], vision));
  });
});
