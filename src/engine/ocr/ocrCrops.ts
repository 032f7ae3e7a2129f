/**
 * The recognizer's view of one detected box: the box straightened into an upright strip 48 px
 * high, with room around the text painted in the background colour and what the grown box cut
 * into beside the text (a checkbox's edge) painted over.
 */
import { distance, padQuad, type Point, type Quad } from './ocrGeometry';
import { centreOnInk, inkColumns, innerBackground, paintColumns, paintMargins, quadSize, sampleQuad, type Crop } from './ocrImage';
import type { RgbImage } from '../../imaging/rgbImage';

export const REC_HEIGHT = 48;
/**
 * Margins around each box, in box heights, filled with the box's background colour. Detection
 * boxes hug the glyphs; the recognizer was trained on looser crops and drops spaces and edge
 * letters ("Iagree", "Unabletosavefile") without room around the text. Real pixels there would
 * bring in checkbox and input borders ("[14"), hence the fill. Tuned in docs/ocr.md.
 */
const MARGIN_X = 0.5;
const MARGIN_Y = 0.2;
/**
 * Weak detections come with slack above and below the text, which shrinks it in the crop.
 * Boxes are cut down to the rows with ink, but to no less than this share of their height
 * (words without ascenders or descenders must not be blown up).
 */
const MIN_INK_SHARE = 0.8;
/** A box this much taller than wide holds vertical text: read it turned a quarter. */
const VERTICAL_RATIO = 1.5;

export interface LineBox {
  quad: Quad;
  /** The part of the box where the detector found text (before unclipping). */
  core: Quad;
}

/** The box as the recognizer wants it: upright, REC_HEIGHT high, margins filled, clutter cleared. */
export function lineCrop(image: RgbImage, box: LineBox): Crop {
  const vertical = isVertical(box.quad);
  const quad = vertical ? quarterTurn(box.quad) : box.quad;
  const core = vertical ? quarterTurn(box.core) : box.core;
  const straight = centreOnInk(image, quad, MIN_INK_SHARE);
  const boxHeight = quadSize(straight).height;
  const padded = padQuad(straight, MARGIN_X * boxHeight, MARGIN_Y * boxHeight);
  const { width, height } = quadSize(padded);
  const cropWidth = Math.max(1, Math.ceil((REC_HEIGHT * width) / Math.max(height, 1)));
  const crop = sampleQuad(image, padded, cropWidth, REC_HEIGHT);
  const scale = cropWidth / width;
  const insetX = Math.round(MARGIN_X * boxHeight * scale);
  const insetY = Math.round((MARGIN_Y * REC_HEIGHT) / (1 + 2 * MARGIN_Y));
  const background = innerBackground(crop, insetX, insetY);
  const [from, to] = coreSpan(quad, core);
  const boxWidth = cropWidth - 2 * insetX;
  clearCutClutter(crop, background, insetX, insetX + from * boxWidth, insetX + to * boxWidth);
  paintMargins(crop, insetX, insetY, background);
  return crop;
}

function isVertical(quad: Quad): boolean {
  const { width, height } = quadSize(quad);
  return height >= width * VERTICAL_RATIO;
}

/** Reorders the corners so quad[0] -> quad[1] runs down the former left side. */
const quarterTurn = (quad: Quad): Quad => [quad[1], quad[2], quad[3], quad[0]];

/** Where the core starts and ends along the box's reading direction, as shares of its length. */
function coreSpan(quad: Quad, core: Quad): [number, number] {
  const [p0, p1] = quad;
  const length = distance(p0, p1);
  if (length === 0) return [0, 1];
  const along = (p: Point) => ((p[0] - p0[0]) * (p1[0] - p0[0]) + (p[1] - p0[1]) * (p1[1] - p0[1])) / (length * length);
  const shares = core.map(along);
  return [Math.max(0, Math.min(...shares)), Math.min(1, Math.max(...shares))];
}

/**
 * Something the box's end cuts through, reaching on through the margin outside it (a glyph the
 * box clips, such as a closing parenthesis, ends just past it), separated from the text by blank
 * columns and outside the detector's core: the edge of a checkbox or an input field the grown
 * box reaches into. Read, even its faint anti-aliased fringe comes out as "|" or "[". It is
 * painted over up to the middle of the gap.
 */
function clearCutClutter(crop: Crop, background: number[], insetX: number, coreFrom: number, coreTo: number) {
  // All rows: the top and bottom of a hollow checkbox join its sides.
  const ink = inkColumns(crop, background);
  const reach = Math.max(2, insetX / 2);
  // Left end. The box may stop a pixel or two short of the thing's outline.
  let outer = insetX - 1;
  while (outer >= insetX - 3 && outer >= 0 && !ink[outer]) outer--;
  let from = outer;
  while (from >= 0 && ink[from]) from--;
  if (outer - from >= reach) {
    let end = outer;
    while (end + 1 < crop.width && ink[end + 1]) end++;
    let text = end + 1;
    while (text < crop.width && !ink[text]) text++;
    if (end < coreFrom) paintColumns(crop, 0, Math.ceil((end + text) / 2), background);
  }
  // Right end, the same mirrored.
  outer = crop.width - insetX;
  while (outer <= crop.width - insetX + 2 && outer < crop.width && !ink[outer]) outer++;
  let to = outer;
  while (to < crop.width && ink[to]) to++;
  if (to - outer >= reach) {
    let start = outer;
    while (start > 0 && ink[start - 1]) start--;
    let text = start - 1;
    while (text >= 0 && !ink[text]) text--;
    if (start > coreTo) paintColumns(crop, Math.floor((start + text) / 2) + 1, crop.width, background);
  }
}

/** The crop turned 180 degrees. */
export function turnedCrop(crop: Crop): Crop {
  const data = new Uint8Array(crop.data.length);
  const pixels = crop.width * crop.height;
  for (let i = 0; i < pixels; i++) data.set(crop.data.subarray(i * 3, i * 3 + 3), (pixels - 1 - i) * 3);
  return { data, width: crop.width, height: crop.height };
}

/** The crop squeezed to at most `maxWidth` columns (box-filtered), as the direction classifier wants it. */
export function squeezedCrop(crop: Crop, maxWidth: number): Crop {
  if (crop.width <= maxWidth) return crop;
  const step = crop.width / maxWidth;
  const data = new Uint8Array(maxWidth * crop.height * 3);
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < maxWidth; x++) {
      const from = x * step, to = from + step;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let sx = Math.floor(from); sx < to; sx++) {
          const weight = Math.min(sx + 1, to) - Math.max(sx, from);
          sum += weight * crop.data[(y * crop.width + sx) * 3 + c];
        }
        data[(y * maxWidth + x) * 3 + c] = sum / step + 0.5;
      }
    }
  }
  return { data, width: maxWidth, height: crop.height };
}
