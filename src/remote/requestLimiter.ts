/**
 * At most N requests in flight to one server, and a server's 429 honoured for all of them: when
 * one request is told to wait, none starts until Retry-After has passed, and the refused one is
 * sent again. The batch and `loupe alt-text fix` share one per run.
 */
import { RemoteError } from './remoteErrors';

/** Without a Retry-After header, wait this long; a header asking for longer than the cap is capped. */
const DEFAULT_RETRY_MS = 2_000;
const MAX_RETRY_MS = 60_000;
const MAX_ATTEMPTS = 6;

export class RequestLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private pausedUntil = 0;
  /** Most requests seen in flight at once (the benchmark and tests report it). */
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`The request limit must be a whole number of at least 1, not ${limit}.`);
  }

  async run<T>(request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.acquire();
      try {
        signal?.throwIfAborted();
        await this.waitOutPause(signal);
        return await request();
      } catch (error) {
        if (!(error instanceof RemoteError) || error.kind !== 'rate-limited' || attempt >= MAX_ATTEMPTS || signal?.aborted) throw error;
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + Math.min(error.details.retryAfterMs ?? DEFAULT_RETRY_MS, MAX_RETRY_MS));
      } finally {
        this.release();
      }
    }
  }

  private async waitOutPause(signal?: AbortSignal): Promise<void> {
    while (Date.now() < this.pausedUntil) {
      await new Promise((resolve) => setTimeout(resolve, this.pausedUntil - Date.now()));
      signal?.throwIfAborted();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running += 1;
      this.peak = Math.max(this.peak, this.running);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => {
      this.peak = Math.max(this.peak, this.running);
    });
  }

  /** A freed slot passes straight to the next waiter, so `running` never overshoots. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
