/**
 * Content hashes of a file in one read: SHA-256 (what LFS/Xet and manifest pins use) and the git
 * blob id (what the hub reports for small files kept in git itself).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface FileDigest {
  size: number;
  sha256: string;
  /** Only computed when asked for: it costs a second hash over the same bytes. */
  gitOid?: string;
}

export async function hashFile(path: string, options: { gitOid?: boolean; signal?: AbortSignal; onBytes?(count: number): void } = {}): Promise<FileDigest> {
  const { size } = await stat(path);
  const sha256 = createHash('sha256');
  const git = options.gitOid ? createHash('sha1').update(`blob ${size}\0`) : undefined;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal: options.signal })) {
    sha256.update(chunk as Buffer);
    git?.update(chunk as Buffer);
    options.onBytes?.((chunk as Buffer).length);
  }
  return { size, sha256: sha256.digest('hex'), gitOid: git?.digest('hex') };
}

export interface ExpectedContent {
  size: number;
  sha256?: string;
  gitOid?: string;
}

/** Undefined when the digest matches; otherwise what differs, for the error message. */
export function digestMismatch(digest: FileDigest, expected: ExpectedContent): string | undefined {
  if (digest.size !== expected.size) return `size is ${digest.size} bytes, expected ${expected.size}`;
  if (expected.sha256 && digest.sha256 !== expected.sha256) return `SHA-256 is ${digest.sha256}, expected ${expected.sha256}`;
  if (!expected.sha256 && expected.gitOid && digest.gitOid !== expected.gitOid) return `git blob id is ${digest.gitOid}, expected ${expected.gitOid}`;
  return undefined;
}
