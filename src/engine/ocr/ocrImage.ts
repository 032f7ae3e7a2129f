/**
 * The image OCR works on (8-bit RGB, row-major, what src/imaging/images.ts decodes to) and
 * straightened crops of it: a text box, possibly rotated, resampled to an upright strip of a
 * given height, as the recognizer and the direction classifier want their input.
 */
import { distance, type Point, type Quad } from './ocrGeometry';
import type { RgbImage } from '../../imaging/rgbImage';

export function assertRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new TypeError(`OCR needs integer image dimensions, got ${width}x${height}.`);
  }
  if (data.length !== width * height * 3) {
    throw new TypeError(
      `OCR needs RGB pixels: a ${width}x${height} image has ${width * height * 3} bytes, got ${data.length}.`,
    );
  }
}

export interface Crop {
  /** RGB, width * height * 3. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Size of the quad's upright crop before scaling (PaddleOCR's get_rotate_crop_image). */
export function quadSize(quad: Quad) {
  return {
    width: Math.max(distance(quad[0], quad[1]), distance(quad[3], quad[2])),
    height: Math.max(distance(quad[0], quad[3]), distance(quad[1], quad[2])),
  };
}

/**
 * Resamples the parallelogram spanned by quad[0] -> quad[1] (x) and quad[0] -> quad[3] (y) into
 * an outWidth x outHeight crop. Bilinear, with several samples per output pixel when shrinking,
 * so thin strokes are not lost; edges repeat the border like cv2's BORDER_REPLICATE.
 */
export function sampleQuad(image: RgbImage, quad: Quad, outWidth: number, outHeight: number): Crop {
  const [p0, p1, , p3] = quad;
  const ux = (p1[0] - p0[0]) / outWidth, uy = (p1[1] - p0[1]) / outWidth;
  const vx = (p3[0] - p0[0]) / outHeight, vy = (p3[1] - p0[1]) / outHeight;
  const shrink = Math.max(Math.hypot(ux, uy), Math.hypot(vx, vy));
  const samples = Math.min(4, Math.max(1, Math.ceil(shrink)));
  const out = new Uint8Array(outWidth * outHeight * 3);
  const { data, width, height } = image;
  const acc = [0, 0, 0];
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sy = 0; sy < samples; sy++) {
        const fy = oy + (sy + 0.5) / samples;
        for (let sx = 0; sx < samples; sx++) {
          const fx = ox + (sx + 0.5) / samples;
          // Pixel centres sit at +0.5 in image coordinates.
          const x = p0[0] + fx * ux + fy * vx - 0.5;
          const y = p0[1] + fx * uy + fy * vy - 0.5;
          bilinear(data, width, height, x, y, acc);
        }
      }
      const o = (oy * outWidth + ox) * 3, n = samples * samples;
      out[o] = acc[0] / n + 0.5;
      out[o + 1] = acc[1] / n + 0.5;
      out[o + 2] = acc[2] / n + 0.5;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

function bilinear(data: Uint8Array, width: number, height: number, x: number, y: number, acc: number[]) {
  const cx = Math.min(width - 1, Math.max(0, x)), cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(cx), y0 = Math.floor(cy);
  const x1 = Math.min(width - 1, x0 + 1), y1 = Math.min(height - 1, y0 + 1);
  const fx = cx - x0, fy = cy - y0;
  const i00 = (y0 * width + x0) * 3, i10 = (y0 * width + x1) * 3, i01 = (y1 * width + x0) * 3, i11 = (y1 * width + x1) * 3;
  for (let c = 0; c < 3; c++) {
    const top = data[i00 + c] + (data[i10 + c] - data[i00 + c]) * fx;
    const bottom = data[i01 + c] + (data[i11 + c] - data[i01 + c]) * fx;
    acc[c] += top + (bottom - top) * fy;
  }
}

/**
 * The colour along the border of the crop's inner rectangle (`insetX` columns and `insetY` rows
 * in from its edges): the median, which is the background for text on a plain surface.
 */
export function innerBackground(crop: Crop, insetX: number, insetY: number): number[] {
  const { data, width } = crop;
  const { x0, x1, y0, y1 } = inner(crop, insetX, insetY);
  const ring: number[][] = [[], [], []];
  const collect = (x: number, y: number) => {
    for (let c = 0; c < 3; c++) ring[c].push(data[(y * width + x) * 3 + c]);
  };
  for (let x = x0; x < x1; x++) {
    collect(x, y0);
    collect(x, y1 - 1);
  }
  for (let y = y0; y < y1; y++) {
    collect(x0, y);
    collect(x1 - 1, y);
  }
  return ring.map((values) => values.sort((a, b) => a - b)[values.length >> 1]);
}

/** Paints everything outside the crop's inner rectangle in `colour`. */
export function paintMargins(crop: Crop, insetX: number, insetY: number, colour: number[]): void {
  const { data, width, height } = crop;
  const { x0, x1, y0, y1 } = inner(crop, insetX, insetY);
  for (let y = 0; y < height; y++) {
    const inside = y >= y0 && y < y1;
    for (let x = 0; x < width; x++) {
      if (inside && x >= x0 && x < x1) continue;
      data.set(colour, (y * width + x) * 3);
    }
  }
}

/** Paints columns x0 .. x1 - 1 in `colour`. */
export function paintColumns(crop: Crop, x0: number, x1: number, colour: number[]): void {
  for (let y = 0; y < crop.height; y++) for (let x = x0; x < x1; x++) crop.data.set(colour, (y * crop.width + x) * 3);
}

function inner({ width, height }: Crop, insetX: number, insetY: number) {
  const x0 = Math.min(insetX, width >> 1), y0 = Math.min(insetY, height >> 1);
  return { x0, x1: Math.max(x0 + 1, width - insetX), y0, y1: Math.max(y0 + 1, height - insetY) };
}

/**
 * Which columns hold ink: a pixel that differs from the background, in any channel (a blue checkbox on a dark theme has little luminance contrast),
 * by more than INK_LEVEL of the largest such difference.
 */
export function inkColumns(crop: Crop, background: number[]): boolean[] {
  const { data, width, height } = crop;
  const difference = new Uint8Array(width * height);
  let contrast = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const d = Math.max(
        Math.abs(data[i * 3] - background[0]),
        Math.abs(data[i * 3 + 1] - background[1]),
        Math.abs(data[i * 3 + 2] - background[2]),
      );
      difference[i] = d;
      contrast = Math.max(contrast, d);
    }
  }
  const ink = new Array<boolean>(width).fill(false);
  if (contrast < MIN_CONTRAST) return ink;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (difference[y * width + x] > INK_LEVEL * contrast) ink[x] = true;
  }
  return ink;
}

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

/** Difference from the background (in the most different channel) that counts as ink, relative to the crop's contrast. */
const INK_LEVEL = 0.4;
/** Crops with less contrast than this (0..255) are left alone: no text to measure. */
const MIN_CONTRAST = 40;
/** Boxes bigger than this are no single line of text; not worth measuring. */
const MAX_MEASURED_PIXELS = 4_000_000;

/**
 * Moves the quad's top and bottom edges to the first and last rows with ink (plus a pixel),
 * keeping at least `minShare` of its height, centred on the ink.
 */
export function centreOnInk(image: RgbImage, quad: Quad, minShare: number): Quad {
  const size = quadSize(quad);
  const width = Math.max(1, Math.round(size.width)), height = Math.max(1, Math.round(size.height));
  if (height < 4 || width * height > MAX_MEASURED_PIXELS) return quad;
  const crop = sampleQuad(image, quad, width, height);
  const luminance = new Float32Array(width * height);
  for (let i = 0; i < luminance.length; i++) {
    luminance[i] = luma(crop.data[i * 3], crop.data[i * 3 + 1], crop.data[i * 3 + 2]);
  }
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(luminance[x], luminance[(height - 1) * width + x]);
  for (let y = 0; y < height; y++) border.push(luminance[y * width], luminance[y * width + width - 1]);
  const background = border.sort((a, b) => a - b)[border.length >> 1];
  let contrast = 0;
  for (const v of luminance) contrast = Math.max(contrast, Math.abs(v - background));
  if (contrast < MIN_CONTRAST) return quad;

  const rowHasInk = (y: number) => {
    for (let x = 0; x < width; x++) if (Math.abs(luminance[y * width + x] - background) > INK_LEVEL * contrast) return true;
    return false;
  };
  let top = 0;
  while (top < height && !rowHasInk(top)) top++;
  let bottom = height;
  while (bottom > top && !rowHasInk(bottom - 1)) bottom--;
  if (bottom <= top) return quad;
  top = Math.max(0, top - 1);
  bottom = Math.min(height, bottom + 1);
  const minHeight = minShare * height;
  if (bottom - top < minHeight) {
    const middle = (top + bottom) / 2;
    top = Math.max(0, middle - minHeight / 2);
    bottom = Math.min(height, top + minHeight);
  }
  const [p0, p1, p2, p3] = quad;
  const along = (a: Point, b: Point, share: number): Point => [a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share];
  return [along(p0, p3, top / height), along(p1, p2, top / height), along(p1, p2, bottom / height), along(p0, p3, bottom / height)];
}
