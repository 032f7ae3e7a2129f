/**
 * The answer streaming in, rendered in time that grows with what arrives, not with the whole
 * answer on every frame: re-rendering all of it made a 1 MB answer freeze the workbench, whose
 * main thread the webview shares. Finished blocks are rendered once and appended; only the last,
 * unfinished one is rendered again as text arrives, and no more often than its cost allows. Every
 * piece goes through renderAnswer (the same sanitising), cut where markdown-it's block parser
 * starts a top-level block (settledLength), so the pieces give the HTML the whole text gives. The
 * one exception, link reference definitions, which reach back to earlier blocks: an answer that
 * may hold one is rendered whole when it ends.
 */
import { mayDefineReferences, renderAnswer, settledLength } from './markdown';

/** Most text parsed for finished blocks per frame: a big batch is caught up over a few frames. */
const WINDOW_CHARS = 32 * 1024;
/** The unfinished block is rendered again no sooner than this many times its last render took. */
const TAIL_COST_FACTOR = 4;
/** Work shorter than this fits a frame beside the rest; longer work is followed by as long a pause. */
const PAUSE_ABOVE_MS = 8;

export class StreamingMarkdown {
  /** All text shown so far. */
  private text = '';
  /** How much of `text` is rendered as finished blocks. */
  private settled = 0;
  /** The nodes of the unfinished block, and the text they show. */
  private tail: ChildNode[] = [];
  private tailText = '';
  private tailDueAt = 0;
  private frame?: number;
  /** A pause before the next frame's work, so catching up leaves the CPU to the rest of VS Code. */
  private pause?: ReturnType<typeof setTimeout>;
  /** No more text will come: the last block is final. */
  private ended = false;
  private resolveFinished!: () => void;

  constructor(readonly body: HTMLElement) {}

  /** Shows `text`: normally what was shown plus more; anything else starts over. */
  show(text: string): void {
    if (!text.startsWith(this.text)) this.restart();
    this.text = text;
    if (!this.scheduled()) this.step();
  }

  /**
   * The answer ended as `text`. What is not rendered yet is caught up over the next frames, as
   * while streaming (the end can be far ahead of what was drawn); `finished` resolves when the body
   * holds exactly what renderAnswer(text) gives. Returns the body, which keeps filling meanwhile.
   */
  finish(text: string): HTMLElement {
    if (!text.startsWith(this.text)) this.restart();
    this.text = text;
    this.ended = true;
    if (!this.scheduled()) this.step();
    return this.body;
  }

  /** Resolves once a finished answer is rendered in full. */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  /** Stops any work still planned (the answer went away). */
  dispose(): void {
    this.cancelFrame();
  }

  /** One frame's work: settle what finished, then the unfinished block when due. */
  private step(): void {
    this.frame = undefined;
    const started = performance.now();
    const rest = this.text.slice(this.settled);
    if (this.ended && rest.length <= WINDOW_CHARS) return this.complete(rest);
    const due = performance.now() >= this.tailDueAt;
    let cut = settledLength(rest.slice(0, WINDOW_CHARS));
    // A block longer than the window settles only when looked at whole: as costly as the tail, so as rarely.
    if (cut === 0 && rest.length > WINDOW_CHARS && (due || this.ended)) cut = settledLength(rest);
    // One block longer than the window, and nothing more to come: it is rendered as it is.
    if (cut === 0 && this.ended) return this.complete(rest);
    if (cut > 0) this.settle(rest.slice(0, cut));
    const tail = rest.slice(cut);
    const catchingUp = cut > 0 && tail.length > WINDOW_CHARS;
    // After a settle the old tail is gone and the new one is small: drawn at once, so nothing flickers.
    if (!this.ended && !catchingUp && tail !== this.tailText && (due || cut > 0)) this.renderTail(tail);
    if (this.ended || catchingUp || tail !== this.tailText) this.next(performance.now() - started);
  }

  /**
   * The next step in a frame, after a pause as long as this one's work: at most half of a core
   * while a long answer is caught up (the webview shares the machine with the workbench).
   */
  private next(workedMs: number): void {
    if (workedMs < PAUSE_ABOVE_MS) {
      this.frame = requestAnimationFrame(() => this.step());
      return;
    }
    this.pause = setTimeout(() => {
      this.pause = undefined;
      this.frame = requestAnimationFrame(() => this.step());
    }, workedMs);
  }

  private scheduled(): boolean {
    return this.frame !== undefined || this.pause !== undefined;
  }

  /** The end: the rest as its final blocks, or the whole again where references reach back. */
  private complete(rest: string): void {
    if (mayDefineReferences(this.text)) {
      this.body.innerHTML = renderAnswer(this.text);
    } else {
      this.removeTail();
      this.append(rest);
    }
    this.settled = this.text.length;
    this.resolveFinished();
  }

  private settle(piece: string): void {
    this.removeTail();
    this.append(piece);
    this.settled += piece.length;
  }

  private renderTail(tail: string): void {
    const started = performance.now();
    this.removeTail();
    this.tail = this.append(tail);
    this.tailText = tail;
    const now = performance.now();
    this.tailDueAt = now + (now - started) * TAIL_COST_FACTOR;
  }

  /** Renders `markdown` after what the body shows; returns the nodes added. */
  private append(markdown: string): ChildNode[] {
    const template = document.createElement('template');
    template.innerHTML = renderAnswer(markdown);
    const nodes = [...template.content.childNodes];
    this.body.append(template.content);
    return nodes;
  }

  private removeTail(): void {
    for (const node of this.tail) node.remove();
    this.tail = [];
    this.tailText = '';
  }

  private restart(): void {
    this.body.replaceChildren();
    this.ended = false;
    this.text = '';
    this.settled = 0;
    this.tail = [];
    this.tailText = '';
  }

  private cancelFrame(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    clearTimeout(this.pause);
    this.frame = undefined;
    this.pause = undefined;
  }
}
