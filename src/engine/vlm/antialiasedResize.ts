/**
 * Bilinear resize with antialiasing, as torchvision's `resize(..., BILINEAR, antialias=True)` does
 * it on the CPU (PyTorch's `_upsample_bilinear2d_aa`, align_corners=False): a triangle filter
 * widened by the scale when shrinking, so every source pixel contributes. LFM2-VL was trained on
 * images resized this way; a plain bilinear resize drops thin text strokes when shrinking.
 * Separable: rows first into a float buffer, then columns, rounded (halves to even, as
 * `torch.round`) back to 8 bits.
 */
import { roundHalfEven } from './pythonRound';
import type { RgbImage } from '../../imaging/rgbImage';

interface Taps {
  /** First source index for each output index. */
  start: Int32Array;
  /** Number of source pixels for each output index. */
  count: Int32Array;
  /** Normalised weights, `maxTaps` per output index. */
  weights: Float64Array;
  maxTaps: number;
}

function triangle(x: number): number {
  const distance = Math.abs(x);
  return distance < 1 ? 1 - distance : 0;
}

function tapsFor(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    // Math.trunc: C++'s int64 conversion, which truncates toward zero.
    const min = Math.max(Math.trunc(center - support + 0.5), 0);
    const size = Math.min(Math.trunc(center + support + 0.5), inSize) - min;
    let total = 0;
    for (let j = 0; j < size; j++) {
      const w = triangle((j + min - center + 0.5) * invScale);
      weights[i * maxTaps + j] = w;
      total += w;
    }
    if (total !== 0) for (let j = 0; j < size; j++) weights[i * maxTaps + j]! /= total;
    start[i] = min;
    count[i] = size;
  }
  return { start, count, weights, maxTaps };
}

export function resizeAntialiased(image: RgbImage, width: number, height: number): RgbImage {
  if (width === image.width && height === image.height) return image;
  const horizontal = tapsFor(image.width, width);
  const vertical = tapsFor(image.height, height);
  const rows = new Float32Array(width * image.height * 3);
  for (let y = 0; y < image.height; y++) {
    const source = y * image.width * 3;
    for (let x = 0; x < width; x++) {
      const first = horizontal.start[x]!;
      const base = x * horizontal.maxTaps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < horizontal.count[x]!; j++) {
        const w = horizontal.weights[base + j]!;
        const at = source + (first + j) * 3;
        r += w * image.data[at]!;
        g += w * image.data[at + 1]!;
        b += w * image.data[at + 2]!;
      }
      const out = (y * width + x) * 3;
      rows[out] = r;
      rows[out + 1] = g;
      rows[out + 2] = b;
    }
  }
  const data = new Uint8Array(width * height * 3);
  const stride = width * 3;
  const accumulator = new Float64Array(stride);
  for (let y = 0; y < height; y++) {
    accumulator.fill(0);
    const first = vertical.start[y]!;
    const base = y * vertical.maxTaps;
    for (let j = 0; j < vertical.count[y]!; j++) {
      const w = vertical.weights[base + j]!;
      const source = (first + j) * stride;
      for (let i = 0; i < stride; i++) accumulator[i]! += w * rows[source + i]!;
    }
    const out = y * stride;
    for (let i = 0; i < stride; i++) data[out + i] = Math.min(255, Math.max(0, roundHalfEven(accumulator[i]!)));
  }
  return { data, width, height };
}
