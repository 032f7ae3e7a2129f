import type { Worker, WorkerOptions } from 'node:worker_threads';
import { DocumentLimitError, reviveScanError, type ScanErrorData } from './documentErrors';
import type { ImageOccurrence } from './findings';
import type { ScanTarget } from './scanDocument';
import { assertScannable } from './scanLimits';

export interface ScanRequest {
  id: number;
  text: string;
  file: string;
  target: ScanTarget;
}

export type ScanReply = { id: number; images: ImageOccurrence[] } | { id: number; error: ScanErrorData };

/** Starts the scanner thread (src/altText/scanWorker.ts, bundled as dist/altTextScan.js). */
export type StartScanWorker = (options: WorkerOptions) => Worker;

/** Within the size limits a scan takes seconds at most; past this something is pathological. */
export const SCAN_TIME_LIMIT_MS = 30_000;
/** Heap for the thread: a 1 MB document needs well under this; a runaway parse ends here, not in the host. */
const SCAN_HEAP_MB = 1536;
/** An idle thread is ended, so the memory of a large parse goes back. */
const IDLE_MS = 60_000;

/**
 * scanImages (same answers, same errors) in a worker thread, for the editor: a parse never blocks
 * the extension host, a scan past the time limit is stopped by ending the thread, and running out
 * of memory ends the thread instead of the host. Scans run one at a time, in call order.
 */
export class IsolatedScanner {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly startWorker: StartScanWorker,
    private readonly timeLimitMs = SCAN_TIME_LIMIT_MS,
  ) {}

  scan(text: string, file: string, target: ScanTarget): Promise<ImageOccurrence[]> {
    const scan = this.queue.then(() => this.run(text, file, target));
    this.queue = scan.catch(() => undefined);
    return scan;
  }

  dispose(): void {
    this.stop();
  }

  private run(text: string, file: string, target: ScanTarget): Promise<ImageOccurrence[]> {
    // Documents over a limit are answered here, without copying them to the thread.
    assertScannable(text, file, target.kind === 'markdown' || target.kind === 'mdx');
    clearTimeout(this.idleTimer);
    const worker = (this.worker ??= this.start());
    const id = ++this.nextId;
    return new Promise<ImageOccurrence[]>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        this.idleTimer = setTimeout(() => this.stop(), IDLE_MS).unref();
        outcome();
      };
      const onMessage = (reply: ScanReply) => {
        if (reply.id !== id) return;
        settle(() => ('images' in reply ? resolve(reply.images) : reject(reviveScanError(reply.error))));
      };
      const onError = (error: Error & { code?: string }) => {
        this.forget(worker);
        const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
        settle(() => reject(outOfMemory ? new DocumentLimitError(file, `scanning needed more than ${SCAN_HEAP_MB} MB of memory`) : error));
      };
      const onExit = () => {
        this.forget(worker);
        settle(() => reject(new Error('the alt text scanner stopped unexpectedly')));
      };
      const timer = setTimeout(() => {
        this.stop();
        settle(() => reject(new DocumentLimitError(file, `scanning took longer than ${this.timeLimitMs / 1000} s`)));
      }, this.timeLimitMs);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ id, text, file, target } satisfies ScanRequest);
    });
  }

  private start(): Worker {
    const worker = this.startWorker({ resourceLimits: { maxOldGenerationSizeMb: SCAN_HEAP_MB } });
    // An idle scanner must not keep a process (the CLI, a test) alive.
    worker.unref();
    return worker;
  }

  private stop(): void {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  private forget(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
  }
}
