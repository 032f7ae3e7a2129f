/**
 * Delivery to the panel's webview without VS Code: the outbox while the webview is away, what
 * replaces what in it, and that a closed panel's messages never reach the next panel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebviewConnection } from '../../../../src/features/askPanel/webviewConnection';
import type { HostToWebview } from '../../../../src/protocol/webview';

/** A webview's receiving end: what it was sent, in order. */
function webview() {
  const received: HostToWebview[] = [];
  return { received, postMessage: (message: HostToWebview) => received.push(message) };
}

const status = (state: 'loading' | 'loaded') => ({ type: 'modelStatus', modelStatus: { state, preset: 'fast' } }) as const;
const started = (requestId: string) => ({ type: 'started', requestId, task: 'alt-text' }) as const;
const token = (requestId: string, index: number) => ({ type: 'token', requestId, index, text: 'x' }) as const;

describe('webview connection', () => {
  it('posts straight to a ready webview', () => {
    const connection = new WebviewConnection();
    const port = webview();
    connection.attach(port);
    connection.markReady();
    connection.post(started('r1'));
    assert.deepEqual(port.received, [started('r1')]);
  });

  it('holds messages until the webview is ready; a newer state message replaces an unsent older one', () => {
    const connection = new WebviewConnection();
    const port = webview();
    connection.attach(port);
    connection.post(status('loading'));
    connection.post(started('r1'));
    connection.post(token('r1', 1));
    connection.post({ type: 'notice', level: 'info', text: 'first' });
    connection.post(status('loaded'));
    connection.post({ type: 'notice', level: 'info', text: 'second' });
    assert.deepEqual(port.received, []);
    connection.markReady();
    // Tokens are left to the snapshot; each answer's start is kept; state only as it is now.
    assert.deepEqual(port.received, [started('r1'), status('loaded'), { type: 'notice', level: 'info', text: 'second' }]);
  });

  it('queues again while the webview is hidden (destroyed) and delivers when it is back', () => {
    const connection = new WebviewConnection();
    const port = webview();
    connection.attach(port);
    connection.markReady();
    connection.hidden();
    connection.post({ type: 'done', requestId: 'r1', text: 'A cat.', cancelled: false, stats: { promptTokens: 1, imageTokens: 1, tiles: 1, generatedTokens: 2, timeToFirstTokenMs: 1, tokensPerSecond: 1, totalMs: 1 } });
    assert.equal(port.received.length, 0);
    connection.markReady();
    assert.deepEqual(port.received.map((message) => message.type), ['done']);
  });

  it('a closed panel\'s queued messages never reach the next panel', () => {
    const connection = new WebviewConnection();
    const first = webview();
    connection.attach(first);
    connection.post(started('r1'));
    connection.post({ type: 'failed', requestId: 'r1', message: 'Stopped.', actions: [] });
    connection.closed();
    const next = webview();
    connection.attach(next);
    connection.markReady();
    connection.post(status('loaded'));
    assert.deepEqual(first.received, []);
    assert.deepEqual(next.received, [status('loaded')]);
  });

  it('an answer bound to a closed panel posts nothing into the next one', () => {
    const connection = new WebviewConnection();
    connection.attach(webview());
    connection.markReady();
    const answerPost = connection.bound();
    connection.closed();
    // The answer ends after the panel closed (its job was stopped) …
    answerPost({ type: 'failed', requestId: 'r1', code: 'CANCELLED', message: 'Stopped.', actions: [] });
    // … and when the user opens the panel again.
    const next = webview();
    connection.attach(next);
    answerPost(started('r1'));
    connection.markReady();
    answerPost({ type: 'notice', level: 'error', text: 'late' });
    assert.deepEqual(next.received, []);
    // Posts bound to the panel open now still arrive.
    connection.bound()(started('r2'));
    assert.deepEqual(next.received, [started('r2')]);
  });

  it('drops messages while no panel is open at all', () => {
    const connection = new WebviewConnection();
    connection.post(started('r1'));
    const port = webview();
    connection.attach(port);
    connection.markReady();
    assert.deepEqual(port.received, []);
  });
});
