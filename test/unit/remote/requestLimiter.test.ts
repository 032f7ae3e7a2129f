import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestLimiter } from '../../../src/remote/requestLimiter';
import { RemoteError } from '../../../src/remote/remoteErrors';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RequestLimiter', () => {
  it('keeps at most N requests in flight and runs them all', async () => {
    const limiter = new RequestLimiter(4);
    let inFlight = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 13 }, (_, i) =>
        limiter.run(async () => {
          most = Math.max(most, ++inFlight);
          await tick(5 + (i % 3));
          inFlight -= 1;
          return i;
        }),
      ),
    );
    assert.deepEqual(results, Array.from({ length: 13 }, (_, i) => i));
    assert.equal(most, 4);
    assert.equal(limiter.peak, 4);
  });

  it('honours 429: the refused request is sent again after Retry-After, and nothing starts meanwhile', async () => {
    const limiter = new RequestLimiter(2);
    const starts: { name: string; at: number }[] = [];
    let refusedAt = 0;
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) =>
        limiter.run(async () => {
          starts.push({ name, at: Date.now() });
          if (name === 'a' && !refusedAt) {
            refusedAt = Date.now();
            throw new RemoteError('rate-limited', 'busy', { status: 429, retryAfterMs: 300 });
          }
          await tick(20);
          return name;
        }),
      ),
    );
    assert.deepEqual(results, ['a', 'b', 'c', 'd']);
    const after = starts.filter((start) => start.at > refusedAt + 5);
    assert.deepEqual(after.map((start) => start.name).sort(), ['a', 'c', 'd']);
    assert.ok(after.every((start) => start.at - refusedAt >= 290), `started ${after.map((s) => s.at - refusedAt).join(', ')} ms after the 429`);
  });

  it('gives up on other errors at once and after repeated 429s', async () => {
    const limiter = new RequestLimiter(1);
    let calls = 0;
    await assert.rejects(limiter.run(async () => (calls++, Promise.reject(new RemoteError('server', 'boom')))), /boom/);
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(limiter.run(async () => (calls++, Promise.reject(new RemoteError('rate-limited', 'busy', { retryAfterMs: 0 })))), /busy/);
    assert.equal(calls, 6);
  });

  it('stops waiting when cancelled', async () => {
    const limiter = new RequestLimiter(1);
    const abort = new AbortController();
    const blocker = limiter.run(() => tick(50));
    const queued = limiter.run(async () => 'ran', abort.signal);
    abort.abort();
    await assert.rejects(queued, { name: 'AbortError' });
    await blocker;
  });
});
