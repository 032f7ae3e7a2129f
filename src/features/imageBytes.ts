/**
 * Is it really an image? Checks bytes by their signature, not their file name, so a renamed or
 * damaged file gets a clear error before a model or the webview sees it. No VS Code API here.
 */
import { MAX_IMAGE_BYTES, imageMimeType, type ImageMimeType } from '../protocol/webview';

/** The image type the bytes actually are, by their signature (SVG by its root element). */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | undefined {
  const starts = (...signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'image/webp';
  if (starts(0x42, 0x4d)) return 'image/bmp';
  const head = new TextDecoder().decode(bytes.subarray(0, 1024));
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return 'image/svg+xml';
  return undefined;
}

/** Refuses an empty or oversized image by its size alone, so a huge file is never read whole. */
export function checkImageSize(name: string, size: number): void {
  if (size === 0) throw new Error(`${name} is empty.`);
  if (size > MAX_IMAGE_BYTES) {
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    throw new Error(`${name} is ${mb(size)} MB; Loupe reads images up to ${mb(MAX_IMAGE_BYTES)} MB.`);
  }
}

/**
 * Reads an image file only after its size passed: `stat` and `read` are the file system's
 * (VS Code's workspace.fs in the extension), so remote and virtual workspaces work too.
 */
export async function readImageFile(
  name: string,
  stat: () => Promise<{ size: number }>,
  read: () => Promise<Uint8Array>,
): Promise<{ bytes: Uint8Array; mime: ImageMimeType }> {
  checkImageSize(name, (await stat()).size);
  const bytes = await read();
  return { bytes, mime: checkImageBytes(name, bytes) };
}

/** Checks bytes claimed to be an image named `name`; the error says which file and what is wrong. */
export function checkImageBytes(name: string, bytes: Uint8Array): ImageMimeType {
  checkImageSize(name, bytes.length);
  const sniffed = sniffImageType(bytes);
  if (!sniffed) {
    const claimed = imageMimeType(name);
    throw new Error(
      claimed
        ? `${name} is not a valid ${claimed.replace('image/', '').toUpperCase()} image (its content does not match). It may be damaged.`
        : `${name} is not an image Loupe can read. Use PNG, JPEG, GIF, WebP, BMP or SVG.`,
    );
  }
  return sniffed;
}
