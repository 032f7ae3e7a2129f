/**
 * The panel's current image and what its webview shows. The host holds the bytes; the webview
 * keeps only the id and a thumbnail in its saved state, so the bytes cross to the webview when the
 * image is new to it, or when a recreated webview asks for them — never back on every reveal.
 * No VS Code API here.
 */
import type { Task } from '../../protocol/tasks';
import type { HostToWebview } from '../../protocol/webview';
import type { LoadedImage } from './loadedImage';

export interface ImageKeeper {
  save(image: LoadedImage): Promise<void>;
  load(id: string): Promise<LoadedImage | undefined>;
  remove(id: string): Promise<void>;
}

type ImageMessage = Extract<HostToWebview, { type: 'image' }>;

export class PanelImages {
  private image?: LoadedImage;
  /** The task to start as soon as the webview shows the image (Explorer commands). */
  private ask?: { task: Task; question: string };
  /** The image the webview shows, as far as the host knows (undefined: none, or not known yet). */
  private shownId?: string;
  /** The image with a copy in the keeper. */
  private keptId?: string;
  private restoring: Promise<void> = Promise.resolve();

  constructor(
    private readonly keeper: ImageKeeper,
    private readonly onError: (message: string) => void,
  ) {}

  get current(): LoadedImage | undefined {
    return this.image;
  }

  set(image: LoadedImage, ask?: { task: Task; question: string }): void {
    this.image = image;
    this.ask = ask;
  }

  clear(): void {
    this.image = undefined;
    this.ask = undefined;
  }

  /**
   * A webview loaded, showing `shownId` from its saved state. After a window reload the host starts
   * empty and takes that image back from the keeper.
   */
  webviewLoaded(shownId: string | undefined): Promise<void> {
    this.shownId = shownId;
    if (this.image || !shownId) return (this.restoring = Promise.resolve());
    return (this.restoring = this.keeper.load(shownId).then((restored) => {
      // An image set meanwhile is newer.
      if (restored && !this.image) {
        this.image = restored;
        this.keptId = restored.id;
      }
    }));
  }

  /** The message that brings the webview up to date, when it shows another image than the current. */
  update(): ImageMessage | undefined {
    if (this.image?.id === this.shownId) return undefined;
    const message: ImageMessage = { type: 'image', image: this.image ? toMessageImage(this.image) : null, ask: this.ask };
    this.shownId = this.image?.id;
    this.ask = undefined;
    this.keep();
    return message;
  }

  /** The bytes a recreated webview asked for: only those of the current image. */
  async requested(id: string): Promise<ImageMessage | undefined> {
    await this.restoring;
    if (!this.image || this.image.id !== id) return undefined;
    return { type: 'image', image: toMessageImage(this.image) };
  }

  /** The panel was closed: its saved state is gone, and so goes the copy kept for it. */
  panelClosed(): void {
    this.shownId = undefined;
    this.forgetKept();
  }

  /** Keeps a copy of what the webview now shows, and only that. */
  private keep(): void {
    if (this.image?.id === this.keptId) return;
    this.forgetKept();
    const image = this.image;
    if (!image) return;
    this.keptId = image.id;
    this.keeper.save(image).catch((error: unknown) => this.onError(`Ask panel: could not keep the image for a window reload: ${String(error)}`));
  }

  private forgetKept(): void {
    const id = this.keptId;
    if (!id) return;
    this.keptId = undefined;
    this.keeper.remove(id).catch((error: unknown) => this.onError(`Ask panel: could not remove the kept image: ${String(error)}`));
  }
}

export function toMessageImage(image: LoadedImage): NonNullable<ImageMessage['image']> {
  return { id: image.id, name: image.name, origin: image.origin, mime: image.mime, bytes: image.bytes, hash: image.hash };
}
