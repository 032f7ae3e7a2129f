import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HostToWebviewSchema,
  ImageDataUrlSchema,
  MAX_IMAGE_BYTES,
  WebviewToHostSchema,
  imageMimeType,
} from '../../src/protocol/webview';

const png = `data:image/png;base64,${Buffer.from('not really a png').toString('base64')}`;

describe('WebviewToHostSchema', () => {
  it('accepts every message the webview sends', () => {
    const messages = [
      { type: 'ready' },
      { type: 'ready', restoredImage: { name: 'a.png', dataUrl: png, origin: 'Pasted image' } },
      { type: 'pickImage' },
      { type: 'imageData', name: 'shot.png', dataUrl: png },
      { type: 'droppedUris', uris: ['file:///tmp/a.png'] },
      { type: 'clearImage' },
      { type: 'ask', task: 'question', question: 'What is this?', preset: 'fast', history: [{ role: 'user', text: 'hi', task: 'alt-text' }, { role: 'assistant', text: 'x' }] },
      { type: 'stop' },
      { type: 'insert', action: 'altText', text: 'A cat' },
      { type: 'runCommand', command: 'loupe.downloadModel' },
      { type: 'openLink', href: 'https://example.com' },
      { type: 'setPreset', preset: 'detailed' },
    ];
    for (const message of messages) assert.ok(WebviewToHostSchema.safeParse(message).success, JSON.stringify(message));
  });

  it('rejects what a compromised webview could try', () => {
    const attempts = [
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      { type: 'imageData', name: 'x.html', dataUrl: 'data:text/html;base64,PHNjcmlwdD4=' },
      { type: 'imageData', name: 'x.png', dataUrl: 'javascript:alert(1)' },
      { type: 'imageData', name: '', dataUrl: png },
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

describe('ImageDataUrlSchema', () => {
  it('accepts base64 data URLs of supported image types only', () => {
    assert.ok(ImageDataUrlSchema.safeParse('data:image/svg+xml;base64,PHN2Zy8+').success);
    assert.equal(ImageDataUrlSchema.safeParse('data:image/png,rawbytes').success, false);
    assert.equal(ImageDataUrlSchema.safeParse('data:image/tiff;base64,AAAA').success, false);
    assert.equal(ImageDataUrlSchema.safeParse(`${png}\n<script>`).success, false);
  });

  it('refuses images over the size limit before anything decodes them', () => {
    const tooBig = `data:image/png;base64,${'A'.repeat(Math.ceil(MAX_IMAGE_BYTES / 3) * 4 + 100)}`;
    assert.equal(ImageDataUrlSchema.safeParse(tooBig).success, false);
  });
});

describe('HostToWebviewSchema', () => {
  it('accepts the streaming sequence and fills defaults', () => {
    const stats = { promptTokens: 10, imageTokens: 96, tiles: 1, generatedTokens: 3, timeToFirstTokenMs: 5, tokensPerSecond: 100, totalMs: 30 };
    const sequence = [
      { type: 'init', modelStatus: { state: 'loaded', modelName: 'tiny', preset: 'fast' }, targets: { hasSelection: false }, isMac: false },
      { type: 'image', image: { name: 'a.png', dataUrl: png, origin: 'a.png' }, ask: { task: 'alt-text', question: '' } },
      { type: 'started', requestId: 'r1', task: 'alt-text' },
      { type: 'progress', requestId: 'r1', phase: 'encoding-image' },
      { type: 'token', requestId: 'r1', index: 1, text: 'A' },
      { type: 'done', requestId: 'r1', text: 'A cat', cancelled: false, stats },
    ];
    for (const message of sequence) assert.ok(HostToWebviewSchema.safeParse(message).success, JSON.stringify(message));
    const failed = HostToWebviewSchema.parse({ type: 'failed', message: 'No model' });
    assert.deepEqual(failed, { type: 'failed', message: 'No model', actions: [] });
  });

  it('rejects malformed host messages', () => {
    assert.equal(HostToWebviewSchema.safeParse({ type: 'token', requestId: 'r', index: -1, text: 'x' }).success, false);
    assert.equal(HostToWebviewSchema.safeParse({ type: 'failed', message: 'x', actions: [{ label: 'Run', command: 'rm' }] }).success, false);
    assert.equal(HostToWebviewSchema.safeParse({ type: 'modelStatus', modelStatus: { state: 'exploded', preset: 'fast' } }).success, false);
  });
});

describe('imageMimeType', () => {
  it('maps supported extensions case-insensitively and nothing else', () => {
    assert.equal(imageMimeType('A.PNG'), 'image/png');
    assert.equal(imageMimeType('photo.jpeg'), 'image/jpeg');
    assert.equal(imageMimeType('x.jpg'), 'image/jpeg');
    assert.equal(imageMimeType('d.svg'), 'image/svg+xml');
    assert.equal(imageMimeType('scan.tiff'), undefined);
    assert.equal(imageMimeType('png'), undefined);
  });
});
