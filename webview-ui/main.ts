/**
 * Entry of the Ask panel's webview: restores the saved state, says `ready` to the host, applies
 * host messages, and turns user actions into messages. Rendering is batched per animation frame.
 * The image arrives as bytes and is shown from a blob: URL; the saved state keeps only its id and
 * a thumbnail, and a recreated webview asks the host for the bytes again.
 */
import type { PresetName } from '../src/protocol/options';
import type { Task } from '../src/protocol/tasks';
import type { InsertAction, PanelCommand } from '../src/protocol/webview';
import { AnswerView } from './answerView';
import { onHostMessage, postToHost, savedState, saveState } from './hostBridge';
import { setupIntake } from './intake';
import { buildLayout, type PanelElements } from './layout';
import { renderOcrOverlay } from './ocrOverlay';
import { applyHostMessage, beginAsk, formatReadout, newConversation, restoreState, type PanelState } from './panelState';
import { makeThumbnail } from './thumbnail';

const elements = buildLayout(document.getElementById('app')!);
const answers = new AnswerView(elements.conversation, (href) => postToHost({ type: 'openLink', href }));
let state: PanelState = restoreState(savedState());
/** The full image, as the host sent it; blob URLs do not outlive the webview, so it is not saved. */
let fullImage: { id: string; url: string } | undefined;

// ---- state updates ----------------------------------------------------------------------------

let renderQueued = false;
/** The question text last written into the box, so typing is never overwritten by a render. */
let shownDraft = '';
/** The OCR result and error last drawn; state updates keep these objects while they are current. */
let shownOcr: PanelState['ocr'];
let shownError: PanelState['error'];
let saveTimer: ReturnType<typeof setTimeout> | undefined;

function update(next: PanelState): void {
  state = next;
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render(elements, state);
    });
  }
  // Saving copies the whole state (conversation, thumbnail); during a stream once a second is enough.
  saveTimer ??= setTimeout(() => {
    saveTimer = undefined;
    saveState(state);
  }, state.pending ? 1000 : 0);
}

function ask(task: Task, question: string): void {
  const started = beginAsk(state, task, question, Date.now());
  if (!started) return;
  update(started.state);
  postToHost({ type: 'ask', task, question: question.trim(), preset: state.preset, history: started.history });
}

function stop(): void {
  if (!state.pending || state.pending.stopping) return;
  update({ ...state, pending: { ...state.pending, stopping: true } });
  postToHost({ type: 'stop' });
}

onHostMessage((message) => {
  if (message.type === 'image') showFullImage(message.image);
  update(applyHostMessage(state, message, Date.now()));
  if (message.type === 'image' && message.ask) ask(message.ask.task, message.ask.question);
});

function showFullImage(image: { id: string; mime: string; bytes: Uint8Array<ArrayBuffer> } | null): void {
  if (image && fullImage?.id === image.id) return;
  if (fullImage) URL.revokeObjectURL(fullImage.url);
  fullImage = image ? { id: image.id, url: URL.createObjectURL(new Blob([image.bytes], { type: image.mime })) } : undefined;
}

// ---- user actions -----------------------------------------------------------------------------

setupIntake(elements.dropZone, {
  onImageData: (name, bytes) => postToHost({ type: 'imageData', name, bytes }),
  onUris: (uris) => postToHost({ type: 'droppedUris', uris: uris.slice(0, 20) }),
  onError: (text) => update({ ...state, notice: { level: 'error', text } }),
});

const pickImage = () => postToHost({ type: 'pickImage' });
elements.dropZone.addEventListener('click', pickImage);
elements.dropZone.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' && event.key !== ' ') return;
  event.preventDefault();
  pickImage();
});
elements.replaceImage.addEventListener('click', pickImage);
elements.clearImage.addEventListener('click', () => postToHost({ type: 'clearImage' }));
elements.thumbnail.addEventListener('load', () => {
  const image = state.image;
  // Only the full image tells its size and makes the thumbnail; a restored thumbnail shows meanwhile.
  if (!image || fullImage?.id !== image.id || elements.thumbnail.getAttribute('src') !== fullImage.url) return;
  const { naturalWidth: width, naturalHeight: height } = elements.thumbnail;
  update({ ...state, imageSize: { width, height }, image: { ...image, thumbnail: image.thumbnail ?? makeThumbnail(elements.thumbnail) } });
});

for (const chip of elements.chips) {
  chip.addEventListener('click', () => ask(chip.dataset.task as Task, elements.question.value));
}
elements.askForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const question = elements.question.value;
  if (!question.trim()) return elements.question.focus();
  ask('question', question);
});
elements.question.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  elements.askForm.requestSubmit();
});
elements.question.addEventListener('input', () => {
  shownDraft = elements.question.value;
  state = { ...state, draft: shownDraft };
  saveTimer ??= setTimeout(() => ((saveTimer = undefined), saveState(state)), 500);
});
elements.stop.addEventListener('click', stop);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.pending) stop();
});
elements.newConversation.addEventListener('click', () => {
  if (state.pending) stop();
  update(newConversation(state));
  elements.question.focus();
});
elements.preset.addEventListener('change', () => {
  const preset = elements.preset.value as PresetName;
  update({ ...state, preset });
  postToHost({ type: 'setPreset', preset });
});
for (const button of elements.insertButtons) {
  button.addEventListener('click', () => {
    const answer = lastAnswer(state);
    if (answer) postToHost({ type: 'insert', action: button.dataset.insert as InsertAction, text: answer });
  });
}
for (const button of elements.commandButtons) {
  button.addEventListener('click', () => postToHost({ type: 'runCommand', command: button.dataset.command as PanelCommand }));
}
elements.errorActions.addEventListener('click', (event) => {
  const command = (event.target as HTMLElement).closest<HTMLElement>('[data-command]')?.dataset.command;
  if (command) postToHost({ type: 'runCommand', command: command as PanelCommand });
});

// Elapsed time keeps moving between tokens (and before the first one).
setInterval(() => {
  if (state.pending) elements.readout.textContent = formatReadout(state, Date.now());
}, 250);

// ---- rendering --------------------------------------------------------------------------------

function lastAnswer(current: PanelState): string | undefined {
  const last = current.turns.at(-1);
  return last?.role === 'assistant' && last.text ? last.text : undefined;
}

const MODEL_STATE_LABELS = {
  missing: 'No model installed',
  unloaded: 'Model not loaded',
  loading: 'Loading model…',
  loaded: 'Model ready',
  busy: 'Model busy',
} as const;

function render(ui: PanelElements, current: PanelState): void {
  // Follow new content only while the reader is at the bottom; scrolling up to read stays put.
  const scroller = document.scrollingElement ?? document.documentElement;
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  renderContent(ui, current);
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
}

function renderContent(ui: PanelElements, current: PanelState): void {
  const status = current.modelStatus;
  ui.modelStatus.textContent = status
    ? [MODEL_STATE_LABELS[status.state], status.modelName].filter(Boolean).join(' · ')
    : 'Connecting…';
  ui.modelStatus.dataset.state = status?.state ?? 'unknown';
  ui.noModel.hidden = status?.state !== 'missing';
  ui.preset.value = current.preset;
  ui.pasteKey.textContent = current.isMac ? '⌘V' : 'Ctrl+V';

  const image = current.image;
  ui.dropZone.hidden = !!image;
  ui.preview.hidden = !image;
  const src = image && (fullImage?.id === image.id ? fullImage.url : image.thumbnail);
  if (src && ui.thumbnail.getAttribute('src') !== src) ui.thumbnail.src = src;
  if (!src) ui.thumbnail.removeAttribute('src');
  const size = current.imageSize ? `${current.imageSize.width}×${current.imageSize.height} px` : '';
  ui.imageCaption.textContent = image ? [image.name, size, image.origin].filter(Boolean).join(' · ') : '';
  // Rebuilt only when the result changes: a rebuild per streamed token would drop the focused box.
  const ocr = image ? current.ocr : undefined;
  if (ocr !== shownOcr) renderOcrOverlay(ui.ocrOverlay, (shownOcr = ocr), (text) => postToHost({ type: 'insert', action: 'copy', text }));

  const busy = !!current.pending;
  for (const chip of ui.chips) chip.disabled = busy || !image;
  ui.ask.disabled = busy || !image;
  ui.stop.hidden = !busy;
  ui.stop.disabled = !!current.pending?.stopping;
  ui.stop.textContent = current.pending?.stopping ? 'Stopping…' : 'Stop';
  // Only drafts the state changed (sent, restored after a failure) are written into the box.
  if (current.draft !== shownDraft) ui.question.value = shownDraft = current.draft;

  answers.render(current.turns, current.pending);
  ui.readout.textContent = formatReadout(current, Date.now());

  ui.error.hidden = !current.error;
  ui.errorText.textContent = current.error?.message ?? '';
  if (current.error !== shownError) {
    shownError = current.error;
    ui.errorActions.replaceChildren(
      ...(current.error?.actions ?? []).map(({ label, command }) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset.command = command;
        button.textContent = label;
        return button;
      }),
    );
  }
  ui.notice.textContent = current.notice?.text ?? '';
  ui.notice.dataset.level = current.notice?.level ?? 'info';

  renderActions(ui, current);
}

function renderActions(ui: PanelElements, current: PanelState): void {
  const answer = lastAnswer(current);
  ui.actions.hidden = !answer || !!current.pending;
  const { targets } = current;
  const lastTask = current.turns.at(-1)?.task;
  const into = targets.editor ? ` (${targets.editor})` : '';
  for (const button of ui.insertButtons) {
    const action = button.dataset.insert as InsertAction;
    switch (action) {
      case 'cursor':
        button.disabled = !targets.editor;
        button.title = targets.editor ? `Into ${targets.editor}` : 'Open a text editor first';
        break;
      case 'comment':
        button.disabled = !targets.editor || !targets.commentable;
        button.title = !targets.editor
          ? 'Open a text editor first'
          : targets.commentable
            ? `As a ${targets.languageId} comment above the cursor${into}`
            : `Loupe knows no comment syntax for ${targets.languageId}`;
        break;
      case 'replace':
        button.disabled = !targets.editor || !targets.hasSelection;
        button.title = targets.hasSelection ? `Replace the selection${into}` : 'Select text in an editor first';
        break;
      case 'altText':
        button.hidden = !targets.altText;
        button.title = targets.altText ? `Alt text of ${targets.altText}` : '';
        break;
      case 'table':
        button.hidden = lastTask !== 'chart-to-table';
        button.disabled = !targets.editor;
        break;
      case 'copy':
        break;
    }
  }
}

postToHost({ type: 'ready', imageId: state.image?.id });
if (state.image) postToHost({ type: 'requestImage', id: state.image.id });
render(elements, state);
