/** Free space where a download will land, checked before the first byte is fetched. */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ModelError } from '../modelFolder/modelErrors';
import { formatBytes } from '../protocol/byteSizes';

/** Bytes left free after a download, so the disk is not filled to the last block. */
export const DISK_HEADROOM_BYTES = 64_000_000;

/** Bytes available to this user on the file system holding `path` (or its nearest existing parent). */
export async function freeBytes(path: string): Promise<number> {
  let current = path;
  for (;;) {
    try {
      const info = await statfs(current);
      return info.bavail * info.bsize;
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

export async function ensureFreeSpace(
  dir: string,
  neededBytes: number,
  label: string,
  measure: (dir: string) => Promise<number> = freeBytes,
): Promise<void> {
  if (neededBytes <= 0) return;
  const free = await measure(dir);
  if (free < neededBytes + DISK_HEADROOM_BYTES) {
    throw new ModelError(
      'NO_SPACE',
      `Not enough disk space for ${label} in ${dir}: it needs ${formatBytes(neededBytes)} more (plus ${formatBytes(DISK_HEADROOM_BYTES)} headroom), but only ${formatBytes(free)} is free. Free some space or choose a smaller model.`,
    );
  }
}
