/**
 * The image as a server receives it: decoded with every check the local engine makes (size,
 * format, SVG links neutralised and rendered in isolation, EXIF orientation applied), then
 * re-encoded from pixels, so no metadata (GPS position, camera, author) leaves the machine.
 */
import type { ImageInput } from '../protocol/engine';

/** A data URL (`data:image/png;base64,…`) for an `image_url` content part. */
export async function imageDataUrl(image: ImageInput, signal?: AbortSignal): Promise<string> {
  // Loaded on first use: a window that never asks a server never loads sharp's native library.
  const { pixelsOnlyCopy } = await import('../imaging/images');
  const { mime, bytes } = await pixelsOnlyCopy(image, signal);
  return `data:${mime};base64,${bytes.toString('base64')}`;
}
