/**
 * The small copy of the image the webview keeps in its saved state: shown at once when the panel
 * comes back (the host sends the full image when asked) and after a window reload, while the state
 * stays small. Made here from the image as displayed, so any format the webview shows works.
 */

/** Long side of a thumbnail, in pixels: sharp enough for the preview's 320 px height. */
export const THUMBNAIL_LONG_SIDE = 512;
/** Longest thumbnail kept, as data URL text; a noisy photo gets a lower quality to fit. */
export const MAX_THUMBNAIL_CHARS = 256 * 1024;
/** Long side of the icon shown beside a question about the image. */
export const TURN_ICON_LONG_SIDE = 96;

/** The thumbnail's size for an image of `width` x `height`: never larger than the image. */
export function thumbnailSize(width: number, height: number, longSide = THUMBNAIL_LONG_SIDE): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A WebP data URL of the loaded image, scaled down; undefined when the canvas cannot make one. */
export function makeThumbnail(image: HTMLImageElement, longSide = THUMBNAIL_LONG_SIDE, maxChars = MAX_THUMBNAIL_CHARS): string | undefined {
  if (!image.naturalWidth || !image.naturalHeight) return undefined;
  const size = thumbnailSize(image.naturalWidth, image.naturalHeight, longSide);
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext('2d');
  if (!context) return undefined;
  context.drawImage(image, 0, 0, size.width, size.height);
  try {
    // WebP keeps transparency and stays a few tens of KB at this size.
    for (const quality of [0.85, 0.5]) {
      const thumbnail = canvas.toDataURL('image/webp', quality);
      if (thumbnail.length <= maxChars) return thumbnail;
    }
    return undefined;
  } catch {
    // A canvas the image tainted cannot be read back: no thumbnail then.
    return undefined;
  }
}
