/**
 * Tile markers as the model was trained on them. For a grid of rows × cols tiles (tiles in
 * row-major order), HF's Python `Lfm2VlProcessor` writes the k-th tile's marker as
 * `<|img_row_{k div rows + 1}_col_{k mod rows + 1}|>` (its outer loop runs over the grid width),
 * while transformers.js writes `<|img_row_{r}_col_{c}|>` with the tile's real row and column. The
 * two agree on square grids only; for tall and wide images the engine rewrites transformers.js's
 * markers to the Python ones (docs/model-contract.md, "Row/column markers").
 */

/** The tokenizer's marker ids, looked up once per model. */
export interface TileMarkerIds {
  /** `<|img_row_R_col_C|>` id → (R, C). */
  positionOf: ReadonlyMap<bigint, { row: number; col: number }>;
  /** (R, C) → id; undefined past the tokenizer's largest marker. */
  idOf(row: number, col: number): bigint | undefined;
  imageStart: bigint;
  imageEnd: bigint;
}

interface TokenVocabulary {
  convert_tokens_to_ids(tokens: string[]): (number | undefined)[];
}

/** The largest row/column a marker token exists for (LFM2-VL's tokenizer has 1…10). */
const MAX_GRID = 10;

/** The tokenizer's ids for the markers and image bounds; undefined if it has no image bounds. */
export function tileMarkerIds(tokenizer: TokenVocabulary): TileMarkerIds | undefined {
  const [imageStart, imageEnd] = tokenizer.convert_tokens_to_ids(['<|image_start|>', '<|image_end|>']);
  if (imageStart === undefined || imageEnd === undefined) return undefined;
  const positionOf = new Map<bigint, { row: number; col: number }>();
  const ids = new Map<string, bigint>();
  for (let row = 1; row <= MAX_GRID; row++) {
    for (let col = 1; col <= MAX_GRID; col++) {
      const [id] = tokenizer.convert_tokens_to_ids([`<|img_row_${row}_col_${col}|>`]);
      if (id === undefined) continue;
      positionOf.set(BigInt(id), { row, col });
      ids.set(`${row},${col}`, BigInt(id));
    }
  }
  return { positionOf, idOf: (row, col) => ids.get(`${row},${col}`), imageStart: BigInt(imageStart), imageEnd: BigInt(imageEnd) };
}

/**
 * Rewrites, in place, each image's markers from transformers.js's (row, col) naming to the Python
 * processor's. The grid's row count is the largest row transformers.js wrote for that image.
 */
export function renumberTileMarkers(ids: BigInt64Array, markers: TileMarkerIds): void {
  let found: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === markers.imageStart) found = [];
    else if (markers.positionOf.has(id)) found.push(i);
    else if (id === markers.imageEnd) rewrite(ids, found, markers);
  }
}

function rewrite(ids: BigInt64Array, at: number[], markers: TileMarkerIds): void {
  const rows = Math.max(0, ...at.map((i) => markers.positionOf.get(ids[i]!)!.row));
  at.forEach((index, k) => {
    const id = markers.idOf(Math.floor(k / rows) + 1, (k % rows) + 1);
    if (id !== undefined) ids[index] = id;
  });
}
