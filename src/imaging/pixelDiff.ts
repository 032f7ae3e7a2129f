/**
 * Which pixels changed between two images, as a few boxes: what a comparison tells the model to
 * look at, and how "no pixel changed" is known without asking it.
 *
 * Sizes: two images of the same aspect ratio (within 1%) are the same view at another pixel
 * density (a Retina and a normal screenshot), so the second is scaled to the first's size;
 * otherwise they are laid over each other at the top-left corner (a window resized, a page grown)
 * and a pixel only one of them has counts as changed. Boxes are in the first image's pixels.
 */
import sharp from 'sharp';
import { MAX_CHANGED_REGIONS, type PixelDiff, type Region } from '../protocol/engine';
import type { RgbImage } from './rgbImage';

/** A pixel changed when a channel moved by more than this (of 255): JPEG noise and dithering stay below it. */
export const CHANGE_THRESHOLD = 32;

/** Changed pixels are gathered on a grid of cells this wide; changes in touching cells form one region. */
const CELL = 8;

/** Above this many regions the grid coarsens (nearby changes join) before regions are merged pairwise. */
const MAX_RAW_REGIONS = 64;

const SAME_ASPECT_TOLERANCE = 0.01;

interface Aligned {
  a: RgbImage;
  b: RgbImage;
  width: number;
  height: number;
  alignment: PixelDiff['alignment'];
}

export async function diffImages(first: RgbImage, second: RgbImage, threshold = CHANGE_THRESHOLD): Promise<PixelDiff> {
  const aligned = await align(first, second);
  const { mask, changedPixels } = changedMask(aligned, threshold);
  const { width, height, alignment } = aligned;
  if (changedPixels === 0) return { width, height, alignment, changedPixels, boxes: [] };
  const boxes = mergeDown(regionsOf(mask, width, height), MAX_CHANGED_REGIONS);
  return { width, height, alignment, changedPixels, boxes: boxes.sort((p, q) => area(q) - area(p)) };
}

async function align(a: RgbImage, b: RgbImage): Promise<Aligned> {
  if (a.width === b.width && a.height === b.height) return { a, b, width: a.width, height: a.height, alignment: 'same-size' };
  const ratioA = a.width / a.height;
  if (Math.abs(b.width / b.height - ratioA) / ratioA <= SAME_ASPECT_TOLERANCE) {
    return { a, b: await resized(b, a.width, a.height), width: a.width, height: a.height, alignment: 'scaled' };
  }
  return { a, b, width: Math.max(a.width, b.width), height: Math.max(a.height, b.height), alignment: 'top-left' };
}

async function resized(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const raw = { width: image.width, height: image.height, channels: 3 as const };
  const data = await sharp(image.data, { raw }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** 1 where the pixel changed; on a top-left canvas, also where only one image has a pixel. */
function changedMask({ a, b, width, height }: Aligned, threshold: number): { mask: Uint8Array; changedPixels: number } {
  const mask = new Uint8Array(width * height);
  let changedPixels = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inA = x < a.width && y < a.height;
      const inB = x < b.width && y < b.height;
      if (!inA && !inB) continue;
      let changed = inA !== inB;
      if (!changed) {
        const i = (y * a.width + x) * 3;
        const j = (y * b.width + x) * 3;
        changed =
          Math.abs(a.data[i]! - b.data[j]!) > threshold ||
          Math.abs(a.data[i + 1]! - b.data[j + 1]!) > threshold ||
          Math.abs(a.data[i + 2]! - b.data[j + 2]!) > threshold;
      }
      if (!changed) continue;
      mask[y * width + x] = 1;
      changedPixels++;
    }
  }
  return { mask, changedPixels };
}

/** Connected changes (touching cells, diagonals included) with their tight pixel bounds; a coarser grid while there are too many. */
function regionsOf(mask: Uint8Array, width: number, height: number): Region[] {
  for (let cell = CELL; ; cell *= 2) {
    const found = regionsOnGrid(mask, width, height, cell);
    if (found.length <= MAX_RAW_REGIONS || cell >= Math.max(width, height)) return found;
  }
}

function regionsOnGrid(mask: Uint8Array, width: number, height: number, cell: number): Region[] {
  const cols = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const count = new Int32Array(cols * rows);
  const minX = new Int32Array(cols * rows).fill(width);
  const minY = new Int32Array(cols * rows).fill(height);
  const maxX = new Int32Array(cols * rows).fill(-1);
  const maxY = new Int32Array(cols * rows).fill(-1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      const c = Math.floor(y / cell) * cols + Math.floor(x / cell);
      count[c]++;
      minX[c] = Math.min(minX[c]!, x);
      minY[c] = Math.min(minY[c]!, y);
      maxX[c] = Math.max(maxX[c]!, x);
      maxY[c] = Math.max(maxY[c]!, y);
    }
  }
  const seen = new Uint8Array(cols * rows);
  const found: Region[] = [];
  for (let start = 0; start < count.length; start++) {
    if (!count[start] || seen[start]) continue;
    let [x0, y0, x1, y1] = [width, height, -1, -1];
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const c = stack.pop()!;
      [x0, y0, x1, y1] = [Math.min(x0, minX[c]!), Math.min(y0, minY[c]!), Math.max(x1, maxX[c]!), Math.max(y1, maxY[c]!)];
      const [cx, cy] = [c % cols, Math.floor(c / cols)];
      for (let ny = Math.max(0, cy - 1); ny <= Math.min(rows - 1, cy + 1); ny++) {
        for (let nx = Math.max(0, cx - 1); nx <= Math.min(cols - 1, cx + 1); nx++) {
          const n = ny * cols + nx;
          if (count[n] && !seen[n]) {
            seen[n] = 1;
            stack.push(n);
          }
        }
      }
    }
    found.push({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
  }
  return found;
}

/** Merges the pair whose joint box adds the least area until at most `max` remain. */
function mergeDown(found: Region[], max: number): Region[] {
  const left = [...found];
  while (left.length > max) {
    let best = { i: 0, j: 1, cost: Number.POSITIVE_INFINITY };
    for (let i = 0; i < left.length; i++) {
      for (let j = i + 1; j < left.length; j++) {
        const cost = area(union(left[i]!, left[j]!)) - area(left[i]!) - area(left[j]!);
        if (cost < best.cost) best = { i, j, cost };
      }
    }
    const merged = union(left[best.i]!, left[best.j]!);
    left.splice(best.j, 1);
    left.splice(best.i, 1, merged);
  }
  return left;
}

function union(p: Region, q: Region): Region {
  const x = Math.min(p.x, q.x);
  const y = Math.min(p.y, q.y);
  return { x, y, width: Math.max(p.x + p.width, q.x + q.width) - x, height: Math.max(p.y + p.height, q.y + q.height) - y };
}

function area(box: Region): number {
  return box.width * box.height;
}
