import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/**
 * A temporary folder for the enclosing suite: made before its tests, removed after them.
 * Call inside `describe`; the returned function gives the folder's path once tests run.
 */
export function suiteScratchDir(prefix: string): () => string {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  return () => dir;
}
