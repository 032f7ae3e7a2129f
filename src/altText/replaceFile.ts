import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file's content all at once: written to a temporary file in the same folder (same
 * file system, so the rename is atomic) with the file's mode and owner, then renamed over it.
 * A reader, an editor or a crash never sees half a document. A symlinked document stays a link:
 * the file it points to is replaced.
 */
export async function replaceFile(path: string, data: Uint8Array): Promise<void> {
  const target = await realpath(path);
  const { mode, uid, gid } = await stat(target);
  const temporary = join(dirname(target), `.${basename(target)}.loupe-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode & 0o7777);
  try {
    try {
      await handle.writeFile(data);
      // The umask may have narrowed the mode at creation; the owner stays where permitted (root).
      await handle.chmod(mode & 0o7777);
      await handle.chown(uid, gid).catch(() => undefined);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
