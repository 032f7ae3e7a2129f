/**
 * The conversation: finished turns with their speaker ("You" / "Loupe") and, under each answer,
 * its own actions (Copy, Insert, Retry, and for the latest answer the other ways to use it), and
 * the answer streaming in token by token. Answers are shown as sanitized Markdown; the streaming
 * one is re-rendered at most once per animation frame.
 */
import { TASK_LABELS, type Task } from '../src/protocol/tasks';
import type { InsertAction } from '../src/protocol/webview';
import { renderAnswer } from './markdown';
import type { PendingAnswer, Turn } from './panelState';

/** What a button under an answer asks for; `index` is the answer's place in the turns. */
export type AnswerAction = { kind: 'insert'; action: InsertAction; index: number } | { kind: 'retry' } | { kind: 'continue' };

export class AnswerView {
  private renderedTurns: readonly Turn[] = [];
  private streaming?: { element: HTMLElement; body: HTMLElement; text?: string };

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
    turns.slice(start).forEach((turn, i) => {
      const index = start + i;
      const asked = turns[index - 1];
      this.container.insertBefore(turnElement(turn, index, asked?.role === 'user' ? asked : undefined), this.streaming?.element ?? null);
    });
    this.renderedTurns = turns;
  }

  private renderStreaming(pending: PendingAnswer | undefined): void {
    if (!pending) {
      this.streaming?.element.remove();
      this.streaming = undefined;
      return;
    }
    if (!this.streaming) {
      const element = document.createElement('article');
      element.className = 'turn assistant streaming';
      element.id = 'streaming-answer';
      const body = document.createElement('div');
      body.className = 'turn-body markdown';
      element.append(speaker(answerLabel(pending.task)), body);
      this.container.append(element);
      this.streaming = { element, body };
    }
    if (this.streaming.text === pending.text) return;
    this.streaming.text = pending.text;
    this.streaming.body.innerHTML = renderAnswer(pending.text);
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

function turnElement(turn: Turn, index: number, asked: Turn | undefined): HTMLElement {
  const element = document.createElement('article');
  element.className = `turn ${turn.role}`;
  element.dataset.index = String(index);
  if (turn.outcome) element.dataset.outcome = turn.outcome;
  const body = document.createElement('div');
  if (turn.role === 'user') {
    body.className = 'turn-body';
    body.textContent = turn.text;
    element.append(speaker('You'), body);
    return element;
  }
  // Read out as "Answer to: <the question>", so a screen reader user knows what it answers.
  if (asked) element.setAttribute('aria-label', `Answer to: ${asked.text.slice(0, 200)}`);
  const label = turn.outcome === 'stopped' ? `${answerLabel(turn.task)} (stopped)` : answerLabel(turn.task);
  body.className = 'turn-body markdown';
  // OCR text is shown verbatim; the model's answers are Markdown.
  if (turn.outcome === 'ocr') {
    const pre = document.createElement('pre');
    pre.textContent = turn.text || '(no text found)';
    body.append(pre);
  } else {
    body.innerHTML = renderAnswer(turn.text);
  }
  element.append(speaker(label), body);
  if (turn.cutAtTokens) element.append(cutNotice(turn.cutAtTokens));
  element.append(toolbar());
  return element;
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
