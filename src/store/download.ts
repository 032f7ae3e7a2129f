/**
 * Downloads the files one precision of a model needs into `<storage>/<model>/<commit>/`:
 * lock, list the revision, find each graph the precision wants in that listing (refusing, before
 * any byte, a layout the engine cannot load), check free space, fetch each file into `.part`
 * (resuming), verify its size and hash, rename it into place under the name transformers.js
 * loads, move a processor chat template to where transformers.js reads it, check the graphs
 * against the architecture contract, and only then write `installed.json`, which selects this
 * precision. Anything short of that leaves no marker, so a half-downloaded model is never used;
 * cancelling or losing the network keeps the part files for the next try.
 */
import { mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { embedChatTemplate } from '../modelFolder/chatTemplate';
import { ensureFreeSpace } from './diskSpace';
import { acquireModelLock } from './downloadLock';
import { ModelError } from '../modelFolder/modelErrors';
import { digestMismatch, hashFile, type FileDigest } from './fileHash';
import { HubClient, type HubRevision, type ProxySettings } from './hubClient';
import { readInstalledMarker, writeInstalledMarker, type InstalledMarker } from '../modelFolder/installedMarker';
import { checkGraphIo, textModelFacts } from '../modelFolder/contracts';
import { downloadSize, findPrecision, type ModelManifest, type Precision } from '../catalog/manifest';
import { externalDataLocationProblem, validateModelFolder } from '../modelFolder/folderValidation';
import {
  CHAT_TEMPLATE_FILES,
  findGraphFiles,
  GRAPH_NAMES,
  isExternalDataChunk,
  missingGraphsProblem,
  requiredRootFiles,
  unsupportedExportProblem,
  type FoundGraph,
} from '../modelFolder/modelLayout';
import { readOnnxHeader } from '../modelFolder/onnxHeader';
import { embedPreprocessorConfig, PREPROCESSOR_CONFIG, PROCESSOR_CONFIG } from '../modelFolder/processorConfig';
import { SpeedMeter, type DownloadProgress } from './progress';
import { transferToPart } from './transfer';

export interface DownloadModelOptions extends ProxySettings {
  manifest: ModelManifest;
  /** Precision id; the manifest's default when omitted. */
  precision?: string;
  /** Folder holding all models (`<storage>/<model>/<revision>/`). */
  storageDir: string;
  /** Hub base URL (default https://huggingface.co). */
  endpoint?: string;
  /** Bearer token for gated or private repositories. */
  token?: string;
  /** Hosts redirects may lead to; see `defaultAllowedHosts`. */
  allowedHosts?: string[];
  /** Must be true for models whose license requires acceptance. */
  licenseAccepted?: boolean;
  signal?: AbortSignal;
  onProgress?(progress: DownloadProgress): void;
  /** Minimum time between progress calls (ms, default 200); phase changes are always reported. */
  progressIntervalMs?: number;
  /** Automatic resume attempts per file after a network failure (default 3). */
  retries?: number;
  retryDelayMs?: number;
  /** Free-space probe; tests inject small readings. */
  freeSpace?(dir: string): Promise<number>;
}

export interface DownloadOutcome {
  dir: string;
  marker: InstalledMarker;
  /** Bytes that came over the network in this call (resumed bytes are not fetched again). */
  receivedBytes: number;
}

export interface PlannedFile {
  /** The file in the repository. */
  path: string;
  /** Where it is stored in the revision folder: the repository path, or transformers.js's name for a graph. */
  localPath: string;
  size: number;
  sha256?: string;
  gitOid?: string;
  /** Fetched in this order: configuration files, graphs, then their external data. */
  role: 'root' | 'graph' | 'data';
}

export async function downloadModel(options: DownloadModelOptions): Promise<DownloadOutcome> {
  const { manifest } = options;
  const precision = findPrecision(manifest, options.precision);
  if (manifest.license.requiresAcceptance && !options.licenseAccepted) {
    throw new ModelError(
      'LICENSE_NOT_ACCEPTED',
      `${manifest.label} is licensed under the ${manifest.license.name}, which you need to accept before downloading. Read it at ${manifest.license.url}.`,
    );
  }
  if (precision.unproven) {
    throw new ModelError(
      'UNPROVEN_PRECISION',
      `${manifest.label} (${precision.id}) is not offered: ${precision.unproven} Nothing was downloaded.${offeredPrecisionsHint(manifest)}`,
    );
  }
  const modelDir = join(options.storageDir, manifest.id);
  const release = await acquireModelLock(modelDir, manifest.label);
  const hub = new HubClient({
    endpoint: options.endpoint,
    token: options.token,
    allowedHosts: options.allowedHosts,
    proxy: options.proxy,
    noProxy: options.noProxy,
  });
  const reporter = new ProgressReporter(options.onProgress, options.progressIntervalMs ?? 200);
  try {
    reporter.phase({ phase: 'listing', bytesDone: 0, bytesTotal: downloadSize(manifest, precision).bytes });
    const revision = await hub.getRevision(manifest.hub.repo, manifest.hub.revision, options.signal);
    if (manifest.hub.revisionKind === 'commit' && revision.commit !== manifest.hub.revision) {
      throw new ModelError('HUB_HTTP', `The hub resolved commit ${manifest.hub.revision} of ${manifest.hub.repo} to ${revision.commit}; refusing a different revision than the one pinned.`);
    }
    const { files: planned, graphs } = planDownload(manifest, precision, revision);
    const dir = join(modelDir, revision.commit);
    await ensureRoomFor(dir, planned, manifest.label, options.freeSpace);

    const digests = new Map<string, FileDigest>();
    let total = planned.reduce((sum, file) => sum + file.size, 0);
    let doneBytes = 0;
    let received = 0;
    const fetch = async (file: PlannedFile) => {
      const fetched = await fetchVerified(hub, manifest, revision.commit, join(dir, file.localPath), file, {
        signal: options.signal,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
        onBytes: (fileBytes, delta) => reporter.update({ phase: 'downloading', file: file.path, bytesDone: doneBytes + fileBytes, bytesTotal: total }, delta),
        onVerifying: () => reporter.phase({ phase: 'verifying', file: file.path, bytesDone: doneBytes + file.size, bytesTotal: total }),
      });
      digests.set(file.localPath, fetched.digest);
      received += fetched.received;
      doneBytes += file.size;
    };
    // The graphs come before their weights: a layout the engine cannot run is refused after a few
    // kilobytes of graph structure, and the weights fetched are exactly those the graphs refer to.
    const structure = planned.filter((file) => file.role !== 'data');
    for (const file of structure) await fetch(file);
    const data = await checkGraphHeaders(dir, manifest, graphs, revision);
    total = [...structure, ...data].reduce((sum, file) => sum + file.size, 0);
    await ensureRoomFor(dir, data, manifest.label, options.freeSpace);
    for (const file of data) await fetch(file);

    reporter.phase({ phase: 'verifying', file: 'ONNX graphs', bytesDone: total, bytesTotal: total });
    if (await embedChatTemplate(dir)) digests.set('tokenizer_config.json', await hashFile(join(dir, 'tokenizer_config.json'), { signal: options.signal }));
    if (await embedPreprocessorConfig(dir)) digests.set(PREPROCESSOR_CONFIG, await hashFile(join(dir, PREPROCESSOR_CONFIG), { signal: options.signal }));
    await validateModelFolder(dir, { architecture: manifest.architecture, graphs: graphs.map((g) => ({ ...g, path: g.file })) });
    const marker = await withEarlierPrecisions(dir, hubMarker(manifest, precision, hub.endpoint, revision.commit, [...digests]));
    await writeInstalledMarker(dir, marker);
    reporter.phase({ phase: 'done', bytesDone: total, bytesTotal: total });
    return { dir, marker, receivedBytes: received };
  } finally {
    await hub.close();
    await release();
  }
}

/** One file: reuse a verified copy on disk, else fetch into `.part`, verify, rename into place. */
async function fetchVerified(
  hub: HubClient,
  manifest: ModelManifest,
  commit: string,
  finalPath: string,
  file: PlannedFile,
  options: { signal?: AbortSignal; retries?: number; retryDelayMs?: number; onBytes(fileBytes: number, delta: number): void; onVerifying(): void },
): Promise<{ digest: FileDigest; received: number }> {
  await mkdir(dirname(finalPath), { recursive: true });
  const existing = await verifiedExisting(finalPath, file, options.onVerifying, options.signal);
  if (existing) {
    options.onBytes(file.size, 0);
    return { digest: existing, received: 0 };
  }
  const partPath = `${finalPath}.part`;
  const label = `${manifest.hub.repo}/${file.path}`;
  const { received } = await transferToPart(hub, { url: hub.resolveUrl(manifest.hub.repo, commit, file.path), partPath, size: file.size, label, sha256: file.sha256 }, options);
  options.onVerifying();
  const digest = await hashFile(partPath, { gitOid: !file.sha256, signal: options.signal });
  const mismatch = digestMismatch(digest, file);
  if (mismatch) {
    await unlink(partPath).catch(() => undefined);
    throw new ModelError('CHECKSUM_MISMATCH', `${label} failed verification: its ${mismatch}. The downloaded file was deleted; try again, and if it keeps failing a proxy may be altering downloads.`);
  }
  await rename(partPath, finalPath);
  return { digest, received };
}

function hubMarker(manifest: ModelManifest, precision: Precision, endpoint: string, commit: string, digests: Array<[path: string, FileDigest]>): InstalledMarker {
  const now = new Date().toISOString();
  return {
    schemaVersion: 1,
    modelId: manifest.id,
    label: manifest.label,
    architecture: manifest.architecture,
    source: 'hub',
    revision: commit,
    hub: { endpoint, repo: manifest.hub.repo, requestedRevision: manifest.hub.revision, revisionKind: manifest.hub.revisionKind, commit },
    precision: precision.id,
    dtype: precision.graphs,
    precisions: [{ id: precision.id, dtype: precision.graphs }],
    license: { name: manifest.license.name, url: manifest.license.url, requiresAcceptance: manifest.license.requiresAcceptance },
    licenseAcceptedAt: manifest.license.requiresAcceptance ? now : undefined,
    files: digests.map(([path, digest]) => ({ path, size: digest.size, sha256: digest.sha256 })),
    installedAt: now,
  };
}

/**
 * Another precision downloaded into the same revision folder joins the ones already installed
 * there (the new one is selected); an earlier install with a damaged file is not carried over.
 */
async function withEarlierPrecisions(dir: string, marker: InstalledMarker): Promise<InstalledMarker> {
  const earlier = await readInstalledMarker(dir);
  if (!earlier || earlier.modelId !== marker.modelId || !(await filesPresent(dir, earlier))) return marker;
  const paths = new Set(marker.files.map((f) => f.path));
  return {
    ...marker,
    precisions: [...earlier.precisions.filter((p) => p.id !== marker.precision), ...marker.precisions],
    files: [...earlier.files.filter((f) => !paths.has(f.path)), ...marker.files],
  };
}

async function filesPresent(dir: string, marker: InstalledMarker): Promise<boolean> {
  for (const file of marker.files) {
    if ((await bytesOnDisk(join(dir, file.path))) !== file.size) return false;
  }
  return true;
}

function where(revision: HubRevision): string {
  return `${revision.repo}@${revision.requested}${revision.requested === revision.commit ? '' : ` (commit ${revision.commit.slice(0, 12)})`}`;
}

/** " Offered instead: q4, q4-small." for an error message; empty when nothing else is. */
function offeredPrecisionsHint(manifest: ModelManifest, installable?: string[]): string {
  const offered = manifest.precisions.filter((p) => !p.unproven && (!installable || installable.includes(p.id))).map((p) => p.id);
  return offered.length > 0 ? ` ${installable ? 'Installable at this revision' : 'Offered'}: ${offered.join(', ')}.` : '';
}

/** The manifest's precisions whose graphs this revision lists (what a download could install). */
export function installablePrecisions(manifest: ModelManifest, listed: string[]): string[] {
  if (unsupportedExportProblem(listed)) return [];
  return manifest.precisions.filter((p) => !p.unproven && !missingGraphsProblem(listed, p.graphs)).map((p) => p.id);
}

/**
 * The files a precision needs at this revision, with the size and hash each must have: the
 * shared files (at least those transformers.js reads), the graph the precision wants for each
 * session as the revision spells it, the external-data chunks listed next to each graph, the
 * processor chat templates and optional files the revision has. What is fetched is decided by
 * the listing alone: a graph with no `_data` file listed is inline, whatever config.json says. A
 * graph missing from the listing means a layout the engine cannot load: refused here, before any
 * byte is fetched, naming what the revision does have and which precisions it could install.
 * Manifest pins win over the hub; a disagreement is an error.
 */
export function planDownload(manifest: ModelManifest, precision: Precision, revision: HubRevision): { files: PlannedFile[]; graphs: FoundGraph[] } {
  const at = where(revision);
  const listed = [...revision.files.keys()];
  const layoutProblem = unsupportedExportProblem(listed) ?? missingGraphsProblem(listed, precision.graphs);
  if (layoutProblem) {
    throw new ModelError(
      'MISSING_FILES',
      `${at} has no ${precision.id} precision of ${manifest.label} that Loupe can run: ${layoutProblem}. Nothing was downloaded.${offeredPrecisionsHint(manifest, installablePrecisions(manifest, listed)) || ' No precision of this model is installable there; choose another model or import a folder.'}`,
    );
  }
  const found = findGraphFiles(listed);
  const graphs = GRAPH_NAMES.map((graph) => found.find((g) => g.graph === graph && g.dtype === precision.graphs[graph]) as FoundGraph);
  const roots = [...new Set([...requiredRootFiles(manifest.architecture), ...manifest.sharedFiles])]
    // Derived from processor_config.json after the download when the revision has none.
    .filter((path) => !(path === PREPROCESSOR_CONFIG && !revision.files.has(path) && revision.files.has(PROCESSOR_CONFIG)));
  const required = new Map<string, Pick<PlannedFile, 'localPath' | 'role'>>(roots.map((path) => [path, { localPath: path, role: 'root' }]));
  for (const graph of graphs) {
    required.set(graph.path, { localPath: graph.file, role: 'graph' });
    for (const path of listed) if (isExternalDataChunk(graph.path, path)) required.set(path, { localPath: path, role: 'data' });
  }
  const missing = [...required.keys()].filter((path) => !revision.files.has(path));
  if (missing.length > 0) {
    throw new ModelError(
      'MISSING_FILES',
      `${at} does not have the files ${manifest.label} (${precision.id}) needs: ${missing.join(', ')}. Nothing was downloaded; the repository layout may have changed; try another precision or model.`,
    );
  }
  for (const path of [...CHAT_TEMPLATE_FILES, ...manifest.optionalFiles]) {
    if (revision.files.has(path) && !required.has(path)) required.set(path, { localPath: path, role: 'root' });
  }
  const order = { root: 0, graph: 1, data: 2 } as const;
  const files = [...required].map(([path, { localPath, role }]) => plannedFile(manifest, revision, path, localPath, role));
  return { files: files.sort((a, b) => order[a.role] - order[b.role]), graphs };
}

/** A listed file with the size and hash it must have; manifest pins win over the hub, and must agree with it. */
function plannedFile(manifest: ModelManifest, revision: HubRevision, path: string, localPath: string, role: PlannedFile['role']): PlannedFile {
  const at = where(revision);
  const listedFile = revision.files.get(path) as NonNullable<ReturnType<typeof revision.files.get>>;
  const pin = manifest.pins[path];
  if (pin && ((listedFile.sha256 && listedFile.sha256 !== pin.sha256) || (listedFile.size >= 0 && listedFile.size !== pin.size))) {
    throw new ModelError(
      'CHECKSUM_MISMATCH',
      `${at} reports ${path} as ${listedFile.size} bytes with SHA-256 ${listedFile.sha256 ?? 'unknown'}, but the manifest pins ${pin.size} bytes with SHA-256 ${pin.sha256}. Refusing to download a file that differs from the pinned one.`,
    );
  }
  const size = pin?.size ?? listedFile.size;
  const sha256 = pin?.sha256 ?? listedFile.sha256;
  if (size < 0 || (!sha256 && !listedFile.gitOid)) {
    throw new ModelError('HUB_HTTP', `${at} gave no size or checksum for ${path}; refusing to install a file that cannot be verified.`);
  }
  return { path, localPath, size, sha256, gitOid: listedFile.gitOid, role };
}

/** Free space for the files not on disk yet (part files count as started). */
async function ensureRoomFor(dir: string, files: PlannedFile[], label: string, freeSpace?: (dir: string) => Promise<number>): Promise<void> {
  const present = await Promise.all(files.map((file) => bytesPresent(join(dir, file.localPath), file.size)));
  const needed = files.reduce((sum, file) => sum + file.size, 0) - present.reduce((a, b) => a + b, 0);
  await ensureFreeSpace(dir, needed, label, freeSpace);
}

/**
 * The downloaded graphs' inputs and outputs against the architecture contract, and the external
 * data they refer to, which must be listed: those are the weights to fetch, under their own names
 * (a renamed graph still refers to its repository's data file). Checked before any weight is fetched.
 */
async function checkGraphHeaders(dir: string, manifest: ModelManifest, graphs: FoundGraph[], revision: HubRevision): Promise<PlannedFile[]> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8').catch(() => '{}')) as unknown;
  const facts = textModelFacts(config);
  const problems: string[] = [];
  const data = new Map<string, PlannedFile>();
  for (const graph of graphs) {
    const header = await readOnnxHeader(join(dir, graph.file));
    for (const problem of checkGraphIo(manifest.architecture, graph.graph, header, facts)) problems.push(`${graph.path}: ${problem}`);
    for (const location of new Set(header.externalData.map((ref) => ref.location))) {
      const unsafe = externalDataLocationProblem(location);
      const path = posix.join(posix.dirname(graph.path), location);
      if (unsafe) problems.push(`${graph.path}: its weights are at ${unsafe}`);
      else if (!revision.files.has(path)) problems.push(`${graph.path}: its weights are in "${location}", which the revision does not list`);
      else data.set(path, plannedFile(manifest, revision, path, path, 'data'));
    }
  }
  if (problems.length > 0) {
    throw new ModelError(
      'INVALID_MODEL',
      `${where(revision)} has graphs Loupe cannot run as ${manifest.label}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nOnly the graph files were downloaded, no weights.`,
    );
  }
  return [...data.values()];
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Bytes of a file already on disk: the finished file, else its part file (capped at the size). */
async function bytesPresent(finalPath: string, size: number): Promise<number> {
  for (const path of [finalPath, `${finalPath}.part`]) {
    const bytes = await bytesOnDisk(path);
    if (bytes !== undefined) return Math.min(size, bytes);
  }
  return 0;
}

async function bytesOnDisk(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** A finished file from an earlier run, re-hashed; a damaged one is removed and fetched again. */
async function verifiedExisting(path: string, file: PlannedFile, onVerifying: () => void, signal?: AbortSignal): Promise<FileDigest | undefined> {
  try {
    if ((await stat(path)).size !== file.size) {
      await unlink(path);
      return undefined;
    }
  } catch {
    return undefined;
  }
  onVerifying();
  const digest = await hashFile(path, { gitOid: !file.sha256, signal });
  if (digestMismatch(digest, file)) {
    await unlink(path);
    return undefined;
  }
  return digest;
}

class ProgressReporter {
  private readonly meter = new SpeedMeter();
  private last = 0;

  constructor(
    private readonly listener: ((progress: DownloadProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  phase(progress: Omit<DownloadProgress, 'bytesPerSecond'>): void {
    this.emit(progress);
  }

  update(progress: Omit<DownloadProgress, 'bytesPerSecond'>, receivedDelta = 0): void {
    if (receivedDelta > 0) this.meter.add(receivedDelta);
    const now = Date.now();
    if (now - this.last < this.intervalMs && progress.bytesDone < progress.bytesTotal) return;
    this.emit(progress);
  }

  private emit(progress: Omit<DownloadProgress, 'bytesPerSecond'>): void {
    if (!this.listener) return;
    this.last = Date.now();
    const bytesPerSecond = this.meter.bytesPerSecond();
    const left = progress.bytesTotal - progress.bytesDone;
    const etaSeconds = progress.phase === 'done' ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : undefined;
    try {
      this.listener({ ...progress, bytesPerSecond, etaSeconds });
    } catch {
      // A failing progress listener must not break the download.
    }
  }
}
