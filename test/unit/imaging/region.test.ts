import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../../src/protocol/engineError';
import type { OcrResult } from '../../../src/protocol/engine';
import { cropImage, ocrInFullImage, regionWithin } from '../../../src/imaging/region';
import type { RgbImage } from '../../../src/imaging/rgbImage';

/** Every pixel says where it is: r = x, g = y, b = x ^ y (all below 256 in these sizes). */
function coordinateImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, x ^ y], (y * width + x) * 3);
  }
  return { data, width, height };
}

describe('regions of an image', () => {
  it('crops exactly the region: each crop pixel is the full image pixel at the offset', () => {
    const image = coordinateImage(40, 30);
    const region = regionWithin({ x: 7, y: 5, width: 13, height: 11 }, image.width, image.height);
    const crop = cropImage(image, region);
    assert.equal(crop.width, 13);
    assert.equal(crop.height, 11);
    for (let y = 0; y < crop.height; y++) {
      for (let x = 0; x < crop.width; x++) {
        const at: number = (y * crop.width + x) * 3;
        assert.deepEqual([...crop.data.subarray(at, at + 3)], [x + 7, y + 5, (x + 7) ^ (y + 5)], `crop pixel ${x},${y}`);
      }
    }
  });

  it('keeps a region inside the image as it is and cuts one that reaches past an edge', () => {
    assert.deepEqual(regionWithin({ x: 0, y: 0, width: 40, height: 30 }, 40, 30), { x: 0, y: 0, width: 40, height: 30 });
    assert.deepEqual(regionWithin({ x: 30, y: 20, width: 50, height: 50 }, 40, 30), { x: 30, y: 20, width: 10, height: 10 });
  });

  it('scales a region given in pixels of another size (an SVG previewed at its declared size, rendered larger)', () => {
    assert.deepEqual(regionWithin({ x: 120, y: 75, width: 240, height: 150, of: { width: 480, height: 300 } }, 1024, 640), { x: 256, y: 160, width: 512, height: 320 });
    assert.deepEqual(regionWithin({ x: 1, y: 1, width: 1, height: 1, of: { width: 3, height: 3 } }, 10, 10), { x: 3, y: 3, width: 4, height: 4 }, 'outward to whole pixels');
    assert.deepEqual(regionWithin({ x: 10, y: 10, width: 5, height: 5, of: { width: 40, height: 30 } }, 40, 30), { x: 10, y: 10, width: 5, height: 5 });
  });

  it('refuses a region with nothing inside the image, naming the image size', () => {
    for (const region of [
      { x: 40, y: 0, width: 5, height: 5 },
      { x: 0, y: 30, width: 5, height: 5 },
      { x: 100, y: 100, width: 1, height: 1 },
    ]) {
      assert.throws(
        () => regionWithin(region, 40, 30),
        (error: unknown) => error instanceof EngineError && error.code === 'BAD_INPUT' && /outside the 40x30 image/.test(error.message),
        JSON.stringify(region),
      );
    }
  });

  it('maps OCR boxes found in the crop back to the full image and back again', () => {
    const region = { x: 100, y: 40, width: 200, height: 80 };
    const inCrop: OcrResult = {
      width: 200,
      height: 80,
      text: 'Save',
      ms: 1,
      lines: [{ text: 'Save', confidence: 0.9, block: 0, box: [[10, 5], [60, 5], [60, 25], [10, 25]] }],
    };
    const full = ocrInFullImage(inCrop, region, { width: 800, height: 600 });
    assert.equal(full.width, 800);
    assert.equal(full.height, 600);
    assert.deepEqual(full.lines[0]!.box, [[110, 45], [160, 45], [160, 65], [110, 65]]);
  });

  it('round trip across the two: a corner found in the crop, mapped back, is the same pixel of the full image', () => {
    const image = coordinateImage(120, 90);
    const region = regionWithin({ x: 31, y: 17, width: 50, height: 40 }, image.width, image.height);
    const crop = cropImage(image, region);
    const box: [number, number][] = [[3, 4], [45, 4], [45, 36], [3, 36]];
    const inCrop: OcrResult = { width: crop.width, height: crop.height, text: 'x', ms: 1, lines: [{ text: 'x', confidence: 1, block: 0, box: box as OcrResult['lines'][0]['box'] }] };
    const mapped = ocrInFullImage(inCrop, region, image).lines[0]!.box;
    const pixel = (of: RgbImage, [x, y]: [number, number]) => [...of.data.subarray((y * of.width + x) * 3, (y * of.width + x) * 3 + 3)];
    box.forEach((corner, i) => assert.deepEqual(pixel(image, mapped[i]!), pixel(crop, corner), `corner ${i}`));
  });
});
