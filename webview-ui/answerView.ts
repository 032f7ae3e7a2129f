/**
 * The conversation: finished turns, and the answer streaming in token by token. Answers are shown
 * as sanitized Markdown; the streaming one is re-rendered at most once per animation frame.
 */
import { TASK_LABELS } from '../src/protocol/tasks';
import { renderAnswer } from './markdown';
import type { PendingAnswer, Turn } from './panelState';

export class AnswerView {
  private renderedTurns: readonly Turn[] = [];
  private streaming?: { element: HTMLElement; body: HTMLElement; text?: string };

  constructor(
    private readonly container: HTMLElement,
    onLink: (href: string) => void,
  ) {
    // Links never navigate by themselves; the host asks before opening one.
    const follow = (event: Event) => {
      const link = (event.target as Element).closest<HTMLElement>('[data-href]');
      if (!link) return;
      event.preventDefault();
      onLink(link.dataset.href!);
    };
    container.addEventListener('click', follow);
    container.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') follow(event);
    });
  }

  render(turns: readonly Turn[], pending: PendingAnswer | undefined): void {
    this.renderTurns(turns);
    this.renderStreaming(pending);
    this.container.setAttribute('aria-busy', pending ? 'true' : 'false');
  }

  private renderTurns(turns: readonly Turn[]): void {
    if (turns === this.renderedTurns) return;
    const appended = turns.length >= this.renderedTurns.length && this.renderedTurns.every((turn, i) => turns[i] === turn);
    if (!appended) {
      for (const element of [...this.container.querySelectorAll('.turn:not(.streaming)')]) element.remove();
    }
    const start = appended ? this.renderedTurns.length : 0;
    for (const turn of turns.slice(start)) this.container.insertBefore(turnElement(turn), this.streaming?.element ?? null);
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
      const label = document.createElement('div');
      label.className = 'turn-label';
      label.textContent = TASK_LABELS[pending.task];
      const body = document.createElement('div');
      body.className = 'turn-body markdown';
      element.append(label, body);
      this.container.append(element);
      this.streaming = { element, body };
    }
    if (this.streaming.text === pending.text) return;
    this.streaming.text = pending.text;
    this.streaming.body.innerHTML = renderAnswer(pending.text);
  }
}

function turnElement(turn: Turn): HTMLElement {
  const element = document.createElement('article');
  element.className = `turn ${turn.role}`;
  if (turn.outcome) element.dataset.outcome = turn.outcome;
  const body = document.createElement('div');
  if (turn.role === 'user') {
    body.className = 'turn-body';
    body.textContent = turn.text;
    element.append(body);
    return element;
  }
  const label = document.createElement('div');
  label.className = 'turn-label';
  label.textContent = turn.outcome === 'stopped' ? `${TASK_LABELS[turn.task]} (stopped)` : TASK_LABELS[turn.task];
  body.className = 'turn-body markdown';
  // OCR text is shown verbatim; the model's answers are Markdown.
  if (turn.outcome === 'ocr') {
    const pre = document.createElement('pre');
    pre.textContent = turn.text || '(no text found)';
    body.append(pre);
  } else {
    body.innerHTML = renderAnswer(turn.text);
  }
  element.append(label, body);
  return element;
}
