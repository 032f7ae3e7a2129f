/**
 * Intake check for the panel: an image is decoded with sharp before the panel accepts it, so a
 * corrupt JPEG or a truncated PNG is refused at once with a plain reason instead of showing a
 * thumbnail and failing at ask time with the decoder's words. The signature check (imageBytes.ts)
 * ran already. SVG is left to the engine, which renders it in its own process under a time limit
 * (librsvg cannot be interrupted, so it never runs in the extension host). No VS Code API here.
 */
import sharp, { type Metadata } from 'sharp';
import { DEFAULT_IMAGE_LIMITS } from '../../engine/images';
import type { LoadedImage } from './loadedImage';

/** A decode that takes longer is a pathological file; the engine would abandon it too. */
const CHECK_TIMEOUT_SECONDS = 20;

export class ImageRefused extends Error {}

/** Resolves when the engine will be able to decode `image`; throws ImageRefused with a plain reason. */
export async function checkDecodable(image: Pick<LoadedImage, 'name' | 'bytes' | 'mime'>): Promise<void> {
  if (image.mime === 'image/svg+xml') return;
  const { name } = image;
  const kind = image.mime.replace(/^image\//, '').toUpperCase();
  let metadata: Metadata;
  try {
    metadata = await sharp(image.bytes, { failOn: 'warning', limitInputPixels: false }).metadata();
  } catch {
    throw new ImageRefused(`${name} is damaged: it starts like a ${kind} image but its header cannot be read. Choose another image, or re-export this one.`);
  }
  const { width = 0, height = 0 } = metadata;
  if (width < 1 || height < 1) throw new ImageRefused(`${name} has no pixels (${width} × ${height}). Choose another image.`);
  const maxPixels = DEFAULT_IMAGE_LIMITS.maxPixels;
  if (width * height > maxPixels) {
    throw new ImageRefused(`${name} is ${width} × ${height} pixels, more than the ${Math.round(maxPixels / 1e6)} megapixels Loupe reads. Scale it down and try again.`);
  }
  try {
    // The whole image must decode (a truncated file has a good header); shrinking keeps it cheap.
    await sharp(image.bytes, { failOn: 'warning', limitInputPixels: maxPixels, pages: 1 })
      .timeout({ seconds: CHECK_TIMEOUT_SECONDS })
      .resize(64, 64, { fit: 'inside' })
      .raw()
      .toBuffer();
  } catch {
    throw new ImageRefused(`${name} is incomplete or damaged: its image data cannot be read to the end. Choose another image, or re-export this one.`);
  }
}
