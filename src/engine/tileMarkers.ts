/**
 * Tile markers as the model was trained on them. For a grid of rows × cols tiles (tiles in
 * row-major order), HF's Python `Lfm2VlProcessor` writes the k-th tile's marker as
 * `<|img_row_{k div rows + 1}_col_{k mod rows + 1}|>` (its outer loop runs over the grid width),
 * while transformers.js writes `<|img_row_{r}_col_{c}|>` with the tile's real row and column. The
 * two agree on square grids only; for tall and wide images the engine rewrites transformers.js's
 * markers to the Python ones (docs/model-contract.md, "Row/column markers").
 */

/** Token ids of `<|img_row_R_col_C|>` for R, C in 1…max, plus the ids that bound one image. */
export interface TileMarkerIds {
  marker(row: number, col: number): number | undefined;
  imageStart: number;
  imageEnd: number;
}

interface TokenVocabulary {
  convert_tokens_to_ids(tokens: string[]): (number | undefined)[];
}

/** The tokenizer's ids for the markers and image bounds; undefined if it has no image bounds. */
export function tileMarkerIds(tokenizer: TokenVocabulary): TileMarkerIds | undefined {
  const [imageStart, imageEnd] = tokenizer.convert_tokens_to_ids(['<|image_start|>', '<|image_end|>']);
  if (imageStart === undefined || imageEnd === undefined) return undefined;
  return {
    marker: (row, col) => tokenizer.convert_tokens_to_ids([`<|img_row_${row}_col_${col}|>`])[0],
    imageStart,
    imageEnd,
  };
}

/** The largest row/column a marker token exists for (LFM2-VL's tokenizer has 1…10). */
const MAX_GRID = 10;

/**
 * Rewrites, in place, each image's markers from transformers.js's (row, col) naming to the Python
 * processor's. The grid's row count is the largest row transformers.js wrote for that image.
 */
export function renumberTileMarkers(ids: BigInt64Array, markers: TileMarkerIds): void {
  const positionOf = new Map<bigint, { row: number; col: number }>();
  for (let row = 1; row <= MAX_GRID; row++) {
    for (let col = 1; col <= MAX_GRID; col++) {
      const id = markers.marker(row, col);
      if (id !== undefined) positionOf.set(BigInt(id), { row, col });
    }
  }
  let found: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === BigInt(markers.imageStart)) found = [];
    else if (positionOf.has(id)) found.push(i);
    else if (id === BigInt(markers.imageEnd)) rewrite(ids, found, positionOf, markers);
  }
}

function rewrite(ids: BigInt64Array, at: number[], positionOf: Map<bigint, { row: number; col: number }>, markers: TileMarkerIds): void {
  const rows = Math.max(0, ...at.map((i) => positionOf.get(ids[i]!)!.row));
  at.forEach((index, k) => {
    const id = markers.marker(Math.floor(k / rows) + 1, (k % rows) + 1);
    if (id !== undefined) ids[index] = BigInt(id);
  });
}
