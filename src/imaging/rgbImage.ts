import { createHash } from 'node:crypto';

/** What src/imaging/images.ts decodes every image to, and what the VLM and OCR work on. */
export interface RgbImage {
  /** width * height * 3 bytes: 8-bit sRGB, row-major, no alpha. */
  data: Uint8Array;
  width: number;
  height: number;
}

const digests = new WeakMap<RgbImage, string>();

/** SHA-256 of an image's size and pixels, once per decoded image: the OCR and VLM caches both key on it. */
export function pixelDigest(image: RgbImage): string {
  let digest = digests.get(image);
  if (!digest) {
    digest = createHash('sha256').update(`${image.width}x${image.height}\0`).update(image.data).digest('hex');
    digests.set(image, digest);
  }
  return digest;
}
