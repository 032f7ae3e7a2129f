/**
 * The panel's image without VS Code: bytes cross to the webview when the image is new to it or a
 * recreated webview asks, never on a plain reveal; a window reload gets the image back from the
 * copy on disk (real files here); closing the panel or replacing the image removes that copy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { PanelImageStore } from '../../../../src/features/askPanel/imageStore';
import { loadImageFromBytes, type LoadedImage } from '../../../../src/features/askPanel/loadedImage';
import { PanelImages, type ImageKeeper } from '../../../../src/features/askPanel/panelImages';

const scratch = mkdtempSync(join(tmpdir(), 'loupe-panel-images-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const png = async (color: string) => sharp({ create: { width: 8, height: 6, channels: 3, background: color } }).png().toBuffer();

/** The real store, with its writes awaitable (the panel does not wait for them). */
class SettledStore implements ImageKeeper {
  private readonly pending: Promise<unknown>[] = [];
  readonly store: PanelImageStore;
  constructor(readonly dir: string) {
    this.store = new PanelImageStore(dir);
  }
  save(image: LoadedImage) {
    return this.track(this.store.save(image));
  }
  load(id: string) {
    return this.store.load(id);
  }
  remove(id: string) {
    return this.track(this.store.remove(id));
  }
  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.push(promise);
    return promise;
  }
  async settled(): Promise<string[]> {
    await Promise.all(this.pending);
    return readdirSync(this.dir).sort();
  }
}

let dirs = 0;
function setup() {
  const keeper = new SettledStore(join(scratch, `store-${dirs++}`));
  const errors: string[] = [];
  return { keeper, errors, images: new PanelImages(keeper, (message) => errors.push(message)) };
}

describe('panel images', () => {
  it('sends a new image once, with its bytes and the task to start', async () => {
    const { images } = setup();
    const image = loadImageFromBytes('shot.png', await png('#f00'), 'docs/shot.png', 'file:///w/docs/shot.png');
    await images.webviewLoaded(undefined);
    images.set(image, { task: 'alt-text', question: '' });
    const update = images.update();
    assert.equal(update?.image?.id, image.id);
    assert.ok(update?.image?.bytes instanceof Uint8Array && update.image.bytes.constructor === Uint8Array);
    assert.deepEqual(update?.image?.bytes, image.bytes);
    assert.equal(update?.image?.mime, 'image/png');
    assert.deepEqual(update?.ask, { task: 'alt-text', question: '' });
    assert.equal(images.update(), undefined, 'nothing more to send');
  });

  it('a reveal posts nothing back; the recreated webview gets the bytes when it asks for them', async () => {
    const { images } = setup();
    const image = loadImageFromBytes('shot.png', await png('#0f0'), 'shot.png');
    images.set(image);
    images.update();
    // Hidden and shown again: the webview says which image its saved state shows.
    await images.webviewLoaded(image.id);
    assert.equal(images.update(), undefined);
    assert.deepEqual((await images.requested(image.id))?.image?.bytes, image.bytes);
    assert.equal(await images.requested('0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d'), undefined, 'only the current image');
  });

  it('an image set while the webview was away replaces the one it shows', async () => {
    const { images } = setup();
    const first = loadImageFromBytes('a.png', await png('#00f'), 'a.png');
    const second = loadImageFromBytes('b.png', await png('#ff0'), 'b.png');
    images.set(first);
    images.update();
    images.set(second, { task: 'extract-text', question: '' });
    await images.webviewLoaded(first.id);
    const update = images.update();
    assert.equal(update?.image?.id, second.id);
    assert.equal(update?.ask?.task, 'extract-text');
    assert.equal(await images.requested(first.id), undefined, 'the old image is not sent after the new one');
  });

  it('after a window reload the host takes the image back from the kept copy', async () => {
    const before = setup();
    const image = loadImageFromBytes('shot.png', await png('#0ff'), 'docs/shot.png', 'file:///w/docs/shot.png');
    before.images.set(image);
    before.images.update();
    assert.deepEqual(await before.keeper.settled(), [`${image.id}.bin`, `${image.id}.json`]);

    // A new extension host: nothing in memory, the same storage.
    const after = new PanelImages(new PanelImageStore(before.keeper.dir), () => undefined);
    const loaded = after.webviewLoaded(image.id);
    const requested = after.requested(image.id);
    await loaded;
    assert.equal(after.update(), undefined, 'the webview already shows it');
    const reply = await requested;
    assert.deepEqual(reply?.image, { id: image.id, name: 'shot.png', origin: 'docs/shot.png', mime: 'image/png', bytes: image.bytes, hash: image.hash });
    assert.equal(after.current?.uri, 'file:///w/docs/shot.png');
  });

  it('a webview showing an image the host no longer has is told it is gone', async () => {
    const { images } = setup();
    await images.webviewLoaded('0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d');
    assert.deepEqual(images.update(), { type: 'image', image: null, ask: undefined });
  });

  it('keeps one copy: replacing or removing the image, or closing the panel, removes it', async () => {
    const { images, keeper, errors } = setup();
    const first = loadImageFromBytes('a.png', await png('#123'), 'a.png');
    const second = loadImageFromBytes('b.png', await png('#456'), 'b.png');
    images.set(first);
    images.update();
    images.set(second);
    images.update();
    assert.deepEqual(await keeper.settled(), [`${second.id}.bin`, `${second.id}.json`]);
    images.panelClosed();
    assert.deepEqual(await keeper.settled(), []);
    // Reopened: the host still has the image for the new panel, which keeps it again.
    await images.webviewLoaded(undefined);
    assert.equal(images.update()?.image?.id, second.id);
    assert.deepEqual(await keeper.settled(), [`${second.id}.bin`, `${second.id}.json`]);
    images.clear();
    assert.deepEqual(images.update(), { type: 'image', image: null, ask: undefined });
    assert.deepEqual(await keeper.settled(), []);
    assert.deepEqual(errors, []);
  });
});

describe('panel image store', () => {
  it('names files only by ids the host makes, and treats a damaged copy as none', async () => {
    const dir = join(scratch, 'damaged');
    const store = new PanelImageStore(dir);
    const image = loadImageFromBytes('a.png', await png('#789'), 'a.png');
    await store.save(image);
    assert.equal(await store.load('../../a'), undefined);
    writeFileSync(join(dir, `${image.id}.bin`), 'truncated');
    assert.equal(await store.load(image.id), undefined);
  });
});
