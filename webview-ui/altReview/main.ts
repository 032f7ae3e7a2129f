/**
 * The alt text review list: per image a thumbnail, its place (file:line, a link to it), the
 * proposal in full in an editable field, and Accept/Skip. Everything starts accepted, so "Apply"
 * without changes writes every proposal; nothing is written before "Apply".
 */
import { z } from 'zod';
import { HostToReviewSchema, reviewAltProblem, type ReviewItem, type ReviewToHost } from '../../src/protocol/altReview';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// The CSP has no 'unsafe-eval'; zod must not try to compile validators with new Function.
z.config({ jitless: true });
const vscode = acquireVsCodeApi();
const post = (message: ReviewToHost) => vscode.postMessage(message);

interface Row {
  item: ReviewItem;
  field: HTMLTextAreaElement;
  accept: HTMLInputElement;
  error: HTMLElement;
}

const app = document.getElementById('app') as HTMLElement;
let rows: Row[] = [];
let maxLength = 125;
let proposedBy = 'the local model';

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function render(items: ReviewItem[], skipped: number): void {
  const applyButton = element('button', { id: 'apply', className: 'primary', type: 'button' });
  const cancelButton = element('button', { id: 'cancel', type: 'button', textContent: 'Cancel' });
  const summary = element('p', { id: 'summary' });
  summary.setAttribute('role', 'status');
  const formError = element('p', { id: 'form-error', className: 'error', hidden: true });
  formError.setAttribute('role', 'alert');

  const list = element('ol', { id: 'proposals' });
  rows = items.map((item) => {
    const row = renderRow(item);
    list.append(row.li);
    return row.row;
  });

  const update = () => {
    const accepted = rows.filter((row) => row.accept.checked).length;
    applyButton.textContent = accepted === rows.length ? `Apply all ${rows.length}` : `Apply ${accepted} of ${rows.length}`;
    summary.textContent =
      `${rows.length} proposal${rows.length === 1 ? '' : 's'}, ${accepted} accepted` + (skipped > 0 ? `; ${skipped} image${skipped === 1 ? '' : 's'} could not be described (listed after Apply)` : '') + '.';
  };
  list.addEventListener('change', update);
  list.addEventListener('input', update);
  applyButton.addEventListener('click', () => {
    const invalid = rows.filter((row) => row.accept.checked && validate(row));
    if (invalid.length > 0) {
      formError.textContent = `${invalid.length} accepted alt text${invalid.length === 1 ? ' is' : 's are'} empty: write ${invalid.length === 1 ? 'it' : 'them'}, or choose Skip.`;
      formError.hidden = false;
      invalid[0].field.focus();
      return;
    }
    applyButton.disabled = true;
    cancelButton.disabled = true;
    post({ type: 'apply', decisions: rows.map((row) => ({ id: row.item.id, accepted: row.accept.checked, alt: row.field.value })) });
  });
  cancelButton.addEventListener('click', () => post({ type: 'cancel' }));

  const header = element(
    'header',
    {},
    element('h1', { textContent: 'Review alt text' }),
    element('p', {
      className: 'hint',
      textContent: 'Every proposal starts accepted. Edit any text, or choose Skip; Apply writes the accepted ones into your documents (one undo step per file).',
    }),
    summary,
    formError,
    element('div', { className: 'actions' }, applyButton, cancelButton),
  );
  app.replaceChildren(header, list);
  update();
  rows[0]?.field.focus();
}

function renderRow(item: ReviewItem): { li: HTMLLIElement; row: Row } {
  const fieldId = `alt-${item.id}`;
  const thumbnail = item.imageUri ? element('img', { src: item.imageUri, alt: '', className: 'thumbnail' }) : element('div', { className: 'thumbnail missing', textContent: 'no preview' });
  const place = element('button', { type: 'button', className: 'link location', textContent: item.location, title: `Show ${item.location} in the editor` });
  place.addEventListener('click', () => post({ type: 'reveal', id: item.id }));
  const field = element('textarea', { id: fieldId, value: item.proposal, rows: 2, spellcheck: true });
  const counter = element('span', { className: 'counter' });
  const error = element('p', { className: 'error', hidden: true });
  error.id = `${fieldId}-error`;
  field.setAttribute('aria-describedby', `${fieldId}-meta ${error.id}`);
  const label = element('label', { htmlFor: fieldId, textContent: `Alt text for ${item.src || 'this image'}` });
  const meta = element('p', { className: 'meta', id: `${fieldId}-meta` }, item.currentAlt !== undefined ? `Now: "${item.currentAlt}". ` : '', item.fromCache ? 'From the cache. ' : `Proposed by ${proposedBy}. `, counter);

  const name = `decision-${item.id}`;
  const accept = element('input', { type: 'radio', name, value: 'accept', checked: true });
  const skip = element('input', { type: 'radio', name, value: 'skip' });
  const decision = element(
    'fieldset',
    { className: 'decision' },
    element('legend', { className: 'visually-hidden', textContent: `Decision for ${item.location}` }),
    element('label', {}, accept, ' Accept'),
    element('label', {}, skip, ' Skip'),
  );
  const li = element('li', { className: 'proposal' }, thumbnail, element('div', { className: 'body' }, place, label, field, meta, error), decision);
  const row: Row = { item, field, accept, error };

  const refresh = () => {
    counter.textContent = `${field.value.trim().length}/${maxLength} characters${field.value.trim().length > maxLength ? ' (longer than loupe.altText.maxLength)' : ''}.`;
    li.classList.toggle('skipped', !accept.checked);
    field.disabled = !accept.checked;
    if (!error.hidden) validate(row);
  };
  field.addEventListener('input', refresh);
  accept.addEventListener('change', refresh);
  skip.addEventListener('change', refresh);
  refresh();
  return { li, row };
}

/** Shows the field's problem next to it; true when there is one. */
function validate(row: Row): boolean {
  const problem = row.accept.checked ? reviewAltProblem(row.field.value) : undefined;
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
  maxLength = parsed.data.maxLength;
  proposedBy = parsed.data.proposedBy;
  render(parsed.data.items, parsed.data.skipped);
});

post({ type: 'ready' });
