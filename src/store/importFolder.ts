/**
 * Offline import: take a model folder the user already has, refuse links that lead out of it,
 * check it against the layout the engine loads (src/modelFolder/modelLayout.ts), the architecture
 * contract and the external-data rules before anything is copied, then copy its files into
 * `<storage>/<model>/import-<content hash>/`, under the names transformers.js loads (`_q8` graphs
 * as `_quantized`) and with a processor chat template moved to where transformers.js reads it.
 * Every file is identified by its SHA-256, and each copy must hash to what its source hashed to.
 * The copy is checked again and gets its `installed.json` (every complete precision found, one
 * selected) before it is renamed into place, so a failed import leaves nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { findManifest } from '../catalog/catalog';
import { embedChatTemplate } from '../modelFolder/chatTemplate';
import { embedPreprocessorConfig, PREPROCESSOR_CONFIG } from '../modelFolder/processorConfig';
import { acquireModelLock } from './downloadLock';
import { ModelError } from '../modelFolder/modelErrors';
import { hashFile, type FileDigest } from './fileHash';
import { readInstalledMarker, writeInstalledMarker, type InstalledMarker } from '../modelFolder/installedMarker';
import type { ModelManifest } from '../catalog/manifest';
import { validateModelFolder, type GraphFile } from '../modelFolder/folderValidation';
import { FAMILY_NAMES, precisionsOf, type NamedPrecision } from '../modelFolder/modelLayout';

export interface ImportOptions {
  /** The folder to import. */
  source: string;
  storageDir: string;
  /** A manifest id (the folder must then match its architecture) or a new id; default `local-<folder name>`, labelled "<family> from <folder name>". */
  modelId?: string;
  /** Must be true when importing as a model whose license requires acceptance. */
  licenseAccepted?: boolean;
  signal?: AbortSignal;
  /**
   * Bytes of the model processed, of its total size. Each file is read twice (hashed, then copied
   * and its copy hashed); each read counts half.
   */
  onProgress?(bytesDone: number, bytesTotal: number): void;
}

export interface ImportOutcome {
  dir: string;
  marker: InstalledMarker;
  /** True when files with this exact content (SHA-256) were already imported: nothing was copied. */
  alreadyImported: boolean;
}

/** Where embedChatTemplate writes a processor's chat template (src/modelFolder/chatTemplate.ts). */
const TOKENIZER_CONFIG = 'tokenizer_config.json';

/** Root files worth keeping: configs, tokenizer data, chat templates, license texts. */
const ROOT_FILE = /^(?:[^/]+\.(?:json|jinja|txt|model)|LICENSE(?:\.[a-z]+)?)$/i;

export async function importModelFolder(options: ImportOptions): Promise<ImportOutcome> {
  const source = resolve(options.source);
  if (!(await isDirectory(source))) throw new ModelError('INVALID_MODEL', `${source} is not a folder; choose the folder that contains config.json and onnx/.`);
  const allowed = await linkBoundary(source);
  const modelId = options.modelId ?? `local-${slug(folderName(source))}`;
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(modelId)) throw new ModelError('INVALID_MODEL', `"${modelId}" is not a valid model id (lowercase letters, digits, "." and "-").`);
  const manifest = findManifest(modelId);
  if (manifest?.license.requiresAcceptance && !options.licenseAccepted) {
    throw new ModelError('LICENSE_NOT_ACCEPTED', `${manifest.label} is licensed under the ${manifest.license.name}, which you need to accept before using it. Read it at ${manifest.license.url}.`);
  }

  // Links are vetted before any file is read: validation would otherwise read what they lead to.
  await refuseLinksOut(source, allowed);
  // Everything the engine would refuse is refused here, before a byte is copied.
  const report = await validateModelFolder(source, { architecture: manifest?.architecture });
  const precisions = precisionsOf(report.graphs, manifestPrecisions(manifest));
  const selected = precisions[0] as NamedPrecision;
  const files = await filesToKeep(source, report.graphs, allowed);

  const total = files.reduce((sum, f) => sum + f.size, 0);
  let read = 0;
  const onBytes = (count: number) => {
    read += count;
    options.onProgress?.(Math.min(total, Math.floor(read / 2)), total);
  };
  const cancelled = () => new ModelError('CANCELLED', `Import of ${source} was cancelled; nothing was installed.`);
  // Files are known by their content, never by size or date: an edit that keeps both is a new import.
  const sourceDigests = new Map<string, FileDigest>();
  for (const file of files) {
    if (options.signal?.aborted) throw cancelled();
    sourceDigests.set(file.path, await hashFile(file.real, { signal: options.signal, onBytes }).catch(rethrowCancel(options.signal, cancelled)));
  }
  const revision = `import-${fingerprint(files, sourceDigests)}`;
  const modelDir = join(options.storageDir, modelId);
  const finalDir = join(modelDir, revision);
  const already = await readInstalledMarker(finalDir);
  if (already) return { dir: finalDir, marker: already, alreadyImported: true };

  const release = await acquireModelLock(modelDir, modelId);
  const staging = join(modelDir, `.import-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const copied = new Map<string, FileDigest>();
    for (const file of files) {
      if (options.signal?.aborted) throw cancelled();
      const target = join(staging, file.path);
      await mkdir(dirname(target), { recursive: true });
      // A copy, never a hard link: a link shares the source's inode, so editing the source in
      // place would change the installed model with no check at all. A reflink (copy-on-write
      // clone, where the file system has them) is as fast and shares no inode.
      await copyFile(file.real, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      const digest = await hashFile(target, { signal: options.signal, onBytes }).catch(rethrowCancel(options.signal, cancelled));
      const expected = sourceDigests.get(file.path) as FileDigest;
      if (digest.sha256 !== expected.sha256 || digest.size !== expected.size) {
        throw new ModelError('CHECKSUM_MISMATCH', `${file.from} in ${source} changed while it was being imported; nothing was installed. Import it again once nothing writes to it.`);
      }
      copied.set(file.path, digest);
    }
    options.onProgress?.(total, total);
    // Both rewrite (by rename) the file they write: those are hashed again below.
    const rewritten = (await embedChatTemplate(staging)) ? [TOKENIZER_CONFIG] : [];
    const derived = (await embedPreprocessorConfig(staging)) ? [PREPROCESSOR_CONFIG] : [];
    // Check the copy, not just the source: the source could have changed in between.
    await validateModelFolder(staging, { architecture: report.architecture });
    const hashed = [];
    for (const path of [...files.map((f) => f.path), ...derived]) {
      const digest = rewritten.includes(path) || !copied.has(path) ? await hashFile(join(staging, path), { signal: options.signal }).catch(rethrowCancel(options.signal, cancelled)) : (copied.get(path) as FileDigest);
      hashed.push({ path, size: digest.size, sha256: digest.sha256 });
    }
    const marker: InstalledMarker = {
      schemaVersion: 1,
      modelId,
      label: manifest?.label ?? `${FAMILY_NAMES[report.architecture]} from ${folderName(source)}`,
      architecture: report.architecture,
      source: 'import',
      revision,
      importedFrom: source,
      precision: selected.id,
      dtype: selected.dtype,
      precisions,
      license: manifest
        ? { name: manifest.license.name, url: manifest.license.url, requiresAcceptance: manifest.license.requiresAcceptance }
        : { name: 'unknown (imported folder)', url: '', requiresAcceptance: false },
      licenseAcceptedAt: manifest?.license.requiresAcceptance ? new Date().toISOString() : undefined,
      files: hashed,
      installedAt: new Date().toISOString(),
    };
    await writeInstalledMarker(staging, marker);
    await rm(finalDir, { recursive: true, force: true });
    await rename(staging, finalDir);
    return { dir: finalDir, marker, alreadyImported: false };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await release();
  }
}

interface KeptFile {
  /** In the source folder. */
  from: string;
  /** Its real path (links resolved), inside the link boundary: what is hashed and copied. */
  real: string;
  /** In the store. */
  path: string;
  size: number;
}

async function filesToKeep(source: string, graphs: GraphFile[], allowed: string[]): Promise<KeptFile[]> {
  const paths = new Map<string, string>();
  for (const entry of await readdir(source, { withFileTypes: true })) {
    // Links count as the files they lead to: a Hugging Face cache snapshot is made of them.
    if ((entry.isFile() || entry.isSymbolicLink()) && ROOT_FILE.test(entry.name) && (await stat(join(source, entry.name))).isFile()) {
      paths.set(entry.name, entry.name);
    }
  }
  for (const graph of graphs) {
    paths.set(graph.file, graph.path);
    for (const data of graph.externalData) paths.set(data, data);
  }
  const files: KeptFile[] = [];
  for (const [path, from] of [...paths].sort(([a], [b]) => a.localeCompare(b))) {
    // Checked again here, for the exact files copied: one could have become a link since the walk.
    const real = await realpath(join(source, from));
    if (!allowed.some((root) => isInside(root, real))) throw linksOutError(source, [`${from} leads to ${real}`]);
    files.push({ from, real, path, size: (await stat(real)).size });
  }
  return files;
}

/**
 * Where links in an imported folder may lead: the folder itself (its real path), and, for a Hugging
 * Face cache snapshot (`models--org--name/snapshots/<commit>/`, whose files are links into
 * `models--org--name/blobs/`), that repository's `blobs/` folder, the same rule folderValidation
 * applies to external data. Not the whole cache folder: nothing in a real snapshot links to
 * `refs/` or to other snapshots. A link anywhere else (`/etc/passwd`, a file beside the folder,
 * a linked folder elsewhere) is refused: the user chose this folder, not what it points at.
 */
async function linkBoundary(source: string): Promise<string[]> {
  const real = await realpath(source);
  const repo = dirname(dirname(real));
  const snapshot = basename(dirname(real)) === 'snapshots' && /^(?:models|datasets|spaces)--/.test(basename(repo)) && (await isDirectory(join(repo, 'blobs')));
  return snapshot ? [real, await realpath(join(repo, 'blobs'))] : [real];
}

/**
 * Every link in the folder, at any depth, file or folder, must stay inside the boundary. Linked
 * folders are not entered: where they lead is checked, and the files kept are checked again one
 * by one. A dangling link is judged by where it would lead.
 */
async function refuseLinksOut(source: string, allowed: string[]): Promise<void> {
  const problems: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const sub = pending.pop() as string;
    for (const entry of await readdir(join(source, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) pending.push(path);
      if (!entry.isSymbolicLink()) continue;
      const target = await linkTarget(join(source, path));
      if (!allowed.some((root) => isInside(root, target))) problems.push(`${path} is a link to ${target}`);
    }
  }
  if (problems.length > 0) throw linksOutError(source, problems.sort());
}

async function linkTarget(link: string): Promise<string> {
  try {
    return await realpath(link);
  } catch {
    return resolve(dirname(link), await readlink(link));
  }
}

function linksOutError(source: string, problems: string[]): ModelError {
  return new ModelError(
    'INVALID_MODEL',
    `${source} has links that lead out of the folder; nothing was imported. Copy the files they lead to into the folder, or remove the links:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** An aborted read fails with an AbortError; the caller reports a cancellation instead. */
function rethrowCancel(signal: AbortSignal | undefined, cancelled: () => ModelError): (error: unknown) => never {
  return (error) => {
    throw signal?.aborted ? cancelled() : error;
  };
}

/** A manifest's precisions, its default first: the ones an import as that model can offer. */
function manifestPrecisions(manifest: ModelManifest | undefined): NamedPrecision[] {
  if (!manifest) return [];
  const ordered = [...manifest.precisions].sort((a, b) => Number(b.id === manifest.defaultPrecision) - Number(a.id === manifest.defaultPrecision));
  return ordered.map((p) => ({ id: p.id, dtype: p.graphs }));
}

/** The import's name, from every stored path and its content's SHA-256. */
function fingerprint(files: KeptFile[], digests: Map<string, FileDigest>): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\0${digests.get(file.path)?.sha256}\n`);
  return hash.digest('hex').slice(0, 24);
}

/**
 * The folder's name as a person knows it: a Hugging Face cache snapshot's folder is a commit hash,
 * so its repository's name is used instead (`models--org--name/snapshots/<commit>` → "name").
 */
function folderName(source: string): string {
  const repo = basename(dirname(dirname(source)));
  const snapshot = basename(dirname(source)) === 'snapshots' && /^models--/.test(repo);
  return snapshot ? (repo.split('--').pop() ?? repo) : basename(source);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'model';
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
