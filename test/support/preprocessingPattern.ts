import type { RgbImage } from '../../src/imaging/rgbImage';

/**
 * The synthetic image scripts/gen_lfm2vl_preprocessing_reference.py builds (`pattern`): gradients,
 * 3-px stripes and 1-px lines, in integer arithmetic so both sides make the same bytes.
 */
export function preprocessingPattern(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const div = (a: number, b: number) => Math.floor(a / b);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = [
        div(x * 255, Math.max(width - 1, 1)),
        div(y * 255, Math.max(height - 1, 1)),
        div((x + y) * 255, Math.max(width + height - 2, 1)),
      ];
      const stripe = (div(x, 3) + div(y, 11)) % 4 === 0;
      const line = x % 2 === 0 && y % 9 < 2;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = line ? 0 : stripe ? 255 - base[c]! : base[c]!;
    }
  }
  return { data, width, height };
}

/** The HWC offsets the reference samples (Knuth's multiplicative hash), as the script computes them. */
export function samplePositions(count: number, samples: number): number[] {
  return Array.from({ length: samples }, (_, k) => Number((BigInt(k) * 2654435761n) % BigInt(count)));
}
