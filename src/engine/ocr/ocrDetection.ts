/**
 * PP-OCR DB text detection: run the detection model at the image's own resolution (small UI
 * text needs every pixel; large images are processed in overlapping tiles whose probability
 * maps are stitched), threshold the map, take connected components, fit each a minimum-area
 * rectangle, keep confident ones and grow them back out ("unclip"), since the model was trained
 * to mark text regions shrunk towards their centre.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { expandRect, minAreaRect, quadBounds, rectToQuad, type AxisBox, type Point, type Quad, type RotatedRect } from './ocrGeometry';
import type { RgbImage } from '../../imaging/rgbImage';

export interface DetectionSettings {
  /** Largest side of one detection run; bigger images are tiled, not shrunk. */
  tileSide: number;
  /** Images with more pixels are scaled down to this many first (bounds time and memory). */
  maxPixels: number;
  /** Images whose longer side is below this are scaled up to it (tiny crops of text). */
  minSide: number;
  /** Probability above which a map pixel counts as text. */
  threshold: number;
  /** Mean probability inside a box below which the box is dropped. */
  boxThreshold: number;
  /** How far boxes are grown back out, relative to area / perimeter. */
  unclipRatio: number;
}

export const DEFAULT_DETECTION: DetectionSettings = {
  // The memory arena keeps the largest run's activations: 1280 holds a 1920x1080 screenshot's
  // peak RSS at 0.7 GB (2560: 1.0 GB), at the same speed and with the same boxes (docs/ocr.md).
  tileSide: 1280,
  maxPixels: 4096 * 3072,
  minSide: 64,
  threshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
};

const STRIDE = 32;
/** Tiles overlap by this much; each keeps only its half of the overlap (the model looks ~this far). */
const TILE_OVERLAP = 128;
const MIN_BOX_SIDE = 3;
/**
 * Box cores (the text's shrunk centre the model marks) of 1x UI text are 6-7 px high, of @2x
 * renderings 10-13 px (docs/ocr.md): from this median height on, text counts as large.
 */
const LARGE_TEXT_CORE_HEIGHT = 9;
const MAX_CANDIDATES = 5000;
// ImageNet statistics, applied to B, G, R in that order as PaddleOCR's cv2-based pipeline does.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export interface DetectedBox {
  quad: Quad;
  /** The rectangle before unclipping: where the model saw text, not the margin grown around it. */
  core: Quad;
  score: number;
}

export async function detectText(
  session: ort.InferenceSession,
  image: RgbImage,
  settings: DetectionSettings,
  checkCancelled: () => void = () => {},
): Promise<DetectedBox[]> {
  const scale = detectionScale(image.width, image.height, settings);
  const boxes = await detectAtScale(session, image, scale, settings, checkCancelled);
  if (medianCoreHeight(boxes) * scale < LARGE_TEXT_CORE_HEIGHT) return boxes;
  // Text twice the size the detector reads best (a HiDPI @2x screenshot): it can miss a lone
  // glyph there ("0" on a chart's axis) that it finds at half the size. Look again at half
  // size and add what the first look did not cover.
  const halfSize = await detectAtScale(session, image, scale / 2, settings, checkCancelled);
  return [...boxes, ...halfSize.filter((box) => !boxes.some((seen) => overlaps(quadBounds(box.quad), quadBounds(seen.quad))))];
}

async function detectAtScale(
  session: ort.InferenceSession,
  image: RgbImage,
  scale: number,
  settings: DetectionSettings,
  checkCancelled: () => void,
): Promise<DetectedBox[]> {
  const scaled = await resize(image, scale);
  const probabilities = await probabilityMap(session, scaled, settings.tileSide, checkCancelled);
  const boxes = boxesFromProbabilities(probabilities, scaled.width, scaled.height, settings);
  const sx = scaled.width / image.width, sy = scaled.height / image.height;
  const toImage = (quad: Quad) => quad.map(([x, y]) => [clamp(x / sx, 0, image.width), clamp(y / sy, 0, image.height)]) as Quad;
  return boxes.map(({ quad, core, score }) => ({ score, quad: toImage(quad), core: toImage(core) }));
}

/** The median height of the boxes' cores in image pixels; 0 without boxes. */
function medianCoreHeight(boxes: readonly DetectedBox[]): number {
  const heights = boxes.map(({ core }) => Math.hypot(core[3][0] - core[0][0], core[3][1] - core[0][1])).sort((a, b) => a - b);
  return heights.length ? heights[Math.floor((heights.length - 1) / 2)] : 0;
}

const overlaps = (a: AxisBox, b: AxisBox) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

export function detectionScale(width: number, height: number, settings: DetectionSettings): number {
  if (width * height > settings.maxPixels) return Math.sqrt(settings.maxPixels / (width * height));
  const longSide = Math.max(width, height);
  return longSide < settings.minSide ? settings.minSide / longSide : 1;
}

async function resize(image: RgbImage, scale: number): Promise<RgbImage> {
  if (scale === 1) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: scale < 1 ? 'lanczos3' : 'cubic' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/** The model's text probability for every pixel of the image, tile by tile. */
async function probabilityMap(
  session: ort.InferenceSession,
  image: RgbImage,
  tileSide: number,
  checkCancelled: () => void,
): Promise<Float32Array> {
  const map = new Float32Array(image.width * image.height);
  for (const rows of tileSpans(image.height, tileSide)) {
    for (const columns of tileSpans(image.width, tileSide)) {
      checkCancelled();
      const input = tileInput(image, columns.start, rows.start, columns.size, rows.size);
      const outputs = await session.run({ [session.inputNames[0]]: input });
      input.dispose();
      const tile = outputs[session.outputNames[0]].data as Float32Array;
      const [, , , tileWidth] = input.dims;
      for (let y = rows.keepFrom; y < rows.keepTo; y++) {
        const source = (y - rows.start) * tileWidth - columns.start;
        map.set(tile.subarray(source + columns.keepFrom, source + columns.keepTo), y * image.width + columns.keepFrom);
      }
    }
  }
  return map;
}

interface TileSpan {
  start: number;
  /** Input length: the span padded up to a multiple of 32. */
  size: number;
  /** The part of the image this tile's output is kept for. */
  keepFrom: number;
  keepTo: number;
}

/** Overlapping spans covering 0..length, each at most `tileSide` long, as few and as even as possible. */
export function tileSpans(length: number, tileSide: number): TileSpan[] {
  const padded = (n: number) => Math.max(STRIDE, Math.ceil(n / STRIDE) * STRIDE);
  if (length <= tileSide) return [{ start: 0, size: padded(length), keepFrom: 0, keepTo: length }];
  const count = Math.ceil((length - TILE_OVERLAP) / (tileSide - TILE_OVERLAP));
  const size = Math.min(Math.floor(tileSide / STRIDE) * STRIDE, padded((length + (count - 1) * TILE_OVERLAP) / count));
  const starts = Array.from({ length: count }, (_, i) => Math.round((i * (length - size)) / (count - 1)));
  return starts.map((start, i) => ({
    start,
    size,
    keepFrom: i === 0 ? 0 : Math.round((start + starts[i - 1] + size) / 2),
    keepTo: i === count - 1 ? length : Math.round((starts[i + 1] + start + size) / 2),
  }));
}

/** Normalised NCHW input for one tile; past the image's edge, edge pixels repeat. */
function tileInput(image: RgbImage, left: number, top: number, width: number, height: number): ort.Tensor {
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, top + y);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, left + x);
      const pixel = (sy * image.width + sx) * 3;
      const target = y * width + x;
      for (let c = 0; c < 3; c++) {
        // RGB -> BGR
        data[c * plane + target] = (image.data[pixel + 2 - c] / 255 - MEAN[c]) / STD[c];
      }
    }
  }
  return new ort.Tensor('float32', data, [1, 3, height, width]);
}

/** DB post-processing on a width x height probability map; boxes are in map coordinates. */
export function boxesFromProbabilities(
  probabilities: Float32Array,
  width: number,
  height: number,
  settings: DetectionSettings,
): DetectedBox[] {
  const components = connectedComponents(probabilities, width, height, settings.threshold);
  const boxes: DetectedBox[] = [];
  for (const outline of components.slice(0, MAX_CANDIDATES)) {
    const rect = straightened(minAreaRect(outline), outline);
    if (Math.min(rect.width, rect.height) < MIN_BOX_SIDE) continue;
    const score = meanInside(probabilities, width, height, rectToQuad(rect));
    if (score < settings.boxThreshold) continue;
    const grown = expandRect(rect, (rect.width * rect.height * settings.unclipRatio) / (2 * (rect.width + rect.height)));
    if (Math.min(grown.width, grown.height) < MIN_BOX_SIDE + 2) continue;
    boxes.push({ quad: rectToQuad(grown), core: rectToQuad(rect), score });
  }
  return boxes;
}

/**
 * Screenshots hold level text, yet a component's ragged outline (descenders at one end) tilts
 * its minimum-area rectangle slightly; such boxes cut into neighbouring lines. Use the upright
 * bounding rectangle when the tilt moves a corner by less than half the box height.
 */
function straightened(rect: RotatedRect, outline: Point[]): RotatedRect {
  if (rect.width * Math.abs(rect.axis[1]) >= 0.5 * rect.height) return rect;
  const xs = outline.map((p) => p[0]), ys = outline.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  return { center: [(x0 + x1) / 2, (y0 + y1) / 2], axis: [1, 0], width: x1 - x0, height: y1 - y0 };
}

/**
 * 8-connected components of `map > threshold`. For each component returns the leftmost and
 * rightmost pixel centre of every row it spans: enough for its convex hull.
 */
function connectedComponents(map: Float32Array, width: number, height: number, threshold: number): Point[][] {
  const labels = new Int32Array(width * height).fill(-1);
  const stack = new Int32Array(width * height);
  const outlines: Point[][] = [];
  for (let start = 0; start < map.length; start++) {
    if (labels[start] !== -1 || !(map[start] > threshold)) continue;
    const label = outlines.length;
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const index = stack[--top];
      const x = index % width, y = (index - x) / width;
      if (!(rowMin.get(y)! <= x)) rowMin.set(y, x);
      if (!(rowMax.get(y)! >= x)) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const next = ny * width + nx;
          if (labels[next] !== -1 || !(map[next] > threshold)) continue;
          labels[next] = label;
          stack[top++] = next;
        }
      }
    }
    const outline: Point[] = [];
    for (const [y, x0] of rowMin) outline.push([x0, y], [rowMax.get(y)!, y]);
    outlines.push(outline);
  }
  return outlines;
}

/** Mean map value inside a convex quad (PaddleOCR's "fast" box score). */
function meanInside(map: Float32Array, width: number, height: number, quad: Quad): number {
  const xs = quad.map((p) => p[0]), ys = quad.map((p) => p[1]);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, width - 1), x1 = clamp(Math.ceil(Math.max(...xs)), 0, width - 1);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, height - 1), y1 = clamp(Math.ceil(Math.max(...ys)), 0, height - 1);
  let sum = 0, count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!insideConvex(quad, x, y)) continue;
      sum += map[y * width + x];
      count++;
    }
  }
  return count ? sum / count : 0;
}

function insideConvex(quad: Quad, x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = quad[i], [bx, by] = quad[(i + 1) % 4];
    const c = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (Math.abs(c) < 1e-6) continue;
    const s = Math.sign(c);
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
