/**
 * The image as a server receives it: decoded with every check the local engine makes (size,
 * format, SVG links neutralised and rendered in isolation, EXIF orientation applied), then
 * re-encoded from pixels, so no metadata (GPS position, camera, author) leaves the machine.
 */
import sharp from 'sharp';
import type { ImageInput } from '../protocol/engine';
import { decodeImage } from '../engine/images';

/** A data URL (`data:image/png;base64,…`) for an `image_url` content part. */
export async function imageDataUrl(image: ImageInput, signal?: AbortSignal): Promise<string> {
  const decoded = await decodeImage(image, {}, signal);
  const pixels = sharp(Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength), {
    raw: { width: decoded.width, height: decoded.height, channels: decoded.channels },
  });
  // Photos stay JPEG (PNG would be several times larger); screenshots, diagrams and SVGs stay lossless.
  const [mime, bytes] =
    decoded.format === 'jpeg'
      ? (['image/jpeg', await pixels.jpeg({ quality: 92, mozjpeg: true }).toBuffer()] as const)
      : (['image/png', await pixels.png({ compressionLevel: 6 }).toBuffer()] as const);
  return `data:${mime};base64,${bytes.toString('base64')}`;
}
