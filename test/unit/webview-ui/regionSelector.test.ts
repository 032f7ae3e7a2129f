import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampRegion, describeRegion, initialRegion, nudgeRegion, regionBetween } from '../../../webview-ui/regionSelector';

const size = { width: 480, height: 300 };

describe('region selector', () => {
  it('starts on the middle half of the image', () => {
    assert.deepEqual(initialRegion(size), { x: 120, y: 75, width: 240, height: 150 });
  });

  it('arrow keys move it by 2% of the side, Shift+arrows resize it, and it never leaves the image', () => {
    const start = initialRegion(size);
    assert.deepEqual(nudgeRegion(start, 'ArrowRight', false, size), { ...start, x: 130 });
    assert.deepEqual(nudgeRegion(start, 'ArrowUp', false, size), { ...start, y: 69 });
    assert.deepEqual(nudgeRegion(start, 'ArrowRight', true, size), { ...start, width: 250 });
    assert.deepEqual(nudgeRegion(start, 'ArrowUp', true, size), { ...start, height: 144 });
    assert.equal(nudgeRegion(start, 'a', false, size), undefined);
    let region = start;
    for (let i = 0; i < 100; i++) region = nudgeRegion(region, 'ArrowRight', false, size)!;
    assert.deepEqual(region, { ...start, x: 240 }, 'stopped at the right edge');
    for (let i = 0; i < 100; i++) region = nudgeRegion(region, 'ArrowLeft', true, size)!;
    assert.equal(region.width, 8, 'shrinks to 8 px, no further');
    const atBottom = nudgeRegion({ ...region, y: 200, height: 100 }, 'ArrowDown', true, size)!;
    assert.deepEqual([atBottom.y, atBottom.height], [194, 106], 'at the bottom edge it grows by moving up');
    for (let i = 0; i < 100; i++) region = nudgeRegion(region, 'ArrowDown', true, size)!;
    assert.deepEqual([region.y, region.height], [0, 300], 'no taller than the image');
  });

  it('a drag spans its two points in either direction, clamped to the image', () => {
    assert.deepEqual(regionBetween({ x: 300, y: 200 }, { x: 100.4, y: 50.6 }, size), { x: 100, y: 51, width: 200, height: 149 });
    assert.deepEqual(regionBetween({ x: -20, y: -5 }, { x: 600, y: 400 }, size), { x: 0, y: 0, width: 480, height: 300 });
    assert.deepEqual(regionBetween({ x: -20, y: 10 }, { x: 100, y: 60 }, size), { x: 0, y: 10, width: 100, height: 50 }, 'a drag from outside starts at the edge');
    assert.deepEqual(regionBetween({ x: 10, y: 10 }, { x: 11, y: 11 }, size), { x: 10, y: 10, width: 8, height: 8 });
  });

  it('fits a tiny image whole', () => {
    assert.deepEqual(clampRegion({ x: 2, y: 2, width: 1, height: 1 }, { width: 5, height: 4 }), { x: 0, y: 0, width: 5, height: 4 });
    assert.equal(describeRegion({ x: 1, y: 2, width: 3, height: 4 }), 'region 1, 2, 3 × 4 px');
  });
});
