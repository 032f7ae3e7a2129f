/**
 * Offline import: take a model folder the user already has, check it against the layout the
 * engine loads (src/modelFolder/modelLayout.ts), the architecture contract and the external-data
 * rules before anything is copied, then hard-link (same file system) or copy its files into
 * `<storage>/<model>/import-<hash>/`, under the names transformers.js loads (`_q8` graphs as
 * `_quantized`) and with a processor chat template moved to where transformers.js reads it. The
 * copy is checked again and gets its `installed.json` (every complete precision found, one
 * selected) before it is renamed into place, so a failed import leaves nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { findManifest } from '../catalog/catalog';
import { embedChatTemplate } from '../modelFolder/chatTemplate';
import { embedPreprocessorConfig, PREPROCESSOR_CONFIG } from '../modelFolder/processorConfig';
import { acquireModelLock } from './downloadLock';
import { ModelError } from '../modelFolder/modelErrors';
import { hashFile } from './fileHash';
import { readInstalledMarker, writeInstalledMarker, type InstalledMarker } from '../modelFolder/installedMarker';
import type { ModelManifest } from '../catalog/manifest';
import { validateModelFolder, type GraphFile } from '../modelFolder/folderValidation';
import { precisionsOf, type NamedPrecision } from '../modelFolder/modelLayout';
import { placeFile } from '../modelFolder/placeFile';

export interface ImportOptions {
  /** The folder to import. */
  source: string;
  storageDir: string;
  /** A manifest id (the folder must then match its architecture) or a new id; default `local-<folder name>`. */
  modelId?: string;
  /** Must be true when importing as a model whose license requires acceptance. */
  licenseAccepted?: boolean;
  signal?: AbortSignal;
  onProgress?(bytesDone: number, bytesTotal: number): void;
}

export interface ImportOutcome {
  dir: string;
  marker: InstalledMarker;
  /** True when every file was hard-linked rather than copied. */
  linked: boolean;
}

/** Root files worth keeping: configs, tokenizer data, chat templates, license texts. */
const ROOT_FILE = /^(?:[^/]+\.(?:json|jinja|txt|model)|LICENSE(?:\.[a-z]+)?)$/i;

export async function importModelFolder(options: ImportOptions): Promise<ImportOutcome> {
  const source = resolve(options.source);
  if (!(await isDirectory(source))) throw new ModelError('INVALID_MODEL', `${source} is not a folder; choose the folder that contains config.json and onnx/.`);
  const modelId = options.modelId ?? `local-${slug(basename(source))}`;
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(modelId)) throw new ModelError('INVALID_MODEL', `"${modelId}" is not a valid model id (lowercase letters, digits, "." and "-").`);
  const manifest = findManifest(modelId);
  if (manifest?.license.requiresAcceptance && !options.licenseAccepted) {
    throw new ModelError('LICENSE_NOT_ACCEPTED', `${manifest.label} is licensed under the ${manifest.license.name}, which you need to accept before using it. Read it at ${manifest.license.url}.`);
  }

  // Everything the engine would refuse is refused here, before a byte is copied.
  const report = await validateModelFolder(source, { architecture: manifest?.architecture });
  const precisions = precisionsOf(report.graphs, manifestPrecisions(manifest));
  const selected = precisions[0] as NamedPrecision;
  const files = await filesToKeep(source, report.graphs);
  const revision = `import-${fingerprint(files)}`;
  const modelDir = join(options.storageDir, modelId);
  const finalDir = join(modelDir, revision);
  const already = await readInstalledMarker(finalDir);
  if (already) return { dir: finalDir, marker: already, linked: false };

  const release = await acquireModelLock(modelDir, modelId);
  const staging = join(modelDir, `.import-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const total = files.reduce((sum, f) => sum + f.size, 0);
    let done = 0;
    // Hard links while source and storage share a file system; copies once linking fails.
    let linked = true;
    for (const file of files) {
      if (options.signal?.aborted) throw new ModelError('CANCELLED', `Import of ${source} was cancelled; nothing was installed.`);
      const target = join(staging, file.path);
      await mkdir(dirname(target), { recursive: true });
      linked = (await placeFile(join(source, file.from), target, linked)) && linked;
      done += file.size;
      options.onProgress?.(done, total);
    }
    await embedChatTemplate(staging);
    const derived = (await embedPreprocessorConfig(staging)) ? [PREPROCESSOR_CONFIG] : [];
    // Check the copy, not just the source: the source could have changed in between.
    await validateModelFolder(staging, { architecture: report.architecture });
    const hashed = [];
    for (const file of [...files, ...derived.map((path) => ({ path }))]) {
      const digest = await hashFile(join(staging, file.path), { signal: options.signal });
      hashed.push({ path: file.path, size: digest.size, sha256: digest.sha256 });
    }
    const marker: InstalledMarker = {
      schemaVersion: 1,
      modelId,
      label: manifest?.label ?? `${basename(source)} (imported)`,
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
    return { dir: finalDir, marker, linked };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await release();
  }
}

interface KeptFile {
  /** In the source folder. */
  from: string;
  /** In the store. */
  path: string;
  size: number;
}

async function filesToKeep(source: string, graphs: GraphFile[]): Promise<KeptFile[]> {
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
  for (const [path, from] of [...paths].sort(([a], [b]) => a.localeCompare(b))) files.push({ from, path, size: (await stat(join(source, from))).size });
  return files;
}

/** A manifest's precisions, its default first: the ones an import as that model can offer. */
function manifestPrecisions(manifest: ModelManifest | undefined): NamedPrecision[] {
  if (!manifest) return [];
  const ordered = [...manifest.precisions].sort((a, b) => Number(b.id === manifest.defaultPrecision) - Number(a.id === manifest.defaultPrecision));
  return ordered.map((p) => ({ id: p.id, dtype: p.graphs }));
}

function fingerprint(files: KeptFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\0${file.size}\n`);
  return hash.digest('hex').slice(0, 12);
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
