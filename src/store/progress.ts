/** Download progress as numbers (for callers) and as words (for the CLI bar and VS Code). */
import { formatBytes } from '../protocol/byteSizes';

export interface DownloadProgress {
  phase: 'listing' | 'downloading' | 'verifying' | 'done';
  /** Repository path of the file being worked on. */
  file?: string;
  bytesDone: number;
  bytesTotal: number;
  /** Recent network speed; 0 until enough has arrived to tell. */
  bytesPerSecond: number;
  /** Seconds left at the recent speed; undefined while unknown. */
  etaSeconds?: number;
}

/** Speed over a sliding window, so a stall shows quickly and a burst does not dominate. */
export class SpeedMeter {
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(bytes: number): void {
    const at = this.now();
    this.samples.push({ at, bytes });
    while (this.samples.length > 1 && at - (this.samples[0] as { at: number }).at > this.windowMs) this.samples.shift();
  }

  bytesPerSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0] as { at: number };
    const elapsed = (this.now() - first.at) / 1000;
    if (elapsed < 0.2) return 0;
    const bytes = this.samples.slice(1).reduce((sum, s) => sum + s.bytes, 0);
    return bytes / elapsed;
  }
}


export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function percent(progress: DownloadProgress): number {
  return progress.bytesTotal > 0 ? Math.min(100, (progress.bytesDone / progress.bytesTotal) * 100) : 0;
}

/** "42% · 320 MB of 770 MB · 12.3 MB/s · 36 s left" */
export function describeProgress(progress: DownloadProgress): string {
  if (progress.phase === 'listing') return 'Asking the hub for the file list…';
  if (progress.phase === 'verifying') return `Verifying ${progress.file ?? 'files'}…`;
  const parts = [`${Math.floor(percent(progress))}%`, `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`];
  if (progress.bytesPerSecond > 0) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`);
  if (progress.etaSeconds !== undefined) parts.push(`${formatDuration(progress.etaSeconds)} left`);
  return parts.join(' · ');
}

/** A fixed-width text bar for terminals: "[#########...........]". */
export function progressBar(progress: DownloadProgress, width = 24): string {
  const filled = Math.round((percent(progress) / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
