/**
 * The conversation: finished turns with their speaker ("You" / "Loupe") and, under each answer,
 * its own actions (Copy, Insert, Retry, and for the latest answer the other ways to use it), and
 * the answer streaming in. Answers are shown as sanitized Markdown, the streaming one rendered
 * incrementally (streamingMarkdown.ts); when it ends, its rendered body becomes the finished
 * turn's. A long answer is collapsed behind "Show more"; focus moving into it opens it too.
 */
import { TASK_LABELS, type Task } from '../src/protocol/tasks';
import { describeRegion } from './regionSelector';
import type { InsertAction, SavedTurn } from '../src/protocol/webview';
import { renderAnswer } from './markdown';
import type { PendingAnswer, Turn } from './panelState';
import { StreamingMarkdown } from './streamingMarkdown';

/** Answers longer than this are collapsed (a few screens, even in a wide panel). */
const COLLAPSE_CHARS = 6_000;

/** What a button under an answer asks for; `index` is the answer's place in the turns. */
export type AnswerAction = { kind: 'insert'; action: InsertAction; index: number } | { kind: 'retry' } | { kind: 'continue' };

export class AnswerView {
  private renderedTurns: readonly Turn[] = [];
  private streaming?: { element: HTMLElement; markdown: StreamingMarkdown };
  /** Each answer's rendered body: rebuilding the list does not render a long answer again. */
  private readonly bodies = new WeakMap<Turn, HTMLElement>();

  constructor(
    private readonly container: HTMLElement,
    onLink: (href: string) => void,
    onAction: (action: AnswerAction) => void,
  ) {
    // Links never navigate by themselves; the host asks before opening one.
    const follow = (event: Event) => {
      const link = (event.target as Element).closest<HTMLElement>('[data-href]');
      if (!link) return;
      event.preventDefault();
      onLink(link.dataset.href!);
    };
    container.addEventListener('click', (event) => {
      const toggle = (event.target as Element).closest<HTMLButtonElement>('button.show-more');
      if (toggle) return toggleCollapsed(toggle);
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-answer-action]');
      if (!button) return follow(event);
      const index = Number(button.closest<HTMLElement>('.turn')?.dataset.index);
      const kind = button.dataset.answerAction!;
      if (kind === 'retry' || kind === 'continue') onAction({ kind });
      else onAction({ kind: 'insert', action: kind as InsertAction, index });
    });
    container.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') follow(event);
    });
    // Tabbing to a link in the collapsed part shows it.
    container.addEventListener('focusin', (event) => {
      const body = (event.target as Element).closest<HTMLElement>('.turn-body.collapsed');
      const toggle = body?.parentElement?.querySelector<HTMLButtonElement>('button.show-more');
      if (body && toggle) setExpanded(toggle, body, true);
    });
  }

  render(turns: readonly Turn[], pending: PendingAnswer | undefined): void {
    this.renderTurns(turns);
    this.renderStreaming(pending);
    this.container.setAttribute('aria-busy', pending ? 'true' : 'false');
  }

  /** The answer elements with their turns, for the actions' states. */
  answers(): { element: HTMLElement; turn: Turn; latest: boolean }[] {
    const elements = [...this.container.querySelectorAll<HTMLElement>('.turn.assistant:not(.streaming)')];
    const last = this.renderedTurns.length - 1;
    return elements.map((element) => {
      const index = Number(element.dataset.index);
      return { element, turn: this.renderedTurns[index]!, latest: index === last };
    });
  }

  private renderTurns(turns: readonly Turn[]): void {
    if (turns === this.renderedTurns) return;
    const appended = turns.length >= this.renderedTurns.length && this.renderedTurns.every((turn, i) => turns[i] === turn);
    if (!appended) {
      for (const element of [...this.container.querySelectorAll('.turn:not(.streaming)')]) element.remove();
    }
    const start = appended ? this.renderedTurns.length : 0;
    const adopted = appended && start < turns.length ? this.adoptStreamed(turns.at(-1)!) : undefined;
    turns.slice(start).forEach((turn, i) => {
      const index = start + i;
      const asked = turns[index - 1];
      const reuse = index === turns.length - 1 ? adopted : undefined;
      const element = this.turnElement(turn, index, asked?.role === 'user' ? asked : undefined, reuse);
      if (element !== reuse) this.container.insertBefore(element, adopted ?? this.streaming?.element ?? null);
    });
    this.renderedTurns = turns;
  }

  /**
   * The streamed answer just ended as `turn`: its element, where it is, becomes the finished
   * turn's, its rendered body kept. Moving a long body elsewhere would lay all of it out again.
   */
  private adoptStreamed(turn: Turn): HTMLElement | undefined {
    const streaming = this.streaming;
    if (!streaming || turn.role !== 'assistant' || turn.outcome === 'ocr') return undefined;
    // Not disposed: it goes on filling the body over the next frames if the end came far ahead.
    this.keepBody(turn, streaming.markdown.finish(turn.text));
    this.streaming = undefined;
    return streaming.element;
  }

  private renderStreaming(pending: PendingAnswer | undefined): void {
    if (!pending) return this.endStreaming();
    if (!this.streaming) {
      const element = document.createElement('article');
      element.className = 'turn assistant streaming';
      element.id = 'streaming-answer';
      const body = document.createElement('div');
      body.className = 'turn-body markdown';
      element.append(speaker(answerLabel(pending.task)), body);
      this.container.append(element);
      this.streaming = { element, markdown: new StreamingMarkdown(body) };
    }
    this.streaming.markdown.show(pending.text);
  }

  private endStreaming(): void {
    this.streaming?.markdown.dispose();
    this.streaming?.element.remove();
    this.streaming = undefined;
  }

  /** A finished turn's element: a new one, or `reuse` (the streamed answer's) made into it. */
  private turnElement(turn: Turn, index: number, asked: Turn | undefined, reuse?: HTMLElement): HTMLElement {
    const element = reuse ?? document.createElement('article');
    element.className = `turn ${turn.role}`;
    element.dataset.index = String(index);
    if (turn.outcome) element.dataset.outcome = turn.outcome;
    if (turn.role === 'user') {
      const body = document.createElement('div');
      body.className = 'turn-body';
      body.textContent = turn.text;
      element.append(speaker('You'));
      if (turn.image?.icon) element.append(turnImage(turn.image));
      element.append(body);
      if (turn.region) element.append(turnNote(`About the ${describeRegion(turn.region)}`));
      if (turn.comparedWith) element.append(turnNote(`Compared with ${turn.comparedWith.name}`));
      if (turn.historyTrimmed) element.append(historyNote(turn.historyTrimmed));
      return element;
    }
    // Read out as "Answer to: <the question>", so a screen reader user knows what it answers.
    if (asked) element.setAttribute('aria-label', `Answer to: ${asked.text.slice(0, 200)}`);
    const label = turn.outcome === 'stopped' ? `${answerLabel(turn.task)} (stopped)` : answerLabel(turn.task);
    const body = this.bodies.get(turn) ?? this.keepBody(turn, answerBody(turn));
    // What is around the body is made anew; the body stays in place if it is already here.
    for (const child of [...element.children]) if (child !== body) child.remove();
    if (body.parentElement !== element) element.append(body);
    body.before(speaker(label));
    if (turn.text.length > COLLAPSE_CHARS) element.append(showMoreButton(body, index));
    if (turn.cutAtTokens) element.append(cutNotice(turn.cutAtTokens));
    element.append(toolbar());
    return element;
  }

  /** Remembers an answer's body; a long one starts collapsed. */
  private keepBody(turn: Turn, body: HTMLElement): HTMLElement {
    if (turn.text.length > COLLAPSE_CHARS) body.classList.add('collapsed');
    this.bodies.set(turn, body);
    return body;
  }
}

/** "Loupe", with the task for a chip's answer; a free answer sits under its question instead. */
function answerLabel(task: Task): string {
  return task === 'question' ? 'Loupe' : `Loupe · ${TASK_LABELS[task]}`;
}

function speaker(text: string): HTMLElement {
  const label = document.createElement('h3');
  label.className = 'turn-label';
  label.textContent = text;
  return label;
}

function answerBody(turn: Turn): HTMLElement {
  const body = document.createElement('div');
  body.className = 'turn-body markdown';
  // OCR text is shown verbatim; the model's answers are Markdown.
  if (turn.outcome === 'ocr') {
    const pre = document.createElement('pre');
    pre.textContent = turn.text || '(no text found)';
    body.append(pre);
  } else {
    body.innerHTML = renderAnswer(turn.text);
  }
  return body;
}

/** The image a conversation moved on to, shown beside the first question about it. */
function turnImage(image: NonNullable<Turn['image']>): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'turn-image';
  const picture = document.createElement('img');
  picture.src = image.icon!;
  picture.alt = '';
  const caption = document.createElement('figcaption');
  caption.textContent = `About ${image.name}`;
  figure.append(picture, caption);
  return figure;
}

/** Opens and closes a long answer; what it hides stays in the page (screen readers, Find, Copy). */
function showMoreButton(body: HTMLElement, index: number): HTMLButtonElement {
  body.id = `answer-body-${index}`;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'link show-more';
  button.setAttribute('aria-controls', body.id);
  setExpanded(button, body, !body.classList.contains('collapsed'));
  return button;
}

function toggleCollapsed(button: HTMLButtonElement): void {
  const body = button.closest('.turn')!.querySelector<HTMLElement>('.turn-body')!;
  setExpanded(button, body, body.classList.contains('collapsed'));
  // Closing a long answer from its end would leave the reader far below it.
  button.scrollIntoView({ block: 'nearest' });
}

function setExpanded(button: HTMLButtonElement, body: HTMLElement, expanded: boolean): void {
  body.classList.toggle('collapsed', !expanded);
  button.setAttribute('aria-expanded', String(expanded));
  button.textContent = expanded ? 'Show less' : 'Show more';
}

/** What else a question was about: a region of the image, or a second image. */
function turnNote(text: string): HTMLElement {
  const note = document.createElement('p');
  note.className = 'turn-note';
  note.textContent = text;
  return note;
}

/** Under a question sent with less of the conversation than there was. */
function historyNote({ leftOut, clipped }: NonNullable<SavedTurn['historyTrimmed']>): HTMLElement {
  const note = document.createElement('p');
  note.className = 'history-note';
  const parts = [leftOut && `${count(leftOut, 'earlier turn')} left out`, clipped && `${count(clipped, 'long turn')} clipped`].filter(Boolean);
  note.textContent = `Sent with a shortened history (${parts.join(', ')}) to fit the model's context.`;
  return note;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function cutNotice(tokens: number): HTMLElement {
  const notice = document.createElement('p');
  notice.className = 'cut-notice';
  const text = document.createElement('span');
  text.textContent = `Answer cut at ${tokens} tokens (the preset's limit). `;
  const button = actionButton('continue', 'Continue', 'link');
  notice.append(text, button);
  return notice;
}

/** Every answer's own buttons; which show and which are enabled is set on each render (main.ts). */
function toolbar(): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'answer-actions button-row';
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', 'Use this answer');
  bar.append(
    actionButton('copy', 'Copy'),
    actionButton('cursor', 'Insert'),
    actionButton('replace', 'Replace selection'),
    actionButton('altText', 'Use as alt text'),
    actionButton('comment', 'Insert as comment'),
    actionButton('table', 'Insert as table'),
    actionButton('markdownCell', 'Insert as Markdown cell'),
    actionButton('retry', 'Retry'),
  );
  const hint = document.createElement('p');
  hint.className = 'hint action-hint';
  hint.hidden = true;
  const wrapper = document.createElement('div');
  wrapper.className = 'answer-tools';
  wrapper.append(bar, hint);
  return wrapper;
}

function actionButton(action: string, label: string, style = 'secondary'): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = style;
  button.dataset.answerAction = action;
  if (action !== 'retry' && action !== 'continue') button.dataset.insert = action;
  button.textContent = label;
  return button;
}
