import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renumberTileMarkers, tileMarkerIds } from '../../src/engine/tileMarkers';

// LFM2-VL's ids (docs/model-contract.md): <image> 396, markers 397 + (R-1)*10 + (C-1), start/end 498/499.
const IMAGE = 396;
const markerId = (row: number, col: number) => 397 + (row - 1) * 10 + (col - 1);
const vocabulary: Record<string, number> = { '<|image_start|>': 498, '<|image_end|>': 499 };
for (let row = 1; row <= 10; row++) for (let col = 1; col <= 10; col++) vocabulary[`<|img_row_${row}_col_${col}|>`] = markerId(row, col);
const ids = tileMarkerIds({ convert_tokens_to_ids: (tokens) => tokens.map((token) => vocabulary[token]) })!;
const name = (id: number) => {
  const k = id - 397;
  return `row_${Math.floor(k / 10) + 1}_col_${(k % 10) + 1}`;
};

/** A prompt as transformers.js expands it: markers by real (row, col), tiles row-major. */
function transformersJsPrompt(rows: number, cols: number): BigInt64Array {
  const out = [1, 498];
  for (let r = 1; r <= rows; r++) for (let c = 1; c <= cols; c++) out.push(markerId(r, c), IMAGE, IMAGE);
  out.push(499, 7);
  return BigInt64Array.from(out.map(BigInt));
}

function markersAfterRewrite(rows: number, cols: number): string[] {
  const prompt = transformersJsPrompt(rows, cols);
  renumberTileMarkers(prompt, ids);
  return [...prompt].map(Number).filter((id) => id >= 397 && id <= 496).map(name);
}

// The expected orders are the upstream Python processor's, from the reference expansion cases.
describe('renumberTileMarkers', () => {
  it('leaves square grids as they are', () => {
    assert.deepEqual(markersAfterRewrite(2, 2), ['row_1_col_1', 'row_1_col_2', 'row_2_col_1', 'row_2_col_2']);
  });

  it('a wide 1x3 grid (3000x1000) gets row_1..3_col_1', () => {
    assert.deepEqual(markersAfterRewrite(1, 3), ['row_1_col_1', 'row_2_col_1', 'row_3_col_1']);
  });

  it('a tall 3x1 grid (1000x3000) gets row_1_col_1..3', () => {
    assert.deepEqual(markersAfterRewrite(3, 1), ['row_1_col_1', 'row_1_col_2', 'row_1_col_3']);
  });

  it('a 2x4 widescreen grid (1920x1080) gets 4 "rows" of 2', () => {
    assert.deepEqual(markersAfterRewrite(2, 4), [
      'row_1_col_1', 'row_1_col_2', 'row_2_col_1', 'row_2_col_2', 'row_3_col_1', 'row_3_col_2', 'row_4_col_1', 'row_4_col_2',
    ]);
  });

  it('a 4x2 portrait grid (1080x1920) gets 2 "rows" of 4', () => {
    assert.deepEqual(markersAfterRewrite(4, 2), [
      'row_1_col_1', 'row_1_col_2', 'row_1_col_3', 'row_1_col_4', 'row_2_col_1', 'row_2_col_2', 'row_2_col_3', 'row_2_col_4',
    ]);
  });

  it('changes nothing but the markers, and handles each image of a prompt on its own', () => {
    const prompt = BigInt64Array.from([...transformersJsPrompt(3, 1), ...transformersJsPrompt(1, 3)]);
    const before = [...prompt];
    renumberTileMarkers(prompt, ids);
    const isMarker = (id: bigint) => id >= 397n && id <= 496n;
    assert.deepEqual([...prompt].filter((id) => !isMarker(id)), before.filter((id) => !isMarker(id)));
    assert.deepEqual([...prompt].filter(isMarker).map((id) => name(Number(id))), [
      'row_1_col_1', 'row_1_col_2', 'row_1_col_3', 'row_1_col_1', 'row_2_col_1', 'row_3_col_1',
    ]);
  });

  it('leaves single-tile images (no markers) alone', () => {
    const prompt = BigInt64Array.from([1n, 498n, 396n, 396n, 499n]);
    renumberTileMarkers(prompt, ids);
    assert.deepEqual([...prompt], [1n, 498n, 396n, 396n, 499n]);
  });
});
