/**
 * Delivery to the panel's webview, which is not always there: it is reloaded whenever it is hidden
 * (no retained context) and says `ready` when it is back, and the panel can be closed and opened
 * anew. Messages posted meanwhile wait in an outbox, where a newer state message replaces an unsent
 * older one; closing the panel empties it, and messages bound to a closed panel are dropped, so
 * nothing meant for one panel reaches the next. No VS Code API here.
 */
import type { HostToWebview } from '../../protocol/webview';

export interface WebviewPort {
  postMessage(message: HostToWebview): unknown;
}

export type Post = (message: HostToWebview) => void;

type Queueing = 'drop' | 'keep' | 'replace';

/** What an unsent message becomes while the webview is away. */
function queueing(message: HostToWebview): Queueing {
  switch (message.type) {
    // The snapshot sent on `ready` carries the stream so far.
    case 'token':
    case 'progress':
      return 'drop';
    // Each begins or ends an answer the webview may be waiting for.
    case 'started':
    case 'done':
    case 'ocrDone':
    case 'changes':
    case 'failed':
    case 'refused':
      return 'keep';
    // State: only the newest matters.
    default:
      return 'replace';
  }
}

export class WebviewConnection {
  private port?: WebviewPort;
  private ready = false;
  private outbox: HostToWebview[] = [];
  /** Counts panels closed: a post bound to an earlier panel is dropped. */
  private closedPanels = 0;

  /** A webview (a new panel's or a revived one's) is there; it takes messages once it is ready. */
  attach(port: WebviewPort): void {
    this.port = port;
    this.ready = false;
  }

  /** The webview was destroyed while hidden; it says `ready` again when shown. */
  hidden(): void {
    this.ready = false;
  }

  /** The webview said `ready`: what waited is delivered, in order. */
  markReady(): void {
    this.ready = true;
    for (const message of this.outbox.splice(0)) this.post(message);
  }

  /** The panel was closed: nothing queued for it, or posted for it later, reaches the next panel. */
  closed(): void {
    this.port = undefined;
    this.ready = false;
    this.outbox = [];
    this.closedPanels++;
  }

  get isReady(): boolean {
    return this.ready;
  }

  post(message: HostToWebview): void {
    if (this.port && this.ready) {
      void this.port.postMessage(message);
      return;
    }
    if (!this.port) return;
    const policy = queueing(message);
    if (policy === 'drop') return;
    if (policy === 'replace') this.outbox = this.outbox.filter((queued) => queued.type !== message.type);
    this.outbox.push(message);
  }

  /** A post for the panel open now, for work that outlives it (an answer): dropped once it closes. */
  bound(): Post {
    const panel = this.closedPanels;
    return (message) => {
      if (panel === this.closedPanels) this.post(message);
    };
  }
}
