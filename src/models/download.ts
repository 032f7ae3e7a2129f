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
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { embedChatTemplate } from './chatTemplate';
import { ensureFreeSpace } from './diskSpace';
import { acquireModelLock } from './downloadLock';
import { ModelError } from './errors';
import { digestMismatch, hashFile, type FileDigest } from './fileHash';
import { HubClient, type HubRevision, type ProxySettings } from './hubClient';
import { readInstalledMarker, writeInstalledMarker, type InstalledMarker } from './installedMarker';
import { findPrecision, type ModelManifest, type Precision } from './manifest';
import { validateModelFolder } from './modelFolder';
import { CHAT_TEMPLATE_FILES, findGraphFiles, GRAPH_NAMES, isExternalDataChunk, missingGraphsProblem, requiredRootFiles, type FoundGraph } from './modelLayout';
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
    reporter.phase({ phase: 'listing', bytesDone: 0, bytesTotal: precision.approxDownloadBytes });
    const revision = await hub.getRevision(manifest.hub.repo, manifest.hub.revision, options.signal);
    if (manifest.hub.revisionKind === 'commit' && revision.commit !== manifest.hub.revision) {
      throw new ModelError('HUB_HTTP', `The hub resolved commit ${manifest.hub.revision} of ${manifest.hub.repo} to ${revision.commit}; refusing a different revision than the one pinned.`);
    }
    const { files, graphs } = planDownload(manifest, precision, revision);
    const dir = join(modelDir, revision.commit);
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const present = await Promise.all(files.map((file) => bytesPresent(join(dir, file.localPath), file.size)));
    await ensureFreeSpace(dir, total - present.reduce((a, b) => a + b, 0), manifest.label, options.freeSpace);

    const digests = new Map<string, FileDigest>();
    let doneBytes = 0;
    let received = 0;
    for (const file of files) {
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
    }

    reporter.phase({ phase: 'verifying', file: 'ONNX graphs', bytesDone: total, bytesTotal: total });
    if (await embedChatTemplate(dir)) digests.set('tokenizer_config.json', await hashFile(join(dir, 'tokenizer_config.json'), { signal: options.signal }));
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

/**
 * The files a precision needs at this revision, with the size and hash each must have: the
 * shared files (at least those transformers.js reads), the graph the precision wants for each
 * session as the revision spells it, the external-data chunks listed next to each graph, the
 * processor chat templates and optional files the revision has. A graph missing from the listing
 * means a layout the engine cannot load: refused here, before any byte is fetched, naming what
 * the revision does have. Manifest pins win over the hub; a disagreement is an error.
 */
export function planDownload(manifest: ModelManifest, precision: Precision, revision: HubRevision): { files: PlannedFile[]; graphs: FoundGraph[] } {
  const where = `${revision.repo}@${revision.requested}${revision.requested === revision.commit ? '' : ` (commit ${revision.commit.slice(0, 12)})`}`;
  const listed = [...revision.files.keys()];
  const layoutProblem = missingGraphsProblem(listed, precision.graphs);
  if (layoutProblem) {
    throw new ModelError(
      'MISSING_FILES',
      `${where} has no ${precision.id} precision of ${manifest.label} that Loupe can run: ${layoutProblem}. Nothing was downloaded; try another precision (--precision) or model.`,
    );
  }
  const found = findGraphFiles(listed);
  const graphs = GRAPH_NAMES.map((graph) => found.find((g) => g.graph === graph && g.dtype === precision.graphs[graph]) as FoundGraph);
  const required = new Map<string, string>([...requiredRootFiles(manifest.architecture), ...manifest.sharedFiles].map((path) => [path, path]));
  for (const graph of graphs) {
    required.set(graph.path, graph.file);
    for (const path of listed) if (isExternalDataChunk(graph.path, path)) required.set(path, path);
  }
  const missing = [...required.keys()].filter((path) => !revision.files.has(path));
  if (missing.length > 0) {
    throw new ModelError(
      'MISSING_FILES',
      `${where} does not have the files ${manifest.label} (${precision.id}) needs: ${missing.join(', ')}. Nothing was downloaded; the repository layout may have changed; try another precision or model.`,
    );
  }
  for (const path of [...CHAT_TEMPLATE_FILES, ...manifest.optionalFiles]) if (revision.files.has(path) && !required.has(path)) required.set(path, path);
  const files = [...required].map(([path, localPath]) => {
    const listedFile = revision.files.get(path) as NonNullable<ReturnType<typeof revision.files.get>>;
    const pin = manifest.pins[path];
    if (pin && ((listedFile.sha256 && listedFile.sha256 !== pin.sha256) || (listedFile.size >= 0 && listedFile.size !== pin.size))) {
      throw new ModelError(
        'CHECKSUM_MISMATCH',
        `${where} reports ${path} as ${listedFile.size} bytes with SHA-256 ${listedFile.sha256 ?? 'unknown'}, but the manifest pins ${pin.size} bytes with SHA-256 ${pin.sha256}. Refusing to download a file that differs from the pinned one.`,
      );
    }
    const size = pin?.size ?? listedFile.size;
    const sha256 = pin?.sha256 ?? listedFile.sha256;
    if (size < 0 || (!sha256 && !listedFile.gitOid)) {
      throw new ModelError('HUB_HTTP', `${where} gave no size or checksum for ${path}; refusing to install a file that cannot be verified.`);
    }
    return { path, localPath, size, sha256, gitOid: listedFile.gitOid };
  });
  return { files, graphs };
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
