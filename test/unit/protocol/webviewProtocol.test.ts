import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_IMAGE_BYTES } from '../../../src/protocol/imageFormats';
import { HostToWebviewSchema, ImageBytesSchema, WebviewToHostSchema } from '../../../src/protocol/webview';

const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const id = '6f1c2a7e-3b4d-4c5e-8f90-123456789abc';

describe('WebviewToHostSchema', () => {
  it('accepts every message the webview sends', () => {
    const messages = [
      { type: 'ready' },
      { type: 'ready', imageId: id },
      { type: 'requestImage', id },
      { type: 'pickImage' },
      { type: 'imageData', name: 'shot.png', bytes },
      { type: 'droppedUris', uris: ['file:///tmp/a.png'] },
      { type: 'clearImage' },
      { type: 'ask', task: 'question', question: 'What is this?', preset: 'fast', history: [{ role: 'user', text: 'hi', task: 'alt-text' }, { role: 'assistant', text: 'x' }] },
      { type: 'stop' },
      { type: 'insert', action: 'altText', text: 'A cat' },
      { type: 'runCommand', command: 'loupe.downloadModel' },
      { type: 'openLink', href: 'https://example.com' },
      { type: 'saveConversation', hash: 'a'.repeat(64), turns: [{ role: 'user', text: 'Alt text', task: 'alt-text', question: '' }] },
    ];
    for (const message of messages) assert.ok(WebviewToHostSchema.safeParse(message).success, JSON.stringify(message));
  });

  it('rejects what a compromised webview could try', () => {
    const attempts = [
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      // The panel's own choice of preset is never written to the user's settings.
      { type: 'setPreset', preset: 'detailed' },
      { type: 'imageData', name: 'x.png', bytes: 'data:image/png;base64,iVBORw0KGgo=' },
      { type: 'imageData', name: 'x.png', bytes: [0x89, 0x50] },
      { type: 'imageData', name: 'x.png', bytes: new Uint8Array(0) },
      { type: 'imageData', name: '', bytes },
      // Ids name files on the host: only ids it could have made.
      { type: 'requestImage', id: '../../settings.json' },
      { type: 'ready', imageId: 'x' },
      { type: 'insert', action: 'shell', text: 'rm -rf /' },
      { type: 'insert', action: 'copy', text: '' },
      { type: 'ask', task: 'jailbreak', question: '', preset: 'fast', history: [] },
      { type: 'ask', task: 'question', question: '', preset: 'turbo', history: [] },
      { type: 'ask', task: 'question', question: '', preset: 'fast', history: Array(65).fill({ role: 'user', text: 'x' }) },
      { type: 'droppedUris', uris: [] },
      { type: 'eval', code: '1' },
      'ready',
      null,
    ];
    for (const message of attempts) assert.equal(WebviewToHostSchema.safeParse(message).success, false, JSON.stringify(message));
  });
});

describe('ImageBytesSchema', () => {
  it('takes bytes as binary (Uint8Array, Node Buffers included), never as text', () => {
    assert.ok(ImageBytesSchema.safeParse(bytes).success);
    assert.ok(ImageBytesSchema.safeParse(Buffer.from(bytes)).success);
    assert.equal(ImageBytesSchema.safeParse('iVBORw0KGgo=').success, false);
    assert.equal(ImageBytesSchema.safeParse(bytes.buffer).success, false);
  });

  it("refuses images over the formats table's size limit before anything decodes them", () => {
    assert.ok(ImageBytesSchema.safeParse(new Uint8Array(MAX_IMAGE_BYTES)).success);
    assert.equal(ImageBytesSchema.safeParse(new Uint8Array(MAX_IMAGE_BYTES + 1)).success, false);
  });
});

describe('HostToWebviewSchema', () => {
  it('accepts the streaming sequence and fills defaults', () => {
    const stats = { promptTokens: 10, imageTokens: 96, tiles: 1, generatedTokens: 3, timeToFirstTokenMs: 5, tokensPerSecond: 100, totalMs: 30 };
    const sequence = [
      { type: 'init', modelStatus: { state: 'loaded', modelName: 'tiny', preset: 'fast' }, targets: { hasSelection: false }, isMac: false },
      { type: 'image', image: { id, name: 'a.png', origin: 'a.png', mime: 'image/png', bytes, hash: 'b'.repeat(64) }, ask: { task: 'alt-text', question: '' } },
      { type: 'image', image: null },
      { type: 'started', requestId: 'r1', task: 'alt-text' },
      { type: 'progress', requestId: 'r1', phase: 'encoding-image' },
      { type: 'token', requestId: 'r1', index: 1, text: 'A' },
      { type: 'done', requestId: 'r1', text: 'A cat', cancelled: false, stats },
      { type: 'done', requestId: 'r1', text: 'A cat', cancelled: false, stats, cutAtTokens: 3 },
      { type: 'imageRefused', message: 'a.png is damaged.', actions: [{ label: 'Choose another image…', command: 'pickImage' }] },
      { type: 'focusQuestion' },
    ];
    for (const message of sequence) assert.ok(HostToWebviewSchema.safeParse(message).success, JSON.stringify(message));
    const failed = HostToWebviewSchema.parse({ type: 'failed', message: 'No model' });
    assert.deepEqual(failed, { type: 'failed', message: 'No model', actions: [] });
  });

  it('rejects malformed host messages', () => {
    assert.equal(HostToWebviewSchema.safeParse({ type: 'token', requestId: 'r', index: -1, text: 'x' }).success, false);
    assert.equal(HostToWebviewSchema.safeParse({ type: 'failed', message: 'x', actions: [{ label: 'Run', command: 'rm' }] }).success, false);
    assert.equal(HostToWebviewSchema.safeParse({ type: 'modelStatus', modelStatus: { state: 'exploded', preset: 'fast' } }).success, false);
    // Only images the panel shows, with the MIME type a blob: URL is made with.
    const image = { id, name: 'a.bmp', origin: 'a.bmp', mime: 'image/bmp', bytes };
    assert.equal(HostToWebviewSchema.safeParse({ type: 'image', image }).success, false);
  });
});
