/**
 * The alt text review. For the workspace batch, a list: per image a thumbnail, its place
 * (file:line, a link to it), the proposal in full in an editable field, and Accept/Skip;
 * everything starts accepted, so "Apply" without changes writes every proposal. For one quick
 * fix, the same row without Accept/Skip and the image shown large; Enter applies and Escape
 * cancels, as in the input box it replaces. Nothing is written before "Apply".
 */
import { z } from 'zod';
import { HostToReviewSchema, reviewAltProblem, reviewAltWarning, type HostToReview, type ReviewItem, type ReviewToHost } from '../../src/protocol/altReview';
import { editRow, initialRows, originLabel, rowsSharingImage, type RowText } from './reviewRows';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// The CSP has no 'unsafe-eval'; zod must not try to compile validators with new Function.
z.config({ jitless: true });
const vscode = acquireVsCodeApi();
const post = (message: ReviewToHost) => vscode.postMessage(message);

type Review = Extract<HostToReview, { type: 'items' }>;

interface Row {
  item: ReviewItem;
  field: HTMLTextAreaElement;
  accept: HTMLInputElement;
  error: HTMLElement;
  /** Refreshes the origin label, the counter and the advice from the field. */
  refresh(): void;
}

const app = document.getElementById('app') as HTMLElement;
let rows: Row[] = [];
let texts: RowText[] = [];

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function render(review: Review): void {
  const single = review.mode === 'single';
  document.body.classList.toggle('single', single);
  const applyButton = element('button', { id: 'apply', className: 'primary', type: 'button' });
  const cancelButton = element('button', { id: 'cancel', type: 'button', textContent: 'Cancel' });
  const summary = element('p', { id: 'summary', hidden: single });
  summary.setAttribute('role', 'status');
  const formError = element('p', { id: 'form-error', className: 'error', hidden: true });
  formError.setAttribute('role', 'alert');

  texts = initialRows(review.items);
  const list = element('ol', { id: 'proposals' });
  rows = review.items.map((item) => {
    const row = renderRow(item, review);
    list.append(row.li);
    return row.row;
  });

  const update = () => {
    const accepted = rows.filter((row) => row.accept.checked).length;
    applyButton.textContent = single ? 'Apply' : accepted === rows.length ? `Apply all ${rows.length}` : `Apply ${accepted} of ${rows.length}`;
    summary.textContent =
      `${rows.length} proposal${rows.length === 1 ? '' : 's'}, ${accepted} accepted` +
      (review.skipped > 0 ? `; ${review.skipped} image${review.skipped === 1 ? '' : 's'} could not be described (listed after Apply)` : '') +
      '.';
  };
  list.addEventListener('change', update);
  list.addEventListener('input', update);
  const apply = () => {
    const invalid = rows.filter((row) => row.accept.checked && validate(row, review.mode));
    if (invalid.length > 0) {
      formError.textContent = single
        ? 'The alt text is empty: write it, or Cancel.'
        : `${invalid.length} accepted alt text${invalid.length === 1 ? ' is' : 's are'} empty: write ${invalid.length === 1 ? 'it' : 'them'}, or choose Skip.`;
      formError.hidden = false;
      invalid[0].field.focus();
      return;
    }
    applyButton.disabled = true;
    cancelButton.disabled = true;
    post({ type: 'apply', decisions: rows.map((row) => ({ id: row.item.id, accepted: row.accept.checked, alt: row.field.value })) });
  };
  applyButton.addEventListener('click', apply);
  cancelButton.addEventListener('click', () => post({ type: 'cancel' }));
  if (single) {
    // The input box's keys: the alt text is one line, so Enter applies (Shift+Enter still breaks the line).
    list.addEventListener('keydown', (event) => {
      // From the text only: Enter on a button (the file:line link) does what the button does.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.target instanceof HTMLTextAreaElement) {
        event.preventDefault();
        apply();
      }
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') post({ type: 'cancel' });
    });
  }

  const hint = single
    ? 'Edit the text if needed. Apply (Enter) writes it into the document; Cancel (Escape) writes nothing.'
    : 'Every proposal starts accepted. Edit any text, or choose Skip; Apply writes the accepted ones into your documents (one undo step per file). An edit also goes to the same image elsewhere in the list.';
  const header = element(
    'header',
    {},
    element('h1', { textContent: single ? `Alt text for ${review.items[0]?.src || 'this image'}` : 'Review alt text' }),
    element('p', { className: 'hint', textContent: review.note ? `${hint} ${review.note}` : hint }),
    summary,
    formError,
    element('div', { className: 'actions' }, applyButton, cancelButton),
  );
  app.replaceChildren(header, list);
  update();
  const first = rows[0]?.field;
  first?.focus();
  first?.setSelectionRange(first.value.length, first.value.length);
}

function renderRow(item: ReviewItem, review: Review): { li: HTMLLIElement; row: Row } {
  const fieldId = `alt-${item.id}`;
  const thumbnail = item.imageUri ? element('img', { src: item.imageUri, alt: '', className: 'thumbnail' }) : element('div', { className: 'thumbnail missing', textContent: 'no preview' });
  const place = element('button', { type: 'button', className: 'link location', textContent: item.location, title: `Show ${item.location} in the editor` });
  place.addEventListener('click', () => post({ type: 'reveal', id: item.id }));
  const field = element('textarea', { id: fieldId, value: item.proposal, rows: 2, spellcheck: true });
  const origin = element('span', { className: 'origin' });
  const counter = element('span', { className: 'counter' });
  const warning = element('p', { className: 'warning', hidden: true });
  const error = element('p', { className: 'error', hidden: true });
  error.id = `${fieldId}-error`;
  warning.id = `${fieldId}-warning`;
  field.setAttribute('aria-describedby', `${fieldId}-meta ${warning.id} ${error.id}`);
  const label = element('label', { htmlFor: fieldId, textContent: `Alt text for ${item.src || 'this image'}` });
  const meta = element('p', { className: 'meta', id: `${fieldId}-meta` }, item.currentAlt !== undefined ? `Now: "${item.currentAlt}". ` : '', origin, ' ', counter);

  const name = `decision-${item.id}`;
  const accept = element('input', { type: 'radio', name, value: 'accept', checked: true });
  const skip = element('input', { type: 'radio', name, value: 'skip' });
  const decision = element(
    'fieldset',
    { className: 'decision', hidden: review.mode === 'single' },
    element('legend', { className: 'visually-hidden', textContent: `Decision for ${item.location}` }),
    element('label', {}, accept, ' Accept'),
    element('label', {}, skip, ' Skip'),
  );
  const li = element('li', { className: 'proposal' }, thumbnail, element('div', { className: 'body' }, place, label, field, meta, warning, error), decision);

  const row: Row = {
    item,
    field,
    accept,
    error,
    refresh: () => {
      const text = texts.find((candidate) => candidate.item.id === item.id);
      if (text) origin.textContent = originLabel(text, texts, review.proposedBy);
      const length = field.value.trim().length;
      counter.textContent = `${length}/${review.maxLength} characters${length > review.maxLength ? ' (longer than loupe.altText.maxLength)' : ''}.`;
      const advice = accept.checked ? reviewAltWarning(field.value) : undefined;
      warning.textContent = advice ? `Note: ${advice}` : '';
      warning.hidden = !advice;
      li.classList.toggle('skipped', !accept.checked);
      field.disabled = !accept.checked;
      if (!error.hidden) validate(row, review.mode);
    },
  };
  field.addEventListener('input', () => typed(item.id, field.value));
  accept.addEventListener('change', row.refresh);
  skip.addEventListener('change', row.refresh);
  row.refresh();
  return { li, row };
}

/** The author typed in row `id`: it and the rows showing the same image take the text, and say whose it is. */
function typed(id: number, value: string): void {
  texts = editRow(texts, id, value);
  for (const text of rowsSharingImage(texts, id)) {
    const row = rows.find((candidate) => candidate.item.id === text.item.id);
    if (!row) continue;
    if (row.field.value !== text.value) row.field.value = text.value;
    row.refresh();
  }
}

/** Shows the field's problem next to it; true when there is one. */
function validate(row: Row, mode: Review['mode']): boolean {
  const problem = row.accept.checked ? reviewAltProblem(row.field.value, mode) : undefined;
  row.error.textContent = problem ? `Alt text is ${problem}.` : '';
  row.error.hidden = !problem;
  row.field.setAttribute('aria-invalid', String(Boolean(problem)));
  return Boolean(problem);
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = HostToReviewSchema.safeParse(event.data);
  if (!parsed.success) {
    console.error('Loupe: ignored an invalid message from the extension host', z.prettifyError(parsed.error));
    return;
  }
  render(parsed.data);
});

post({ type: 'ready' });
