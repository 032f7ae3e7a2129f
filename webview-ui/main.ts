/**
 * Entry of the Ask panel's webview (the editor-tab panel and the side-bar chat show the same
 * page): restores the saved state, says `ready` to the host, applies host messages, and turns
 * user actions into messages. Rendering is batched per animation frame. The image arrives as
 * bytes and is shown from a blob: URL; the saved state keeps only its id and a thumbnail, and a
 * recreated webview asks the host for the bytes again.
 */
import type { PresetName } from '../src/protocol/options';
import type { Task } from '../src/protocol/tasks';
import { MAX_INSERT_CHARS, MAX_TURN_ICON_CHARS, type PanelAction, type PanelCommand } from '../src/protocol/webview';
import { AnswerView, type AnswerAction } from './answerView';
import { onHostMessage, postToHost, savedState, saveState } from './hostBridge';
import { setupIntake } from './intake';
import { buildLayout, QUESTION_PLACEHOLDERS, type PanelElements } from './layout';
import { renderAnswer } from './markdown';
import { renderBoxOverlay, type OverlayContent } from './boxOverlay';
import {
  applyHostMessage,
  beginAsk,
  clearConversation,
  effectivePreset,
  formatReadout,
  restoreState,
  retryLast,
  stopUnconfirmed,
  turnsForSaving,
  undoClear,
  type PanelError,
  type PanelState,
} from './panelState';
import { makeThumbnail, TURN_ICON_LONG_SIDE } from './thumbnail';
import { renderAnswerActions } from './answerActions';
import { followNewTurns } from './scrollFollow';
import { describeRegion, initialRegion, renderRegionBox, setupRegionSelector } from './regionSelector';
import type { Region } from '../src/protocol/engine';

const elements = buildLayout(document.getElementById('app')!);
const answers = new AnswerView(elements.conversation, (href) => postToHost({ type: 'openLink', href }), onAnswerAction);
const scrolling = followNewTurns(document.getElementById('app')!);
let state: PanelState = restoreState(savedState());
/** The full image, as the host sent it; blob URLs do not outlive the webview, so it is not saved. */
let fullImage: { id: string; url: string } | undefined;
/** The image compared with the first, likewise. */
let secondImage: { id: string; url: string } | undefined;

// ---- state updates ----------------------------------------------------------------------------

let renderQueued = false;
/** The question text last written into the box, so typing is never overwritten by a render. */
let shownDraft = '';
/** The boxes (OCR or Find) and errors last drawn; state updates keep these objects while they are current. */
let shownBoxes: OverlayContent | undefined;
let shownSecondBoxes: OverlayContent | undefined;
const shownErrors = new Map<HTMLElement, PanelError | undefined>();
/** The turns last handed to the host to keep for this image. */
let keptTurns: PanelState['turns'] | undefined = state.turns;
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
  keepConversation();
  // Saving copies the whole state (conversation, thumbnail); during a stream once a second is enough.
  scheduleSave(state.pending ? 1000 : 0);
}

let saveDue = 0;

/**
 * Saves the state within `delayMs`; a save already due sooner stands. A finished answer is saved at
 * once: a webview hidden within the stream's second would come back without it.
 */
function scheduleSave(delayMs: number): void {
  const due = Date.now() + delayMs;
  if (saveTimer !== undefined && saveDue <= due) return;
  clearTimeout(saveTimer);
  saveDue = due;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    saveState(state);
  }, delayMs);
}

/** Finished turns go to the host, which keeps them per image content across reloads and image switches. */
function keepConversation(): void {
  if (state.pending || state.turns === keptTurns || !state.image?.hash) return;
  keptTurns = state.turns;
  postToHost({ type: 'saveConversation', hash: state.image.hash, turns: turnsForSaving(state.turns) });
}

function ask(task: Task, question: string, seed?: number, region: Region | undefined = state.region): void {
  const started = beginAsk(state, task, question, Date.now(), region);
  if (!started) return;
  update(started.state);
  scrolling.follow();
  const secondImageId = task === 'question' ? state.second?.id : undefined;
  postToHost({
    type: 'ask',
    task,
    question: question.trim(),
    preset: effectivePreset(state),
    history: started.history,
    ...(seed !== undefined && { seed }),
    // In the preview's pixels, which for an SVG are not those the engine renders: it scales them.
    ...(region && !secondImageId && { region: state.imageSize ? { ...region, of: state.imageSize } : region }),
    ...(secondImageId && { secondImageId }),
  });
}

/** Stop ends the turn within a second, even when the host never confirms it. */
const STOP_CONFIRM_MS = 500;

function stop(): void {
  if (!state.pending || state.pending.stopping) return;
  const { askedAt } = state.pending;
  update({ ...state, pending: { ...state.pending, stopping: true } });
  postToHost({ type: 'stop' });
  setTimeout(() => {
    if (state.pending?.askedAt !== askedAt) return;
    update(stopUnconfirmed(state));
    announce('Answer stopped.');
  }, STOP_CONFIRM_MS);
}

function focusQuestion(): void {
  elements.question.focus();
}

/** How much of a finished answer is read out; the rest is one key away (the reader). */
const ANNOUNCED_CHARS = 400;

/** What a screen reader hears when an answer ends: the answer itself, then where the rest is. */
function answerEnded(cutAtTokens: number | undefined, cancelled: boolean | undefined): string {
  const answer = state.turns.at(-1);
  // Only the start is rendered: a long answer's whole would stall the chat for the part that is read.
  const text = answer?.role === 'assistant' ? plainText(answer.text.slice(0, ANNOUNCED_CHARS * 4)) : '';
  const said = text.length > ANNOUNCED_CHARS ? `${text.slice(0, ANNOUNCED_CHARS)}…` : text;
  const how = cancelled ? 'Answer stopped' : cutAtTokens ? `Answer cut at ${cutAtTokens} tokens; Continue is under it` : 'Answer finished';
  return `${how}. ${said} ${said ? 'Alt+F2 reads the whole answer.' : ''}`.trim();
}

/** An answer's words without Markdown's marks, as a screen reader should say them. */
function plainText(markdown: string): string {
  const scratch = document.createElement('div');
  scratch.innerHTML = renderAnswer(markdown);
  return (scratch.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * The accessible view: the latest answer (or the one holding focus) as plain, read-only text in a
 * modal dialog, read line by line with the arrow keys; Escape closes it and focus goes back.
 */
function openReader(): void {
  const focused = document.activeElement?.closest<HTMLElement>('.turn.assistant');
  const index = focused ? Number(focused.dataset.index) : state.turns.map((turn) => turn.role).lastIndexOf('assistant');
  const turn = state.turns[index];
  if (!turn || turn.role !== 'assistant') return update({ ...state, notice: { level: 'info', text: 'There is no answer to read yet.' } });
  const back = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : elements.question;
  elements.readerTitle.textContent = answerTitle(index);
  elements.readerText.value = turn.text;
  elements.reader.onclose = () => (back.isConnected ? back : elements.question).focus();
  if (!elements.reader.open) elements.reader.showModal();
  elements.readerText.setSelectionRange(0, 0);
  elements.readerText.focus();
}

function answerTitle(index: number): string {
  const asked = state.turns[index - 1];
  return asked?.role === 'user' ? `Answer to: ${asked.text.slice(0, 120)}` : 'Answer';
}

/** Says something once to screen readers, without moving focus. */
function announce(text: string): void {
  elements.announcer.textContent = '';
  // A separate frame, so the same sentence twice is announced twice.
  requestAnimationFrame(() => (elements.announcer.textContent = text));
}

onHostMessage((message) => {
  if (message.type === 'image') showFullImage(message.image);
  if (message.type === 'secondImage') showSecondImage(message.image);
  if (message.type === 'imageRefused') showFullImage(null);
  if (message.type === 'focusQuestion') focusQuestion();
  if (message.type === 'openReader') openReader();
  const before = state;
  update(applyHostMessage(state, message, Date.now()));
  if (message.type === 'done' && before.pending) announce(answerEnded(message.cutAtTokens, message.cancelled));
  if (message.type === 'changes' && message.answer && before.pending) announce(message.answer);
  if (message.type === 'image' && message.ask) ask(message.ask.task, message.ask.question);
  if (message.type === 'secondImage' && message.ask) ask('question', message.ask);
});

function showSecondImage(image: { id: string; mime: string; bytes: Uint8Array<ArrayBuffer> } | null): void {
  if (image && secondImage?.id === image.id) return;
  if (secondImage) URL.revokeObjectURL(secondImage.url);
  secondImage = image ? { id: image.id, url: URL.createObjectURL(new Blob([image.bytes], { type: image.mime })) } : undefined;
}

function showFullImage(image: { id: string; mime: string; bytes: Uint8Array<ArrayBuffer> } | null): void {
  if (image && fullImage?.id === image.id) return;
  if (fullImage) URL.revokeObjectURL(fullImage.url);
  fullImage = image ? { id: image.id, url: URL.createObjectURL(new Blob([image.bytes], { type: image.mime })) } : undefined;
}

// ---- user actions -----------------------------------------------------------------------------

setupIntake(elements.dropZone, {
  onImageData: (name, bytes) => {
    clearError();
    postToHost({ type: 'imageData', name, bytes });
  },
  onUris: (uris) => {
    clearError();
    postToHost({ type: 'droppedUris', uris: uris.slice(0, 20) });
  },
  // Refused before it reached the host: the old image goes too, as when the host refuses one.
  onError: (text) => {
    if (state.image) postToHost({ type: 'clearImage' });
    showFullImage(null);
    update(applyHostMessage(state, { type: 'imageRefused', message: text, actions: [{ label: 'Choose another image…', command: 'pickImage' }] }, Date.now()));
  },
});

/** The next action makes an error shown for an earlier one stale. */
function clearError(): void {
  if (state.error) update({ ...state, error: undefined });
}

const pickImage = () => {
  clearError();
  postToHost({ type: 'pickImage' });
};
elements.dropZone.addEventListener('click', pickImage);
elements.dropZone.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' && event.key !== ' ') return;
  event.preventDefault();
  pickImage();
});
elements.attach.addEventListener('click', pickImage);
elements.replaceImage.addEventListener('click', pickImage);
elements.clearImage.addEventListener('click', () => {
  clearError();
  postToHost({ type: 'clearImage' });
  focusQuestion();
});
elements.regionToggle.addEventListener('click', () => {
  if (state.region) {
    update({ ...state, region: undefined });
    return announce('Questions are about the whole image again.');
  }
  if (!state.imageSize) return;
  update({ ...state, region: initialRegion(state.imageSize) });
  // The rectangle shows on the next frame; the keyboard goes to it there.
  requestAnimationFrame(() => elements.regionBox.focus());
});
setupRegionSelector(elements.previewFrame, elements.regionBox, {
  size: () => state.imageSize,
  region: () => state.region,
  change: (region, byKeyboard) => {
    update({ ...state, region });
    if (byKeyboard) announce(region ? `Now the ${describeRegion(region)}.` : 'Questions are about the whole image again.');
    if (!region) elements.regionToggle.focus();
  },
  ask: () => {
    if (elements.question.value.trim()) return elements.askForm.requestSubmit();
    update({ ...state, notice: { level: 'info', text: `Type a question about the ${describeRegion(state.region!)}, or pick a task: both look only there.` } });
    focusQuestion();
  },
});
elements.compareWith.addEventListener('click', () => postToHost({ type: 'pickSecondImage' }));
elements.clearSecond.addEventListener('click', () => {
  postToHost({ type: 'clearSecondImage' });
  focusQuestion();
});
elements.secondThumbnail.addEventListener('load', () => {
  if (!state.second || secondImage?.id !== state.second.id) return;
  update({ ...state, secondSize: { width: elements.secondThumbnail.naturalWidth, height: elements.secondThumbnail.naturalHeight } });
});
elements.chooseModel.addEventListener('click', () => postToHost({ type: 'runCommand', command: 'loupe.selectModel' }));
elements.readerClose.addEventListener('click', () => elements.reader.close());
elements.thumbnail.addEventListener('load', () => {
  const image = state.image;
  // Only the full image tells its size and makes the thumbnail; a restored thumbnail shows meanwhile.
  if (!image || fullImage?.id !== image.id || elements.thumbnail.getAttribute('src') !== fullImage.url) return;
  const { naturalWidth: width, naturalHeight: height } = elements.thumbnail;
  const thumbnail = image.thumbnail ?? makeThumbnail(elements.thumbnail);
  const icon = image.icon ?? makeThumbnail(elements.thumbnail, TURN_ICON_LONG_SIDE, MAX_TURN_ICON_CHARS);
  update({ ...state, imageSize: { width, height }, image: { ...image, thumbnail, icon } });
});

// A chip runs its task as a new turn; what is typed in the box stays there for later, except for
// Find, which looks for those words.
for (const chip of elements.chips) {
  chip.addEventListener('click', () => {
    const task = chip.dataset.task as Task;
    if (task !== 'find') ask(task, '');
    else if (elements.question.value.trim()) ask(task, elements.question.value);
    else update({ ...state, notice: { level: 'info', text: 'Type what to find in the question box (for example "the Save button"), then click Find.' } });
    // The chip is disabled while it answers: focus would fall to the page.
    focusQuestion();
  });
}
elements.askForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const question = elements.question.value;
  if (!question.trim()) return focusQuestion();
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
  scheduleSave(500);
});
elements.stop.addEventListener('click', () => {
  stop();
  focusQuestion();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.pending) stop();
  // Alt+F2 as in VS Code's Accessible View; the contributed keybinding (loupe.readAnswer) may not
  // reach a webview that holds the keyboard, so the page answers the key itself too.
  if (event.key === 'F2' && event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    openReader();
  }
});
elements.newConversation.addEventListener('click', () => {
  if (state.pending) stop();
  update(clearConversation(state));
  focusQuestion();
});
elements.undoClear.addEventListener('click', () => {
  update(undoClear(state));
  focusQuestion();
});
// This chat's own choice: the loupe.preset setting (the default, also for alt text fixes) stays as it is.
elements.preset.addEventListener('change', () => update({ ...state, preset: elements.preset.value as PresetName }));
for (const button of elements.commandButtons) {
  button.addEventListener('click', () => postToHost({ type: 'runCommand', command: button.dataset.command as PanelCommand }));
}
for (const slot of [elements.error, elements.imageError]) {
  slot.addEventListener('click', (event) => {
    const command = (event.target as HTMLElement).closest<HTMLElement>('[data-action]')?.dataset.action as PanelAction['command'] | undefined;
    if (!command) return;
    // The fix is under way: the error it answers is no longer news.
    update({ ...state, error: undefined });
    if (command === 'pickImage') postToHost({ type: 'pickImage' });
    else postToHost({ type: 'runCommand', command });
  });
}

function onAnswerAction(action: AnswerAction): void {
  // Continue and Retry take their own button away: the keyboard goes on from the question.
  if (action.kind === 'continue') {
    // A comparison is asked afresh each time (a new pixel diff, no thread to go on from).
    if ([...state.turns].reverse().find((turn) => turn.role === 'user')?.comparedWith) {
      return update({ ...state, notice: { level: 'info', text: 'A comparison cannot be continued: ask it again on the Detailed preset for a longer answer.' } });
    }
    ask(state.turns.at(-1)?.task ?? 'question', 'Continue');
    return focusQuestion();
  }
  if (action.kind === 'retry') {
    const retry = retryLast(state);
    if (!retry) return update({ ...state, notice: { level: 'info', text: 'That answer was about another image, or about two: show the same image (and the one it was compared with) again to retry.' } });
    state = retry.state;
    // A seed of its own: the same one would give the same answer again. The same part of the image, too.
    ask(retry.task, retry.question, crypto.getRandomValues(new Uint32Array(1))[0], retry.region);
    return focusQuestion();
  }
  const text = state.turns[action.index]?.text;
  if (!text) return;
  // The host would refuse it: said here, at once.
  if (text.length > MAX_INSERT_CHARS) {
    return update({ ...state, error: { message: `This answer is ${text.length.toLocaleString()} characters long; Loupe inserts or copies at most ${MAX_INSERT_CHARS.toLocaleString()}.`, actions: [], at: 'answer' } });
  }
  postToHost({ type: 'insert', action: action.action, text });
}

// Opening the panel or the side-bar chat puts the keyboard in the question box: typing is never lost.
window.addEventListener('focus', () => {
  if (!document.activeElement || document.activeElement === document.body) focusQuestion();
});

// Elapsed time keeps moving between tokens (and before the first one).
setInterval(() => {
  if (state.pending) elements.readout.textContent = formatReadout(state, Date.now());
}, 250);

// ---- rendering --------------------------------------------------------------------------------

const MODEL_STATE_LABELS = {
  missing: 'No model installed',
  unloaded: 'Model not loaded',
  loading: 'Loading model…',
  loaded: 'Model ready',
  busy: 'Model busy',
} as const;

/** Sets text only when it changed: a live region re-announces every write. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

// Scrolling follows the size of the page (scrollFollow.ts), not each render.
function render(ui: PanelElements, current: PanelState): void {
  const focused = document.activeElement;
  renderState(ui, current);
  // A control that went away or was disabled under the keyboard leaves focus on the page itself.
  if (focused instanceof HTMLElement && focused !== document.body && lostFocus(focused)) focusQuestion();
}

function lostFocus(element: HTMLElement): boolean {
  return !element.isConnected || (element as HTMLButtonElement).disabled === true || element.closest('[hidden]') !== null;
}

function renderState(ui: PanelElements, current: PanelState): void {
  const status = current.modelStatus;
  setText(ui.modelStatus, status ? [MODEL_STATE_LABELS[status.state], status.modelName].filter(Boolean).join(' · ') : 'Connecting…');
  ui.statusDot.dataset.state = status?.state ?? 'unknown';
  ui.noModel.hidden = status?.state !== 'missing';
  // The status beside it names the model; the button's name says so for a screen reader too.
  ui.chooseModel.setAttribute('aria-label', status?.modelName ? `Choose the model that answers (now ${status.modelName})` : 'Choose the model that answers');
  ui.preset.value = effectivePreset(current);
  ui.pasteKey.textContent = current.isMac ? '⌘V' : 'Ctrl+V';

  const image = current.image;
  ui.dropZone.hidden = !!image;
  ui.preview.hidden = !image;
  const src = image && (fullImage?.id === image.id ? fullImage.url : image.thumbnail);
  if (src && ui.thumbnail.getAttribute('src') !== src) ui.thumbnail.src = src;
  if (!src) ui.thumbnail.removeAttribute('src');
  const size = current.imageSize ? `${current.imageSize.width}×${current.imageSize.height} px` : '';
  const region = current.region && `asking about the ${describeRegion(current.region)}`;
  ui.imageCaption.textContent = image ? [image.name, size, image.origin, region].filter(Boolean).join(' · ') : '';
  renderRegionBox(ui.regionBox, image ? current.region : undefined, current.imageSize);
  ui.previewFrame.classList.toggle('selecting', !!current.region);
  ui.regionToggle.textContent = current.region ? 'Whole image' : 'Select region';
  ui.regionToggle.disabled = !current.imageSize;
  ui.regionToggle.hidden = !!current.second;
  ui.question.placeholder = QUESTION_PLACEHOLDERS[current.second ? 'both' : 'one'];
  ui.compareWith.hidden = !!current.second;
  renderSecondImage(ui, current);
  // Rebuilt only when the result changes: a rebuild per streamed token would drop the focused box.
  const boxes = image ? overlayContent(current) : undefined;
  if (!sameOverlay(boxes, shownBoxes)) renderBoxOverlay(ui.boxOverlay, (shownBoxes = boxes), copyText);

  const busy = !!current.pending;
  // The tasks are about one image: while comparing, questions are about both.
  for (const chip of ui.chips) chip.disabled = busy || !image || !!current.second;
  ui.ask.disabled = busy || !image;
  // Disabled controls say why in words on the page, not only in a tooltip.
  const why = !image
    ? 'Add an image first: paste it, drop it, or use Attach image…'
    : busy
      ? 'Loupe is answering; Stop it (Esc) to ask something else.'
      : current.second
        ? 'Comparing two images: ask a question about both (for example "What changed?"). Stop comparing for the tasks.'
        : '';
  ui.askHint.hidden = !why;
  setText(ui.askHint, why);
  ui.stop.hidden = !busy;
  ui.stop.disabled = !!current.pending?.stopping;
  ui.stop.textContent = current.pending?.stopping ? 'Stopping…' : 'Stop';
  // Only drafts the state changed (sent, restored after a failure) are written into the box.
  if (current.draft !== shownDraft) ui.question.value = shownDraft = current.draft;

  answers.render(current.turns, current.pending);
  renderAnswerActions(answers.answers(), current.targets, busy);
  ui.readout.textContent = formatReadout(current, Date.now());

  renderError(ui.imageError, current.error?.at === 'image' ? current.error : undefined);
  renderError(ui.error, current.error?.at === 'answer' ? current.error : undefined);
  ui.notice.textContent = current.notice?.text ?? '';
  ui.undoClear.hidden = !current.cleared;
  ui.notice.dataset.level = current.notice?.level ?? 'info';
}

/** The second image, its caption and the changed regions over it. */
function renderSecondImage(ui: PanelElements, current: PanelState): void {
  const second = current.image ? current.second : undefined;
  ui.secondPreview.hidden = !second;
  const src = second && secondImage?.id === second.id ? secondImage.url : undefined;
  if (src && ui.secondThumbnail.getAttribute('src') !== src) ui.secondThumbnail.src = src;
  if (!src) ui.secondThumbnail.removeAttribute('src');
  const size = current.secondSize ? `${current.secondSize.width}×${current.secondSize.height} px` : '';
  setText(ui.secondCaption, second ? ['Compared with', [second.name, size, second.origin].filter(Boolean).join(' · ')].join(': ') : '');
  const changes = second && current.changes;
  // A second image of the same size, or scaled to the first, takes the boxes in the compared size;
  // laid over at the top-left, they are in its own pixels.
  const boxesIn = changes && (changes.alignment === 'top-left' ? current.secondSize : { width: changes.width, height: changes.height });
  const boxes: OverlayContent | undefined = changes && boxesIn ? { kind: 'changes', boxes: changes.boxes, size: boxesIn } : undefined;
  if (!sameOverlay(boxes, shownSecondBoxes)) renderBoxOverlay(ui.secondOverlay, (shownSecondBoxes = boxes), copyText);
}

/**
 * The same boxes in the same size: a rebuild per render would drop the focused box. Results are
 * kept as objects while current; sizes are compared by value.
 */
function sameOverlay(a: OverlayContent | undefined, b: OverlayContent | undefined): boolean {
  if (!a || !b) return a === b;
  const result = (content: OverlayContent) => (content.kind === 'changes' ? content.boxes : content.result);
  const size = (content: OverlayContent) => (content.kind === 'ocr' ? undefined : `${content.size.width}x${content.size.height}`);
  return a.kind === b.kind && result(a) === result(b) && size(a) === size(b);
}

function copyText(text: string): void {
  postToHost({ type: 'insert', action: 'copy', text });
}

/** Find's boxes name the size they are in (an SVG is rendered larger than it declares); else the preview's own. */
function overlayContent(current: PanelState): OverlayContent | undefined {
  const { changes } = current;
  if (changes) {
    // Laid over at the top-left, the compared area is both images' largest size: the first's own pixels count.
    const size = changes.alignment === 'top-left' ? current.imageSize : { width: changes.width, height: changes.height };
    return size && { kind: 'changes', boxes: changes.boxes, size };
  }
  if (!current.found) return current.ocr && { kind: 'ocr', result: current.ocr };
  const size = current.found.image ?? current.imageSize;
  return size && { kind: 'found', result: current.found, size };
}

/** The one way errors look: the message and the buttons that fix it, in the slot next to what failed. */
function renderError(slot: HTMLElement, error: PanelError | undefined): void {
  if (shownErrors.get(slot) === error) return;
  shownErrors.set(slot, error);
  slot.hidden = !error;
  if (!error) return slot.replaceChildren();
  const text = document.createElement('p');
  text.textContent = error.message;
  const actions = document.createElement('div');
  actions.className = 'button-row';
  actions.append(
    ...error.actions.map(({ label, command }) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.action = command;
      button.textContent = label;
      return button;
    }),
  );
  slot.replaceChildren(text, actions);
}

postToHost({ type: 'ready', imageId: state.image?.id });
if (state.image) postToHost({ type: 'requestImage', id: state.image.id });
render(elements, state);
focusQuestion();
