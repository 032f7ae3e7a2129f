import { constants } from 'node:fs';
import { copyFile, link, realpath } from 'node:fs/promises';

/**
 * Hard link when allowed and possible, else copy (reflink where the file system can). Always of
 * the real file: linking a symlink would store the link, pointing outside the store.
 */
export async function placeFile(source: string, to: string, tryLink: boolean): Promise<boolean> {
  const from = await realpath(source);
  if (tryLink) {
    try {
      await link(from, to);
      return true;
    } catch {
      // Different file system or no hard links there: fall back to a copy.
    }
  }
  await copyFile(from, to, constants.COPYFILE_FICLONE);
  return false;
}
