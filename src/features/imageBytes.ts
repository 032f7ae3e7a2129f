/**
 * Is it an image the Ask panel can take? Checks bytes by their signature, not their file name, so a
 * renamed, damaged or unreadable file (BMP) gets a clear error before a model or the webview sees
 * it. The rules are the formats table's (src/protocol/imageFormats.ts). No VS Code API here.
 */
import { checkPanelImage, sizeProblem, type ImageFormat } from '../protocol/imageFormats';

/** Refuses an empty or oversized image by its size alone, so a huge file is never read whole. */
export function checkImageSize(name: string, size: number): void {
  const problem = sizeProblem(name, size);
  if (problem) throw new Error(problem);
}

/**
 * Reads an image file only after its size passed: `stat` and `read` are the file system's
 * (VS Code's workspace.fs in the extension), so remote and virtual workspaces work too.
 */
export async function readImageFile(
  name: string,
  stat: () => Promise<{ size: number }>,
  read: () => Promise<Uint8Array>,
): Promise<{ bytes: Uint8Array; format: ImageFormat }> {
  checkImageSize(name, (await stat()).size);
  const bytes = await read();
  return { bytes, format: checkImageBytes(name, bytes) };
}

/** Checks bytes claimed to be an image named `name`; the error says which file and what is wrong. */
export function checkImageBytes(name: string, bytes: Uint8Array): ImageFormat {
  const checked = checkPanelImage(name, bytes);
  if ('problem' in checked) throw new Error(checked.problem);
  return checked.format;
}
