/**
 * Which of an answer's buttons show and which are enabled, from where the text would go (the
 * insert targets). A disabled button says why in a visible line under the buttons, linked to it
 * with aria-describedby: a tooltip alone reaches neither keyboard nor screen reader users.
 */
import type { InsertAction, InsertTargets } from '../src/protocol/webview';
import type { Turn } from './panelState';

interface ButtonState {
  hidden?: boolean;
  /** Why it is disabled; undefined when enabled. */
  blocked?: string;
  title?: string;
}

function insertState(action: InsertAction, turn: Turn, latest: boolean, targets: InsertTargets): ButtonState {
  const into = targets.editor ? ` (${targets.editor})` : '';
  const noEditor = 'open a text editor first';
  switch (action) {
    case 'copy':
      return {};
    case 'cursor':
      return targets.editor ? { title: `Insert at the cursor in ${targets.editor}` } : { blocked: noEditor };
    case 'replace':
      if (!latest) return { hidden: true };
      if (!targets.editor) return { blocked: noEditor };
      return targets.hasSelection ? { title: `Replace the selection${into}` } : { blocked: 'select text in an editor first' };
    case 'altText':
      // Only an alt-text answer is shown exactly as it would be written.
      if (!latest || turn.task !== 'alt-text' || !targets.altText) return { hidden: true };
      return { title: `Alt text of ${targets.altText}` };
    case 'comment':
      if (!latest) return { hidden: true };
      if (!targets.editor) return { blocked: noEditor };
      return targets.commentable ? { title: `As a ${targets.languageId} comment above the cursor${into}` } : { blocked: `Loupe knows no comment syntax for ${targets.languageId}` };
    case 'table':
      if (!latest || turn.task !== 'chart-to-table') return { hidden: true };
      return targets.editor ? {} : { blocked: noEditor };
    case 'markdownCell':
      return latest && targets.markdownCell ? { title: `A new Markdown cell below ${targets.markdownCell}` } : { hidden: true };
  }
}

export function renderAnswerActions(answers: { element: HTMLElement; turn: Turn; latest: boolean }[], targets: InsertTargets, busy: boolean): void {
  for (const { element, turn, latest } of answers) {
    const hint = element.querySelector<HTMLElement>('.action-hint')!;
    hint.id ||= `action-hint-${element.dataset.index}`;
    const reasons: string[] = [];
    for (const button of element.querySelectorAll<HTMLButtonElement>('button[data-answer-action]')) {
      const kind = button.dataset.answerAction!;
      let state: ButtonState;
      if (kind === 'retry') state = latest && turn.outcome !== 'ocr' ? (busy ? { blocked: 'wait for the current answer' } : {}) : { hidden: true };
      else if (kind === 'continue') state = latest && !busy ? {} : { hidden: true };
      else state = insertState(kind as InsertAction, turn, latest, targets);
      button.hidden = !!state.hidden;
      button.disabled = !!state.blocked;
      button.title = state.title ?? '';
      if (state.blocked && !state.hidden) {
        reasons.push(`${button.textContent}: ${state.blocked}.`);
        button.setAttribute('aria-describedby', hint.id);
      } else {
        button.removeAttribute('aria-describedby');
      }
    }
    // The cut notice's Continue lives outside the toolbar; hide the whole notice on older answers.
    const cut = element.querySelector<HTMLElement>('.cut-notice');
    if (cut) cut.querySelector<HTMLButtonElement>('button')!.hidden = !latest || busy;
    const text = reasons.join(' ');
    hint.hidden = !text;
    if (hint.textContent !== text) hint.textContent = text;
  }
}
