/**
 * Multiply-add work of LFM2-VL-450M's graphs from the shapes they are given (2 FLOP per
 * multiply-add; the dimensions are the real model's, as scripts/gen_lfm2vl_fixture.py's FULL).
 * Only matrix products count: they are what the matrix-multiply peak is measured on.
 */
const HIDDEN = 1024;
const FFN = 4608;
const VOCAB = 65536;
const CONV_LAYERS = 10;
const ATTENTION_LAYERS = 6;
const KV_WIDTH = 512; // 8 key/value heads x 64
const VISION = { hidden: 768, ff: 3072, layers: 12, patch: 768, projector: 2048 };

/** Weights every decoder token multiplies, output layer included. */
const DECODER_MATMUL_PARAMS =
  (CONV_LAYERS + ATTENTION_LAYERS) * 3 * HIDDEN * FFN +
  CONV_LAYERS * (HIDDEN * 3 * HIDDEN + HIDDEN * HIDDEN) +
  ATTENTION_LAYERS * (2 * HIDDEN * HIDDEN + 2 * HIDDEN * KV_WIDTH) +
  HIDDEN * VOCAB;

/**
 * `tokens` new tokens after `past` cached ones; `logitPositions`: how many of them get logits
 * (every one in the export's graph, the last only in Loupe's optimised copy).
 */
export function decoderFlops(tokens: number, past = 0, logitPositions = tokens): number {
  const attention = ATTENTION_LAYERS * 2 * 2 * tokens * (past + tokens) * HIDDEN;
  return 2 * tokens * (DECODER_MATMUL_PARAMS - HIDDEN * VOCAB) + 2 * logitPositions * HIDDEN * VOCAB + attention;
}

/** pixel_values [tiles, patches, 768]: every tile is padded to the same patch count. */
export function visionFlops(dims: number[]): number {
  const [tiles = 0, patches = 0] = dims;
  const { hidden, ff, layers, patch, projector } = VISION;
  const perLayer = 2 * patches * (hidden * 3 * hidden + hidden * hidden + 2 * hidden * ff) + 2 * 2 * patches * patches * hidden;
  const projected = 2 * (patches / 4) * (4 * hidden * projector + projector * HIDDEN);
  return tiles * (2 * patches * patch * hidden + layers * perLayer + projected);
}
