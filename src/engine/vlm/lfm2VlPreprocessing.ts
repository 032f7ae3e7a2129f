/**
 * LFM2-VL image preprocessing exactly as upstream does it: transformers >= 5.1
 * `Lfm2VlImageProcessorFast` (what the LFM2.5-VL model cards require), which vLLM and llama.cpp
 * follow too. transformers.js 4.3.1 differs in two ways that change what the model sees: it rounds
 * halves up (`Math.round`) where upstream's Python `round` rounds them to even (272x272 gets 81
 * image tokens instead of 64, 720x720 on a tiling preset 5 tiles instead of 1), and it resizes
 * without antialiasing. So the engine replaces transformers.js's image processor call with this
 * one (`useUpstreamPreprocessing`); the processor around it still expands `<image>` from the
 * sizes and grid returned here, with geometric tile markers. docs/model-contract.md has the
 * numbers; test/unit/engine/vlm/lfm2VlPreprocessing.test.ts compares with torchvision references.
 */
import { Tensor } from '@huggingface/transformers';
import { resizeAntialiased } from './antialiasedResize';
import { roundHalfEven } from './pythonRound';
import type { RgbImage } from '../../imaging/rgbImage';

/** The image processor's fields this module reads (preprocessor_config.json names). */
export interface Lfm2VlKnobs {
  max_image_tokens: number;
  min_image_tokens: number;
  do_image_splitting: boolean;
  min_tiles: number;
  max_tiles: number;
  tile_size: number;
  encoder_patch_size: number;
  downsample_factor: number;
  max_pixels_tolerance: number;
  use_thumbnail: boolean;
  do_rescale: boolean;
  rescale_factor: number;
  do_normalize: boolean;
  image_mean: number[];
  image_std: number[];
}

/** How one image becomes tiles and image tokens. */
export interface ImagePlan {
  /** The smart-resized size: the single tile, or the thumbnail of a tiled image. */
  resizedWidth: number;
  resizedHeight: number;
  /** Tile grid: rows top to bottom, columns left to right; 1 x 1 when not tiled. */
  rows: number;
  cols: number;
  /** Whether a thumbnail follows the tiles. */
  thumbnail: boolean;
  /** Pixel tensors the vision encoder receives (tiles plus thumbnail). */
  tiles: number;
  imageTokens: number;
}

function roundByFactor(value: number, factor: number): number {
  return roundHalfEven(value / factor) * factor;
}

/** Upstream `smart_resize`: both sides multiples of patch x downsample, pixels within the token budget. */
function smartResize(height: number, width: number, k: Lfm2VlKnobs): [number, number] {
  const factor = k.encoder_patch_size * k.downsample_factor;
  const minPixels = k.min_image_tokens * factor ** 2;
  const maxPixels = k.max_image_tokens * factor ** 2;
  let h = Math.max(factor, roundByFactor(height, factor));
  let w = Math.max(factor, roundByFactor(width, factor));
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return [w, h];
}

function isTooLargeForOneTile(height: number, width: number, k: Lfm2VlKnobs): boolean {
  const factor = k.encoder_patch_size * k.downsample_factor;
  const h = Math.max(k.encoder_patch_size, roundByFactor(height, factor));
  const w = Math.max(k.encoder_patch_size, roundByFactor(width, factor));
  return h * w > k.max_image_tokens * factor ** 2 * k.max_pixels_tolerance;
}

/** (width, height) tile grids with min..max tiles, fewest tiles first, as upstream orders them. */
function targetRatios(minTiles: number, maxTiles: number): [number, number][] {
  const ratios: [number, number][] = [];
  for (let w = 1; w <= maxTiles; w++) {
    for (let h = 1; h <= maxTiles; h++) if (w * h >= minTiles && w * h <= maxTiles) ratios.push([w, h]);
  }
  // Sorted by tile count like upstream. Upstream sorts a Python set, so among grids with the same
  // count its order is the set's; that order could only matter for an exact tie in aspect ratio
  // between two such grids, which the reference cases (every preset) do not hit.
  return ratios.sort((a, b) => a[0] * a[1] - b[0] * b[1]);
}

function closestGrid(height: number, width: number, minTiles: number, maxTiles: number, tileSize: number): [number, number] {
  const aspect = width / height;
  let bestDiff = Number.POSITIVE_INFINITY;
  let best: [number, number] = [1, 1];
  for (const ratio of targetRatios(minTiles, maxTiles)) {
    const diff = Math.abs(aspect - ratio[0] / ratio[1]);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = ratio;
    } else if (diff === bestDiff && width * height > 0.5 * tileSize * tileSize * ratio[0] * ratio[1]) {
      best = ratio;
    }
  }
  return best;
}

function tileRange(k: Lfm2VlKnobs): [number, number] {
  if (!k.do_image_splitting) return [1, 1];
  return [Math.min(k.min_tiles, k.max_tiles), k.max_tiles];
}

export function planImage(width: number, height: number, k: Lfm2VlKnobs): ImagePlan {
  const [resizedWidth, resizedHeight] = smartResize(height, width, k);
  const [minTiles, maxTiles] = tileRange(k);
  const splitting = !(minTiles === 1 && maxTiles === 1);
  const ds = (side: number) => Math.ceil(Math.floor(side / k.encoder_patch_size) / k.downsample_factor);
  const thumbnailTokens = ds(resizedHeight) * ds(resizedWidth);
  if (!splitting || !isTooLargeForOneTile(height, width, k)) {
    return { resizedWidth, resizedHeight, rows: 1, cols: 1, thumbnail: false, tiles: 1, imageTokens: thumbnailTokens };
  }
  const [cols, rows] = closestGrid(height, width, minTiles, maxTiles, k.tile_size);
  const thumbnail = k.use_thumbnail && rows * cols !== 1;
  const tileTokens = rows * cols * ds(k.tile_size) ** 2;
  return {
    resizedWidth,
    resizedHeight,
    rows,
    cols,
    thumbnail,
    tiles: rows * cols + (thumbnail ? 1 : 0),
    imageTokens: tileTokens + (thumbnail ? thumbnailTokens : 0),
  };
}

/**
 * Why the vision encoder cannot take this image, if it cannot: a very thin image (1 x 20000) is
 * smart-resized to a strip with more patches than a tile holds, upstream as here. Undefined if it fits.
 */
export function encoderFitProblem(width: number, height: number, plan: ImagePlan, k: Lfm2VlKnobs): string | undefined {
  const patches = (plan.resizedWidth / k.encoder_patch_size) * (plan.resizedHeight / k.encoder_patch_size);
  if (patches <= maxPatches(k)) return undefined;
  const [long, short] = width >= height ? [width, height] : [height, width];
  return (
    `The image is ${width} x ${height} pixels (about 1:${Math.round(long / short)}), too ${width >= height ? 'wide' : 'tall'} ` +
    'for the vision model to read in one piece. Crop it into shorter pieces and ask about each.'
  );
}

/** The 8-bit tiles the encoder sees, row-major from the top left, then the thumbnail. */
export function tileImage(image: RgbImage, plan: ImagePlan, tileSize: number): RgbImage[] {
  const tiled = plan.rows * plan.cols > 1;
  if (!tiled) return [resizeAntialiased(image, plan.resizedWidth, plan.resizedHeight)];
  const whole = resizeAntialiased(image, plan.cols * tileSize, plan.rows * tileSize);
  const tiles: RgbImage[] = [];
  for (let row = 0; row < plan.rows; row++) {
    for (let col = 0; col < plan.cols; col++) tiles.push(crop(whole, col * tileSize, row * tileSize, tileSize));
  }
  if (plan.thumbnail) tiles.push(resizeAntialiased(image, plan.resizedWidth, plan.resizedHeight));
  return tiles;
}

function crop(image: RgbImage, left: number, top: number, size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const from = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(from, from + size * 3), y * size * 3);
  }
  return { data, width: size, height: size };
}

/** Patches per tile tensor, as upstream pads them: room for the thumbnail budget or a full tile. */
function maxPatches(k: Lfm2VlKnobs): number {
  const thumbnail = k.max_image_tokens * k.downsample_factor ** 2;
  const tile = k.do_image_splitting ? (k.tile_size / k.encoder_patch_size) ** 2 : 0;
  return Math.max(thumbnail, tile);
}

interface EncoderInputs {
  pixel_values: Tensor;
  pixel_attention_mask: Tensor;
  spatial_shapes: Tensor;
  image_rows: number[];
  image_cols: number[];
  image_sizes: [number, number][];
}

/**
 * Rescaled, normalised patches (patch rows, patch columns, then 16 x 16 pixels x RGB within a
 * patch), padded to the same length for every tile with a mask marking the real ones. Upstream
 * pads every batch to the budget's patch count (1,024); here only to its longest tile: padded
 * patches are masked out of attention and dropped before the projector, so the features are the
 * same (test/integration/tinyModel.test.ts), and a small image's tile costs the encoder a third.
 */
function encoderInputs(images: RgbImage[], k: Lfm2VlKnobs): EncoderInputs {
  const patch = k.encoder_patch_size;
  const patchValues = patch * patch * 3;
  const plans = images.map((image) => planImage(image.width, image.height, k));
  const tiles = images.flatMap((image, i) => tileImage(image, plans[i]!, k.tile_size));
  const padded = Math.max(...tiles.map((tile) => Math.floor(tile.height / patch) * Math.floor(tile.width / patch)));
  const values = new Float32Array(tiles.length * padded * patchValues);
  const mask = new BigInt64Array(tiles.length * padded);
  const shapes = new BigInt64Array(tiles.length * 2);
  const lookup = normalisation(k);
  tiles.forEach((tile, t) => {
    const rows = Math.floor(tile.height / patch);
    const cols = Math.floor(tile.width / patch);
    let out = t * padded * patchValues;
    for (let py = 0; py < rows; py++) {
      for (let px = 0; px < cols; px++) {
        for (let dy = 0; dy < patch; dy++) {
          const at = ((py * patch + dy) * tile.width + px * patch) * 3;
          for (let i = 0; i < patch * 3; i++) values[out++] = lookup[(i % 3) * 256 + tile.data[at + i]!]!;
        }
      }
    }
    mask.fill(1n, t * padded, t * padded + rows * cols);
    shapes[t * 2] = BigInt(rows);
    shapes[t * 2 + 1] = BigInt(cols);
  });
  return {
    pixel_values: new Tensor('float32', values, [tiles.length, padded, patchValues]),
    pixel_attention_mask: new Tensor('int64', mask, [tiles.length, padded]),
    spatial_shapes: new Tensor('int64', shapes, [tiles.length, 2]),
    image_rows: plans.map((p) => p.rows),
    image_cols: plans.map((p) => p.cols),
    image_sizes: plans.map((p) => [p.resizedHeight, p.resizedWidth]),
  };
}

/** Channel-major table: the float each 8-bit value of each channel becomes. */
function normalisation(k: Lfm2VlKnobs): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) {
      let x = k.do_rescale ? v * k.rescale_factor : v;
      if (k.do_normalize) x = (x - k.image_mean[c]!) / k.image_std[c]!;
      table[c * 256 + v] = x;
    }
  }
  return table;
}

interface RawImageLike {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: number;
}

/**
 * Replaces the transformers.js LFM2-VL image processor's call (its instances are callable through
 * `_call`) with the upstream preprocessing above. Knobs are read at each call, so per-request
 * vision budgets set on the processor still apply.
 */
export function useUpstreamPreprocessing(imageProcessor: object): void {
  const knobs = imageProcessor as unknown as Lfm2VlKnobs & { _call: unknown };
  knobs._call = async (input: RawImageLike | RawImageLike[] | RawImageLike[][]) => {
    const images = [input].flat(2).map((raw) => {
      if (raw.channels !== 3) throw new Error(`LFM2-VL preprocessing expects RGB images, got ${raw.channels} channels.`);
      return { data: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength), width: raw.width, height: raw.height };
    });
    return encoderInputs(images, knobs);
  };
}
