/**
 * The panel's static markup. It holds no data (everything dynamic is set through textContent or
 * the sanitizer), no inline styles and no inline scripts, as the CSP requires.
 */
import { MAX_QUESTION_CHARS } from '../src/protocol/engine';
import { TASK_LABELS, type Task } from '../src/protocol/tasks';

const CHIP_TASKS: Task[] = ['explain-screenshot', 'alt-text', 'describe-diagram', 'chart-to-table', 'extract-text', 'find'];

/** Find looks for the words in the question box: its tooltip says so (and clicking it with the box empty). */
const CHIP_TITLES: Partial<Record<Task, string>> = {
  find: 'Type what to look for in the question box (for example "the Save button"), then click Find: boxes over the image',
};

function chip(task: Task): string {
  const title = CHIP_TITLES[task];
  return `<button type="button" class="chip" data-task="${task}"${title ? ` title="${title.replace(/"/g, '&quot;')}"` : ''}>${TASK_LABELS[task]}</button>`;
}

/** The question box's hint: about one image, or about both while comparing. */
export const QUESTION_PLACEHOLDERS = {
  one: 'Ask about the image (Shift+Enter: new line)',
  both: 'Ask about both images, e.g. "What changed?" (Shift+Enter: new line)',
} as const;

const TEMPLATE = `
<header class="status-line">
  <span class="model-state">
    <span id="status-dot" class="status-dot" aria-hidden="true"></span>
    <span id="model-status" role="status" aria-live="polite" aria-atomic="true"></span>
  </span>
  <label class="preset">Preset
    <select id="preset" aria-describedby="preset-hint">
      <option value="fast">Fast</option>
      <option value="balanced">Balanced</option>
      <option value="detailed">Detailed</option>
    </select>
  </label>
  <!-- Here, not in the sticky question box: a row more there covered the task chips when scrolled. -->
  <button type="button" id="choose-model" class="secondary model-picker"
    title="Choose the model that answers: one on this machine or a model server">Model…</button>
  <span id="preset-hint" class="visually-hidden">Speed and detail for this chat only; the loupe.preset setting is the default for new chats.</span>
</header>

<section id="no-model" class="banner" hidden>
  <p><strong>No model is installed yet.</strong> Loupe answers with a vision model that runs on this
  machine. Download the default model once (it is verified and then used offline), pick another one,
  or import a model folder you already have.</p>
  <div class="button-row">
    <button type="button" data-command="loupe.downloadModel">Download model…</button>
    <button type="button" class="secondary" data-command="loupe.selectModel">Select model…</button>
    <button type="button" class="secondary" data-command="loupe.importModel">Import model folder…</button>
  </div>
  <p class="hint">A folder can also be set directly with the <code>loupe.model.path</code> setting.
  New to Loupe? <button type="button" class="link-button" data-command="loupe.openWalkthrough">Get started</button> walks through it.</p>
</section>

<section class="intake" aria-label="Image">
  <div id="drop-zone" class="drop-zone" tabindex="0" role="button"
       aria-label="Add an image: paste, drop a file, or press Enter to choose a file">
    <p><strong>Paste an image</strong> (<span class="paste-key">Ctrl+V</span>), drop an image file here,
    or <span class="link-like">choose a file…</span></p>
    <p class="hint">Dragging from VS Code's Explorer or a tab? Hold <kbd>Shift</kbd> while you drop.</p>
  </div>
  <figure id="preview" class="preview" hidden>
    <div class="preview-frame">
      <img id="thumbnail" alt="The image being asked about">
      <div id="box-overlay" class="box-overlay" hidden></div>
      <div id="region-box" class="region-box" tabindex="0" role="group" hidden></div>
    </div>
    <figcaption>
      <span id="image-caption"></span>
      <button type="button" id="region-toggle" class="link"
        title="Ask about a part of the image, seen at its own resolution: drag over the image, or use the arrow keys">Select region</button>
      <button type="button" id="compare-with" class="link" title="Attach a second image: questions then compare the two, changed pixels first">Compare with…</button>
      <button type="button" id="replace-image" class="link">Change…</button>
      <button type="button" id="clear-image" class="link">Remove</button>
    </figcaption>
  </figure>
  <figure id="second-preview" class="preview" hidden>
    <div class="preview-frame">
      <img id="second-thumbnail" alt="The image compared with the first">
      <div id="second-overlay" class="box-overlay" hidden></div>
    </div>
    <figcaption>
      <span id="second-caption"></span>
      <button type="button" id="clear-second" class="link">Stop comparing</button>
    </figcaption>
  </figure>
  <div id="image-error" class="error" role="alert" hidden></div>
</section>

<section class="tasks" aria-label="Tasks" aria-describedby="ask-hint">
  ${CHIP_TASKS.map(chip).join('\n  ')}
</section>

<section id="conversation" class="conversation" aria-label="Conversation"></section>
<div id="error" class="error" role="alert" hidden></div>
<div class="notice-row">
  <div id="notice" class="notice" role="status" aria-live="polite"></div>
  <button type="button" id="undo-clear" class="link" hidden>Undo</button>
</div>
<div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>

<!-- Last, where it shows: Tab follows what the eye sees, and opening the chat focuses the question anyway. -->
<form id="ask-form" class="ask" aria-label="Ask">
  <div id="readout" class="readout" aria-hidden="true"></div>
  <label for="question" class="visually-hidden">Question about the image</label>
  <textarea id="question" rows="2" maxlength="${MAX_QUESTION_CHARS}" aria-describedby="ask-hint"
    placeholder="${QUESTION_PLACEHOLDERS.one}"></textarea>
  <div class="button-row">
    <button type="submit" id="ask" aria-describedby="ask-hint">Ask</button>
    <button type="button" id="stop" class="secondary" hidden>Stop</button>
    <button type="button" id="attach" class="secondary" title="Choose an image file to ask about">Attach image…</button>
    <button type="button" id="new-conversation" class="link">New conversation</button>
  </div>
  <p id="ask-hint" class="hint" hidden></p>
</form>

<!-- The accessible view of an answer (Alt+F2, as in VS Code): its text, read line by line. -->
<dialog id="reader" class="reader" aria-labelledby="reader-title">
  <h2 id="reader-title">Answer</h2>
  <textarea id="reader-text" readonly aria-labelledby="reader-title" spellcheck="false"></textarea>
  <div class="button-row">
    <button type="button" id="reader-close">Close (Esc)</button>
  </div>
</dialog>
`;

export interface PanelElements {
  modelStatus: HTMLElement;
  statusDot: HTMLElement;
  preset: HTMLSelectElement;
  noModel: HTMLElement;
  dropZone: HTMLElement;
  preview: HTMLElement;
  thumbnail: HTMLImageElement;
  boxOverlay: HTMLElement;
  previewFrame: HTMLElement;
  regionBox: HTMLElement;
  regionToggle: HTMLButtonElement;
  compareWith: HTMLButtonElement;
  secondPreview: HTMLElement;
  secondThumbnail: HTMLImageElement;
  secondOverlay: HTMLElement;
  secondCaption: HTMLElement;
  clearSecond: HTMLButtonElement;
  imageCaption: HTMLElement;
  replaceImage: HTMLButtonElement;
  clearImage: HTMLButtonElement;
  chips: HTMLButtonElement[];
  conversation: HTMLElement;
  readout: HTMLElement;
  error: HTMLElement;
  imageError: HTMLElement;
  notice: HTMLElement;
  announcer: HTMLElement;
  commandButtons: HTMLButtonElement[];
  askForm: HTMLFormElement;
  question: HTMLTextAreaElement;
  ask: HTMLButtonElement;
  stop: HTMLButtonElement;
  attach: HTMLButtonElement;
  askHint: HTMLElement;
  newConversation: HTMLButtonElement;
  pasteKey: HTMLElement;
  chooseModel: HTMLButtonElement;
  undoClear: HTMLButtonElement;
  reader: HTMLDialogElement;
  readerTitle: HTMLElement;
  readerText: HTMLTextAreaElement;
  readerClose: HTMLButtonElement;
}

export function buildLayout(root: HTMLElement): PanelElements {
  root.innerHTML = TEMPLATE;
  const byId = <T extends HTMLElement>(id: string) => {
    const element = root.querySelector<T>(`#${id}`);
    if (!element) throw new Error(`Loupe panel markup lacks #${id}`);
    return element;
  };
  return {
    modelStatus: byId('model-status'),
    statusDot: byId('status-dot'),
    preset: byId('preset'),
    noModel: byId('no-model'),
    dropZone: byId('drop-zone'),
    preview: byId('preview'),
    thumbnail: byId('thumbnail'),
    boxOverlay: byId('box-overlay'),
    previewFrame: root.querySelector<HTMLElement>('#preview .preview-frame')!,
    regionBox: byId('region-box'),
    regionToggle: byId('region-toggle'),
    compareWith: byId('compare-with'),
    secondPreview: byId('second-preview'),
    secondThumbnail: byId('second-thumbnail'),
    secondOverlay: byId('second-overlay'),
    secondCaption: byId('second-caption'),
    clearSecond: byId('clear-second'),
    imageCaption: byId('image-caption'),
    replaceImage: byId('replace-image'),
    clearImage: byId('clear-image'),
    chips: [...root.querySelectorAll<HTMLButtonElement>('.chip')],
    conversation: byId('conversation'),
    readout: byId('readout'),
    error: byId('error'),
    imageError: byId('image-error'),
    notice: byId('notice'),
    announcer: byId('announcer'),
    commandButtons: [...root.querySelectorAll<HTMLButtonElement>('#no-model [data-command]')],
    askForm: byId('ask-form'),
    question: byId('question'),
    ask: byId('ask'),
    stop: byId('stop'),
    attach: byId('attach'),
    askHint: byId('ask-hint'),
    newConversation: byId('new-conversation'),
    pasteKey: root.querySelector<HTMLElement>('.paste-key')!,
    chooseModel: byId('choose-model'),
    undoClear: byId('undo-clear'),
    reader: byId('reader'),
    readerTitle: byId('reader-title'),
    readerText: byId('reader-text'),
    readerClose: byId('reader-close'),
  };
}
