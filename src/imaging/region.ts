/**
 * A region of an image (`--region x,y,w,h`, pixels of the EXIF-oriented image): checked against
 * the image, cut out before the model's preprocessing (so a small label gets a whole tile), and
 * what was found in the crop (OCR lines) mapped back to the full image's pixels.
 */
import { formatRegion, type OcrResult, type Region } from '../protocol/engine';
import { EngineError } from '../protocol/engineError';
import type { RgbImage } from './rgbImage';

/**
 * The region within a width x height image: a region reaching past an edge is cut at it; one with
 * nothing inside the image is refused, naming the image's size so the user can correct it.
 */
export function regionWithin(asked: Region, width: number, height: number): Region {
  const region = inImagePixels(asked, width, height);
  const right = Math.min(region.x + region.width, width);
  const bottom = Math.min(region.y + region.height, height);
  if (region.x >= width || region.y >= height || right <= region.x || bottom <= region.y) {
    throw new EngineError(
      'BAD_INPUT',
      `The region ${formatRegion(region)} lies outside the ${width}x${height} image. ` +
        `Give x,y,w,h in the image's pixels, with x below ${width} and y below ${height}.`,
    );
  }
  return { x: region.x, y: region.y, width: right - region.x, height: bottom - region.y };
}

/** A region given in pixels of another size (`of`) scaled to the width x height image, outward to whole pixels. */
function inImagePixels({ of, ...region }: Region, width: number, height: number): Region {
  if (!of || (of.width === width && of.height === height)) return region;
  const sx = width / of.width;
  const sy = height / of.height;
  const x = Math.floor(region.x * sx);
  const y = Math.floor(region.y * sy);
  return { x, y, width: Math.max(1, Math.ceil((region.x + region.width) * sx) - x), height: Math.max(1, Math.ceil((region.y + region.height) * sy) - y) };
}

/** A crop remembers where it was cut, so caches and prompts can tell two regions apart. */
export interface CroppedImage extends RgbImage {
  region: Region;
  /** The size of the image it was cut from. */
  of: { width: number; height: number };
}

export function isCrop(image: RgbImage): image is CroppedImage {
  return 'region' in image;
}

/** The pixels of a region already checked with `regionWithin`. */
export function cropImage(image: RgbImage, region: Region): CroppedImage {
  const rowBytes = region.width * 3;
  const data = new Uint8Array(rowBytes * region.height);
  for (let row = 0; row < region.height; row++) {
    const from = ((region.y + row) * image.width + region.x) * 3;
    data.set(image.data.subarray(from, from + rowBytes), row * rowBytes);
  }
  return { data, width: region.width, height: region.height, region, of: { width: image.width, height: image.height } };
}

/** OCR of a crop as OCR of the full image: boxes moved by the region's offset, the full size. */
export function ocrInFullImage(result: OcrResult, region: Region, full: { width: number; height: number }): OcrResult {
  return {
    ...result,
    width: full.width,
    height: full.height,
    lines: result.lines.map((line) => ({
      ...line,
      box: line.box.map(([x, y]) => [x + region.x, y + region.y]) as typeof line.box,
    })),
  };
}
