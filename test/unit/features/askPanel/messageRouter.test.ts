/** The panel's router without VS Code: validation, dispatch by type, refusals and failures told to the webview. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageRouter, type PanelHandlers } from '../../../../src/features/askPanel/messageRouter';
import { MAX_QUESTION_CHARS } from '../../../../src/protocol/engine';
import { HostToWebviewSchema, type HostToWebview, type WebviewToHost } from '../../../../src/protocol/webview';

function setup(fail?: Error) {
  const handled: WebviewToHost[] = [];
  const logged: string[] = [];
  const replies: HostToWebview[] = [];
  const handle = (message: WebviewToHost) => {
    handled.push(message);
    if (fail) throw fail;
  };
  const handlers = Object.fromEntries(
    (['ready', 'requestImage', 'pickImage', 'imageData', 'droppedUris', 'clearImage', 'ask', 'stop', 'insert', 'runCommand', 'openLink', 'setPreset'] as const).map((type) => [type, handle]),
  ) as PanelHandlers;
  const receive = messageRouter(handlers, { warn: (line) => logged.push(`warn ${line}`), error: (line) => logged.push(`error ${line}`) }, (message) => replies.push(message));
  return { receive, handled, logged, replies };
}

describe('panel message router', () => {
  it('hands each valid message to the handler for its type', async () => {
    const { receive, handled, replies } = setup();
    await receive({ type: 'stop' });
    await receive({ type: 'imageData', name: 'clip.png', bytes: new Uint8Array([1, 2]) });
    await receive({ type: 'ask', task: 'alt-text', question: '', preset: 'fast', history: [] });
    assert.deepEqual(handled.map((message) => message.type), ['stop', 'imageData', 'ask']);
    assert.deepEqual(replies, []);
  });

  it('refuses what does not parse, without running anything, and tells the webview', async () => {
    const { receive, handled, logged, replies } = setup();
    await receive({ type: 'runCommand', command: 'workbench.action.terminal.new' });
    await receive({ type: 'imageData', name: 'clip.png', dataUrl: 'data:image/png;base64,AAAA' });
    await receive('ready');
    assert.deepEqual(handled, []);
    assert.equal(logged.length, 3);
    assert.ok(logged.every((line) => line.startsWith('warn Ask panel: refused an invalid message')));
    assert.deepEqual(replies.map((reply) => reply.type === 'refused' && reply.of), ['runCommand', 'imageData', undefined]);
    for (const reply of replies) HostToWebviewSchema.parse(reply);
  });

  it('an oversized question is refused in words naming what was too big, so the chat stops waiting', async () => {
    const { receive, handled, replies } = setup();
    const history = [
      { role: 'user', text: 'Describe it.' },
      { role: 'assistant', text: 'x'.repeat(MAX_QUESTION_CHARS + 1) },
    ];
    await receive({ type: 'ask', task: 'question', question: 'And then?', preset: 'fast', history });
    assert.deepEqual(handled, []);
    const [reply] = replies;
    assert.equal(reply?.type, 'refused');
    assert.equal(reply.type === 'refused' && reply.of, 'ask');
    assert.match(reply.type === 'refused' ? reply.message : '', /^Loupe could not take the question from the chat \(history\.1\.text: Too big/);
  });

  it('tells the user when a handler fails, and logs it', async () => {
    const { receive, logged, replies } = setup(new Error('photo.bmp is a BMP image, which Loupe cannot read. Convert it to PNG or JPEG and try again.'));
    await receive({ type: 'droppedUris', uris: ['file:///w/photo.bmp'] });
    assert.deepEqual(replies, [{ type: 'failed', message: 'photo.bmp is a BMP image, which Loupe cannot read. Convert it to PNG or JPEG and try again.', actions: [] }]);
    assert.match(logged[0]!, /^error Ask panel: droppedUris failed: Error: photo\.bmp/);
  });
});
