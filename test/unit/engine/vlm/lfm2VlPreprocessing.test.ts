import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { planImage, tileImage, type Lfm2VlKnobs } from '../../../../src/engine/vlm/lfm2VlPreprocessing';
import { PRESETS, type PresetName } from '../../../../src/protocol/options';
import { preprocessingPattern, samplePositions } from '../../../support/preprocessingPattern';

/** Written by scripts/gen_lfm2vl_preprocessing_reference.py with torchvision (upstream's resize). */
const reference = JSON.parse(readFileSync('test/fixtures/preprocessing/lfm2vl-reference.json', 'utf8')) as {
  samplesPerTile: number;
  cases: {
    width: number;
    height: number;
    preset: PresetName;
    resized: [number, number];
    rows: number;
    cols: number;
    imageTokens: number;
    tiles: { shape: [number, number]; sum: number; samples: string }[];
  }[];
};

/** The real preprocessor_config.json with a preset's vision budget applied, as the engine does. */
function knobsFor(preset: PresetName): Lfm2VlKnobs {
  const vision = PRESETS[preset].vision;
  return {
    max_image_tokens: vision.maxImageTokens,
    min_image_tokens: vision.minImageTokens,
    do_image_splitting: vision.doImageSplitting && vision.maxTiles > 1,
    min_tiles: Math.min(2, vision.maxTiles),
    max_tiles: vision.maxTiles,
    tile_size: 512,
    encoder_patch_size: 16,
    downsample_factor: 2,
    max_pixels_tolerance: 2,
    use_thumbnail: true,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
  };
}

/**
 * Tolerance against torchvision: no 8-bit value more than 1 level away (PyTorch's float kernel
 * and its newer fixed-point uint8 kernel themselves differ by that much), at most 2% of sampled
 * values off by that level, and each tile's mean within 0.05 levels.
 */
const MAX_LEVEL_DIFF = 1;
const MAX_OFF_SHARE = 0.02;
const MAX_MEAN_DIFF = 0.05;

describe('LFM2-VL preprocessing matches upstream (torchvision references)', () => {
  for (const c of reference.cases) {
    it(`${c.width}x${c.height} on ${c.preset}`, () => {
      const plan = planImage(c.width, c.height, knobsFor(c.preset));
      assert.deepEqual(
        [plan.resizedHeight, plan.resizedWidth, plan.rows, plan.cols, plan.imageTokens, plan.tiles],
        [...c.resized, c.rows, c.cols, c.imageTokens, c.tiles.length],
      );
      const tiles = tileImage(preprocessingPattern(c.width, c.height), plan, 512);
      tiles.forEach((tile, t) => {
        const expected = c.tiles[t]!;
        assert.deepEqual([tile.height, tile.width], expected.shape, `tile ${t} shape`);
        const samples = Buffer.from(expected.samples, 'base64');
        const positions = samplePositions(tile.data.length, reference.samplesPerTile);
        let off = 0;
        positions.forEach((at, k) => {
          const diff = Math.abs(tile.data[at]! - samples[k]!);
          assert.ok(diff <= MAX_LEVEL_DIFF, `tile ${t} offset ${at}: ${tile.data[at]} vs ${samples[k]}`);
          if (diff) off++;
        });
        assert.ok(off / positions.length <= MAX_OFF_SHARE, `tile ${t}: ${off} of ${positions.length} samples off by one`);
        const sum = tile.data.reduce((total, v) => total + v, 0);
        assert.ok(Math.abs(sum - expected.sum) / tile.data.length <= MAX_MEAN_DIFF, `tile ${t} mean: ${sum} vs ${expected.sum}`);
      });
    });
  }

  it('states the upstream counts the issue names', () => {
    const tokens = (w: number, h: number, preset: PresetName) => planImage(w, h, knobsFor(preset)).imageTokens;
    assert.equal(tokens(272, 272, 'fast'), 64);
    assert.equal(tokens(400, 400, 'fast'), 144);
    assert.equal(tokens(144, 650, 'fast'), 80);
    assert.equal(tokens(1200, 80, 'fast'), 76);
    for (const preset of ['balanced', 'detailed'] as const) {
      const plan = planImage(720, 720, knobsFor(preset));
      assert.deepEqual([plan.tiles, plan.imageTokens], [1, 256], preset);
    }
  });
});
