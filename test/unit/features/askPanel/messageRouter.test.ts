/** The panel's router without VS Code: validation, dispatch by type, failures as notices. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageRouter, type PanelHandlers } from '../../../../src/features/askPanel/messageRouter';
import type { WebviewToHost } from '../../../../src/protocol/webview';

function setup(fail?: Error) {
  const handled: WebviewToHost[] = [];
  const logged: string[] = [];
  const notices: string[] = [];
  const handle = (message: WebviewToHost) => {
    handled.push(message);
    if (fail) throw fail;
  };
  const handlers = Object.fromEntries(
    (['ready', 'requestImage', 'pickImage', 'imageData', 'droppedUris', 'clearImage', 'ask', 'stop', 'insert', 'runCommand', 'openLink', 'setPreset'] as const).map((type) => [type, handle]),
  ) as PanelHandlers;
  const receive = messageRouter(handlers, { warn: (line) => logged.push(`warn ${line}`), error: (line) => logged.push(`error ${line}`) }, (text) => notices.push(text));
  return { receive, handled, logged, notices };
}

describe('panel message router', () => {
  it('hands each valid message to the handler for its type', async () => {
    const { receive, handled } = setup();
    await receive({ type: 'stop' });
    await receive({ type: 'imageData', name: 'clip.png', bytes: new Uint8Array([1, 2]) });
    await receive({ type: 'ask', task: 'alt-text', question: '', preset: 'fast', history: [] });
    assert.deepEqual(handled.map((message) => message.type), ['stop', 'imageData', 'ask']);
  });

  it('ignores and logs what does not parse, without running anything', async () => {
    const { receive, handled, logged, notices } = setup();
    await receive({ type: 'runCommand', command: 'workbench.action.terminal.new' });
    await receive({ type: 'imageData', name: 'clip.png', dataUrl: 'data:image/png;base64,AAAA' });
    await receive('ready');
    assert.deepEqual(handled, []);
    assert.equal(logged.length, 3);
    assert.ok(logged.every((line) => line.startsWith('warn Ask panel: ignored an invalid message')));
    assert.deepEqual(notices, []);
  });

  it('tells the user when a handler fails, and logs it', async () => {
    const { receive, logged, notices } = setup(new Error('photo.bmp is a BMP image, which Loupe cannot read. Convert it to PNG or JPEG and try again.'));
    await receive({ type: 'droppedUris', uris: ['file:///w/photo.bmp'] });
    assert.deepEqual(notices, ['photo.bmp is a BMP image, which Loupe cannot read. Convert it to PNG or JPEG and try again.']);
    assert.match(logged[0]!, /^error Ask panel: droppedUris failed: Error: photo\.bmp/);
  });
});
