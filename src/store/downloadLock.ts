/**
 * Makes sure one model is downloaded by one writer at a time: an in-process set (two commands in
 * the same extension host) plus a lock file with the owner's pid (the CLI and the extension, or
 * two windows). A lock whose process is gone is stale and taken over.
 */
import { hostname } from 'node:os';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelError } from '../modelFolder/modelErrors';
import { isProcessAlive } from '../modelFolder/processLiveness';

const LOCK_FILE = '.download.lock';
/** A lock from another machine (shared home directory) cannot be probed; trust it this long. */
const FOREIGN_LOCK_TTL_MS = 24 * 60 * 60 * 1000;

const heldInProcess = new Set<string>();

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export function lockPath(modelDir: string): string {
  return join(modelDir, LOCK_FILE);
}

/** Takes the lock for `modelDir` (the folder holding all revisions of one model) or throws LOCKED. */
export async function acquireModelLock(modelDir: string, label: string): Promise<() => Promise<void>> {
  const key = resolve(modelDir);
  if (heldInProcess.has(key)) {
    throw new ModelError('LOCKED', `${label} is already being downloaded in this window; wait for that download to finish.`);
  }
  heldInProcess.add(key);
  try {
    await mkdir(key, { recursive: true });
    await createLockFile(key, label);
  } catch (error) {
    heldInProcess.delete(key);
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    heldInProcess.delete(key);
    await unlink(lockPath(key)).catch(() => undefined);
  };
}

/** Why the model folder is locked, or undefined if nobody holds it. */
export async function describeLock(modelDir: string): Promise<string | undefined> {
  const key = resolve(modelDir);
  if (heldInProcess.has(key)) return 'a download in this process';
  const owner = await readOwner(lockPath(key));
  if (!owner || isStale(owner)) return undefined;
  return `process ${owner.pid} on ${owner.host} (since ${owner.startedAt})`;
}

async function createLockFile(dir: string, label: string): Promise<void> {
  const path = lockPath(dir);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const existing = await readOwner(path);
    if (existing && !isStale(existing)) {
      throw new ModelError(
        'LOCKED',
        `${label} is already being downloaded by process ${existing.pid} on ${existing.host} (since ${existing.startedAt}). Wait for it to finish; if that process is gone, delete ${path}.`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new ModelError('LOCKED', `Could not take the download lock ${path} for ${label}.`);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.startedAt === 'string') return parsed as LockOwner;
    // Unreadable content is treated as stale: a crash between create and write leaves an empty file.
    return { pid: -1, host: hostname(), startedAt: 'unknown' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { pid: -1, host: hostname(), startedAt: 'unknown' };
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return Date.now() - Date.parse(owner.startedAt) > FOREIGN_LOCK_TTL_MS;
  return !isProcessAlive(owner.pid);
}
