/**
 * Downloads the files one precision of a model needs into `<storage>/<model>/<commit>/`:
 * lock, list the revision, check free space, fetch each file into `.part` (resuming), verify its
 * size and hash, rename it into place, check the graphs against the architecture contract, and
 * only then write `installed.json`. Anything short of that leaves no marker, so a half-downloaded
 * model is never used; cancelling or losing the network keeps the part files for the next try.
 */
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureFreeSpace } from './diskSpace';
import { acquireModelLock } from './downloadLock';
import { ModelError } from './errors';
import { digestMismatch, hashFile, type FileDigest } from './fileHash';
import { HubClient, type HubRevision, type ProxySettings } from './hubClient';
import { writeInstalledMarker, type InstalledMarker } from './installedMarker';
import { dtypeMap, findPrecision, GRAPH_NAMES, type ModelManifest, type Precision } from './manifest';
import { validateModelFolder } from './modelFolder';
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
  path: string;
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
    const files = planDownload(manifest, precision, revision);
    const dir = join(modelDir, revision.commit);
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const present = await Promise.all(files.map((file) => bytesPresent(join(dir, file.path), file.size)));
    await ensureFreeSpace(dir, total - present.reduce((a, b) => a + b, 0), manifest.label, options.freeSpace);

    const digests = new Map<string, FileDigest>();
    let doneBytes = 0;
    let received = 0;
    for (const file of files) {
      const fetched = await fetchVerified(hub, manifest, revision.commit, join(dir, file.path), file, {
        signal: options.signal,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
        onBytes: (fileBytes, delta) => reporter.update({ phase: 'downloading', file: file.path, bytesDone: doneBytes + fileBytes, bytesTotal: total }, delta),
        onVerifying: () => reporter.phase({ phase: 'verifying', file: file.path, bytesDone: doneBytes + file.size, bytesTotal: total }),
      });
      digests.set(file.path, fetched.digest);
      received += fetched.received;
      doneBytes += file.size;
    }

    reporter.phase({ phase: 'verifying', file: 'ONNX graphs', bytesDone: total, bytesTotal: total });
    await validateModelFolder(dir, {
      architecture: manifest.architecture,
      graphs: GRAPH_NAMES.map((graph) => ({ graph, dtype: precision.graphs[graph].dtype, file: precision.graphs[graph].file })),
    });
    const marker = hubMarker(manifest, precision, hub.endpoint, revision.commit, files, digests);
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

function hubMarker(manifest: ModelManifest, precision: Precision, endpoint: string, commit: string, files: PlannedFile[], digests: Map<string, FileDigest>): InstalledMarker {
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
    dtype: dtypeMap(precision),
    license: { name: manifest.license.name, url: manifest.license.url, requiresAcceptance: manifest.license.requiresAcceptance },
    licenseAcceptedAt: manifest.license.requiresAcceptance ? now : undefined,
    files: files.map((file) => ({ path: file.path, size: file.size, sha256: (digests.get(file.path) as FileDigest).sha256 })),
    installedAt: now,
  };
}

/**
 * The files a precision needs at this revision, with the size and hash each must have: shared
 * files, the three graphs, their external data (declared, or listed next to the graph), and the
 * optional files the revision has. Manifest pins win over the hub; a disagreement is an error.
 */
export function planDownload(manifest: ModelManifest, precision: Precision, revision: HubRevision): PlannedFile[] {
  const required = new Set<string>(manifest.sharedFiles);
  for (const graph of GRAPH_NAMES) {
    const choice = precision.graphs[graph];
    required.add(choice.file);
    for (const data of choice.externalData) required.add(data);
    const sibling = new RegExp(`^${escapeRegExp(choice.file)}_data(_\\d+)?$`);
    for (const path of revision.files.keys()) if (sibling.test(path)) required.add(path);
  }
  const where = `${revision.repo}@${revision.requested}${revision.requested === revision.commit ? '' : ` (commit ${revision.commit.slice(0, 12)})`}`;
  const missing = [...required].filter((path) => !revision.files.has(path));
  if (missing.length > 0) {
    throw new ModelError(
      'MISSING_FILES',
      `${where} does not have the files ${manifest.label} (${precision.id}) needs: ${missing.join(', ')}. The repository layout may have changed; try another precision or model.`,
    );
  }
  const paths = [...required, ...manifest.optionalFiles.filter((path) => revision.files.has(path) && !required.has(path))];
  return paths.map((path) => {
    const listed = revision.files.get(path) as NonNullable<ReturnType<typeof revision.files.get>>;
    const pin = manifest.pins[path];
    if (pin && ((listed.sha256 && listed.sha256 !== pin.sha256) || (listed.size >= 0 && listed.size !== pin.size))) {
      throw new ModelError(
        'CHECKSUM_MISMATCH',
        `${where} reports ${path} as ${listed.size} bytes with SHA-256 ${listed.sha256 ?? 'unknown'}, but the manifest pins ${pin.size} bytes with SHA-256 ${pin.sha256}. Refusing to download a file that differs from the pinned one.`,
      );
    }
    const size = pin?.size ?? listed.size;
    const sha256 = pin?.sha256 ?? listed.sha256;
    if (size < 0 || (!sha256 && !listed.gitOid)) {
      throw new ModelError('HUB_HTTP', `${where} gave no size or checksum for ${path}; refusing to install a file that cannot be verified.`);
    }
    return { path, size, sha256, gitOid: listed.gitOid };
  });
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Bytes of a file already on disk: the finished file, else its part file (capped at the size). */
async function bytesPresent(finalPath: string, size: number): Promise<number> {
  for (const path of [finalPath, `${finalPath}.part`]) {
    try {
      return Math.min(size, (await stat(path)).size);
    } catch {
      // try the next candidate
    }
  }
  return 0;
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
