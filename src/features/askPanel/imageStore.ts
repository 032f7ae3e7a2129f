/**
 * A copy on disk of the image the panel's webview shows, so it survives a window reload: the
 * webview keeps only the image's id and a thumbnail in its state, and the host, which starts empty
 * after a reload, takes the image back from here. One file pair per image id, in the extension's
 * workspace storage; removed when the image is replaced or removed or the panel is closed. No
 * VS Code API here.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ImageIdSchema } from '../../protocol/webview';
import { loadImageFromBytes, type LoadedImage } from './loadedImage';

const MetadataSchema = z.object({ name: z.string(), origin: z.string(), uri: z.string().optional(), size: z.number() });

export class PanelImageStore {
  /** Operations run one after another: a removal must not overtake the save it undoes. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  save(image: LoadedImage): Promise<void> {
    return this.serially(async () => {
      await mkdir(this.dir, { recursive: true });
      await writeFile(this.path(image.id, 'bin'), image.bytes);
      // Written last: its presence means the bytes are complete.
      const metadata: z.infer<typeof MetadataSchema> = { name: image.name, origin: image.origin, uri: image.uri, size: image.bytes.byteLength };
      await writeFile(this.path(image.id, 'json'), JSON.stringify(metadata));
    });
  }

  /** The stored image, checked again like any other; undefined when there is none (or it is damaged). */
  load(id: string): Promise<LoadedImage | undefined> {
    // The id comes from the webview: only an id the host could have made names a file.
    if (!ImageIdSchema.safeParse(id).success) return Promise.resolve(undefined);
    return this.serially(async () => {
      try {
        const metadata = MetadataSchema.parse(JSON.parse(await readFile(this.path(id, 'json'), 'utf8')));
        const bytes = await readFile(this.path(id, 'bin'));
        if (bytes.byteLength !== metadata.size) return undefined;
        return { ...loadImageFromBytes(metadata.name, bytes, metadata.origin, metadata.uri), id };
      } catch {
        return undefined;
      }
    });
  }

  remove(id: string): Promise<void> {
    return this.serially(async () => {
      await rm(this.path(id, 'json'), { force: true });
      await rm(this.path(id, 'bin'), { force: true });
    });
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private path(id: string, extension: 'bin' | 'json'): string {
    return join(this.dir, `${id}.${extension}`);
  }
}
