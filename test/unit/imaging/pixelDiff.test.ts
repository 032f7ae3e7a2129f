/**
 * The pixel diff on generated pairs drawn with real sharp: a moved button, changed text, the same
 * image twice, and pairs of different sizes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { diffImages } from '../../../src/imaging/pixelDiff';
import type { RgbImage } from '../../../src/imaging/rgbImage';
import { MAX_CHANGED_REGIONS, type Region } from '../../../src/protocol/engine';

async function render(svgBody: string, width = 400, height = 300): Promise<RgbImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#f4f4f4"/>${svgBody}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** A button at x, y of a 1x picture, drawn at `scale` (2: the same picture at twice the pixel density). */
const button = (x: number, y: number, scale = 1) =>
  `<rect x="${x * scale}" y="${y * scale}" width="${80 * scale}" height="${30 * scale}" rx="${4 * scale}" fill="#1a73e8"/>`;
const label = (text: string) => `<text x="20" y="250" font-family="sans-serif" font-size="20" fill="#000">${text}</text>`;

function contains(outer: Region, inner: Region): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;
}

describe('pixel diff', () => {
  it('finds nothing between an image and itself', async () => {
    const image = await render(button(40, 40) + label('Saved'));
    const diff = await diffImages(image, { ...image, data: image.data.slice() });
    assert.deepEqual(diff, { width: 400, height: 300, alignment: 'same-size', changedPixels: 0, boxes: [] });
  });

  it('finds a moved button where it was and where it went, and nothing else', async () => {
    const before = await render(button(40, 40) + label('Saved'));
    const after = await render(button(240, 40) + label('Saved'));
    const diff = await diffImages(before, after);
    assert.equal(diff.boxes.length, 2, JSON.stringify(diff.boxes));
    const [left, right] = [...diff.boxes].sort((p, q) => p.x - q.x);
    assert.ok(contains({ x: 38, y: 38, width: 84, height: 34 }, left!) && contains(left!, { x: 42, y: 42, width: 76, height: 26 }), JSON.stringify(left));
    assert.ok(contains({ x: 238, y: 38, width: 84, height: 34 }, right!) && contains(right!, { x: 242, y: 42, width: 76, height: 26 }), JSON.stringify(right));
  });

  it('finds changed text inside the line it is on', async () => {
    const before = await render(button(40, 40) + label('Build passed'));
    const after = await render(button(40, 40) + label('Build failed'));
    const diff = await diffImages(before, after);
    assert.ok(diff.changedPixels > 0);
    assert.equal(diff.boxes.length, 1, JSON.stringify(diff.boxes));
    // The text's line is around y 230..256; the button (y 40..70) is untouched.
    assert.ok(contains({ x: 0, y: 225, width: 400, height: 35 }, diff.boxes[0]!), JSON.stringify(diff.boxes[0]));
    assert.ok(diff.boxes[0]!.x > 60, 'the unchanged word "Build" is left out');
  });

  it('scales a second image of the same aspect ratio (another pixel density) to the first', async () => {
    const before = await render(button(40, 40), 400, 300);
    const after = await render(button(40, 40, 2), 800, 600);
    const same = await diffImages(before, after);
    assert.equal(same.alignment, 'scaled');
    assert.deepEqual([same.width, same.height], [400, 300]);
    assert.deepEqual(same.boxes, [], 'the same picture at twice the density is unchanged');
    const moved = await diffImages(before, await render(button(240, 40, 2), 800, 600));
    assert.equal(moved.boxes.length, 2, JSON.stringify(moved.boxes));
  });

  it('lays images of different shapes over each other at the top-left corner: the extra part has changed', async () => {
    const before = await render(button(40, 40), 400, 300);
    const after = await render(button(40, 40), 400, 360);
    const diff = await diffImages(before, after);
    assert.equal(diff.alignment, 'top-left');
    assert.deepEqual([diff.width, diff.height], [400, 360]);
    assert.deepEqual(diff.boxes, [{ x: 0, y: 300, width: 400, height: 60 }]);
  });

  it('merges many scattered changes down to the cap, covering every change', async () => {
    const before = await render('');
    const dots = Array.from({ length: 40 }, (_, i) => ({ x: 10 + (i % 8) * 48, y: 10 + Math.floor(i / 8) * 55 }));
    const after = await render(dots.map(({ x, y }) => `<rect x="${x}" y="${y}" width="4" height="4" fill="#000"/>`).join(''));
    const diff = await diffImages(before, after);
    assert.ok(diff.boxes.length <= MAX_CHANGED_REGIONS && diff.boxes.length > 0, `${diff.boxes.length} boxes`);
    for (const dot of dots) {
      assert.ok(diff.boxes.some((box) => contains(box, { ...dot, width: 4, height: 4 })), `dot at ${dot.x},${dot.y} is covered`);
    }
  });
});
