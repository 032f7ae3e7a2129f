/**
 * The installed models under a storage folder (`<storage>/<model>/<revision>/installed.json`):
 * list them, find the folder to hand the engine, select which installed precision it loads,
 * report size and license, delete. A revision counts as installed only with a valid marker and
 * every file it lists present at its size. Ids and revisions from users are only ever looked up
 * in the store's own listing, so no name can reach outside it.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { acquireModelLock, describeLock } from './downloadLock';
import { ModelError } from '../modelFolder/modelErrors';
import { readInstalledMarker, writeInstalledMarker, type InstalledMarker } from '../modelFolder/installedMarker';

export interface InstalledModel {
  modelId: string;
  revision: string;
  dir: string;
  marker: InstalledMarker;
}

export interface ModelInfo extends InstalledModel {
  sizeOnDisk: number;
}

/** Every finished install, newest first within a model. */
export async function listInstalled(storageDir: string): Promise<InstalledModel[]> {
  const installed: InstalledModel[] = [];
  for (const modelId of await directories(storageDir)) installed.push(...(await revisionsOf(storageDir, modelId)));
  return installed.sort((a, b) => a.modelId.localeCompare(b.modelId));
}

/**
 * The newest finished install of a model, or undefined. Reads only that model's folder: this runs
 * on activation and before every job. Ids that are not a plain folder name are never found.
 */
export async function findInstalled(storageDir: string, modelId: string): Promise<InstalledModel | undefined> {
  if (!(await directories(storageDir)).includes(modelId)) return undefined;
  return (await revisionsOf(storageDir, modelId))[0];
}

/** A model's finished installs, newest first. */
async function revisionsOf(storageDir: string, modelId: string): Promise<InstalledModel[]> {
  const installed: InstalledModel[] = [];
  const modelDir = join(storageDir, modelId);
  for (const revision of await directories(modelDir)) {
    const dir = join(modelDir, revision);
    const marker = await readInstalledMarker(dir);
    if (marker && marker.modelId === modelId && marker.revision === revision && (await filesIntact(dir, marker))) {
      installed.push({ modelId, revision, dir, marker });
    }
  }
  return installed.sort((a, b) => b.marker.installedAt.localeCompare(a.marker.installedAt));
}

/** The folder to load for a model id, or undefined when it is not (completely) installed. */
export async function resolveInstalledModelDir(storageDir: string, modelId: string): Promise<string | undefined> {
  return (await findInstalled(storageDir, modelId))?.dir;
}

export async function modelInfo(storageDir: string, modelId: string): Promise<ModelInfo | undefined> {
  const model = await findInstalled(storageDir, modelId);
  return model && { ...model, sizeOnDisk: await folderSize(model.dir) };
}

/** Bytes of unfinished downloads of a model (revision folders without a marker). */
export async function partialDownloadBytes(storageDir: string, modelId: string): Promise<number> {
  const modelDir = join(storageDir, modelId);
  let total = 0;
  for (const revision of await directories(modelDir)) {
    const dir = join(modelDir, revision);
    if (!(await readInstalledMarker(dir))) total += await folderSize(dir);
  }
  return total;
}

/**
 * Makes an installed precision of a model the one the engine loads. Callers unload the model
 * from the engine afterwards, so the next job loads the new precision.
 */
export async function selectPrecision(storageDir: string, modelId: string, precisionId: string): Promise<InstalledModel> {
  const model = await findInstalled(storageDir, modelId);
  if (!model) throw new ModelError('NOT_INSTALLED', `${modelId} is not installed in ${storageDir}.`);
  const chosen = model.marker.precisions.find((p) => p.id === precisionId);
  if (!chosen) {
    const installed = model.marker.precisions.map((p) => p.id).join(', ');
    throw new ModelError('NOT_INSTALLED', `${modelId} has no ${precisionId} precision installed (installed: ${installed}); download that precision first.`);
  }
  if (model.marker.precision === chosen.id) return model;
  const release = await acquireModelLock(join(storageDir, modelId), model.marker.label);
  try {
    const marker = { ...model.marker, precision: chosen.id, dtype: chosen.dtype };
    await writeInstalledMarker(model.dir, marker);
    return { ...model, marker };
  } finally {
    await release();
  }
}

/**
 * Removes a model (all revisions, partial downloads included) or one revision. Refused while a
 * download of it is running. Callers unload the model from the engine first. The id must be a
 * model folder of the store and the revision one of its revision folders: `..` or a path is
 * never either.
 */
export async function deleteModel(storageDir: string, modelId: string, revision?: string): Promise<{ removedBytes: number }> {
  const modelDir = join(storageDir, modelId);
  const known = (await directories(storageDir)).includes(modelId) && (revision === undefined || (await directories(modelDir)).includes(revision));
  const target = revision === undefined ? modelDir : join(modelDir, revision);
  if (!known || !isInside(resolve(storageDir), resolve(target))) {
    throw new ModelError('NOT_INSTALLED', `${modelId}${revision === undefined ? '' : ` revision ${revision}`} is not in ${storageDir}; nothing to delete.`);
  }
  const holder = await describeLock(modelDir);
  if (holder) throw new ModelError('LOCKED', `${modelId} is being downloaded by ${holder}; cancel that download before deleting it.`);
  const removedBytes = await folderSize(target);
  await rm(target, { recursive: true, force: true });
  if (revision && (await directories(modelDir)).length === 0) await rm(modelDir, { recursive: true, force: true });
  return { removedBytes };
}

/** Sum of file sizes below a folder; symlinks are not followed. */
export async function folderSize(dir: string, seen = new Set<string>()): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderSize(path, seen);
    if (!entry.isFile()) continue;
    // The CPU-optimised copy hard-links the downloaded files: each is counted once. Only files
    // with several links are tracked (some file systems report inode 0 for every file).
    const info = await lstat(path, { bigint: true });
    if (info.nlink > 1n && info.ino !== 0n) {
      const inode = `${info.dev}:${info.ino}`;
      if (seen.has(inode)) continue;
      seen.add(inode);
    }
    total += Number(info.size);
  }
  return total;
}

async function filesIntact(dir: string, marker: InstalledMarker): Promise<boolean> {
  for (const file of marker.files) {
    try {
      if ((await stat(join(dir, file.path))).size !== file.size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Sub-folder names, skipping dot-names (locks, staging folders). */
async function directories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
