/**
 * The panel's static markup. It holds no data (everything dynamic is set through textContent or
 * the sanitizer), no inline styles and no inline scripts, as the CSP requires.
 */
import { MAX_QUESTION_CHARS } from '../src/protocol/engine';
import { TASK_LABELS, type Task } from '../src/protocol/tasks';

const CHIP_TASKS: Task[] = ['explain-screenshot', 'alt-text', 'describe-diagram', 'chart-to-table', 'extract-text'];

const TEMPLATE = `
<header class="status-line">
  <span id="model-status" class="model-status"></span>
  <label class="preset">Preset
    <select id="preset" title="Speed/detail trade-off (also: Loupe: Select Speed/Detail Preset)">
      <option value="fast">Fast</option>
      <option value="balanced">Balanced</option>
      <option value="detailed">Detailed</option>
    </select>
  </label>
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
  <p class="hint">A folder can also be set directly with the <code>loupe.model.path</code> setting.</p>
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
      <div id="ocr-overlay" class="ocr-overlay" hidden></div>
    </div>
    <figcaption>
      <span id="image-caption"></span>
      <button type="button" id="replace-image" class="link">Change…</button>
      <button type="button" id="clear-image" class="link">Remove</button>
    </figcaption>
  </figure>
</section>

<section class="tasks" aria-label="Tasks">
  ${CHIP_TASKS.map((task) => `<button type="button" class="chip" data-task="${task}">${TASK_LABELS[task]}</button>`).join('\n  ')}
</section>

<section id="conversation" class="conversation" aria-live="polite" aria-label="Conversation"></section>
<div id="error" class="error" role="alert" hidden>
  <p id="error-text"></p>
  <div id="error-actions" class="button-row"></div>
</div>
<div id="notice" class="notice" role="status"></div>

<section id="actions" class="actions button-row" aria-label="Use the answer" hidden>
  <button type="button" data-insert="cursor">Insert at cursor</button>
  <button type="button" class="secondary" data-insert="replace">Replace selection</button>
  <button type="button" class="secondary" data-insert="copy">Copy</button>
  <button type="button" class="secondary" data-insert="altText">Use as alt text</button>
  <button type="button" class="secondary" data-insert="comment">Insert as comment</button>
  <button type="button" class="secondary" data-insert="table">Insert as table</button>
</section>

<form id="ask-form" class="ask">
  <div id="readout" class="readout"></div>
  <label for="question" class="visually-hidden">Question about the image</label>
  <textarea id="question" rows="2" maxlength="${MAX_QUESTION_CHARS}"
    placeholder="Ask about the image, or a follow-up (Enter sends, Shift+Enter adds a line)"></textarea>
  <div class="button-row">
    <button type="submit" id="ask">Ask</button>
    <button type="button" id="stop" class="secondary" hidden>Stop</button>
    <button type="button" id="new-conversation" class="link">New conversation</button>
  </div>
</form>
`;

export interface PanelElements {
  modelStatus: HTMLElement;
  preset: HTMLSelectElement;
  noModel: HTMLElement;
  dropZone: HTMLElement;
  preview: HTMLElement;
  thumbnail: HTMLImageElement;
  ocrOverlay: HTMLElement;
  imageCaption: HTMLElement;
  replaceImage: HTMLButtonElement;
  clearImage: HTMLButtonElement;
  chips: HTMLButtonElement[];
  conversation: HTMLElement;
  readout: HTMLElement;
  error: HTMLElement;
  errorText: HTMLElement;
  errorActions: HTMLElement;
  notice: HTMLElement;
  actions: HTMLElement;
  insertButtons: HTMLButtonElement[];
  commandButtons: HTMLButtonElement[];
  askForm: HTMLFormElement;
  question: HTMLTextAreaElement;
  ask: HTMLButtonElement;
  stop: HTMLButtonElement;
  newConversation: HTMLButtonElement;
  pasteKey: HTMLElement;
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
    preset: byId('preset'),
    noModel: byId('no-model'),
    dropZone: byId('drop-zone'),
    preview: byId('preview'),
    thumbnail: byId('thumbnail'),
    ocrOverlay: byId('ocr-overlay'),
    imageCaption: byId('image-caption'),
    replaceImage: byId('replace-image'),
    clearImage: byId('clear-image'),
    chips: [...root.querySelectorAll<HTMLButtonElement>('.chip')],
    conversation: byId('conversation'),
    readout: byId('readout'),
    error: byId('error'),
    errorText: byId('error-text'),
    errorActions: byId('error-actions'),
    notice: byId('notice'),
    actions: byId('actions'),
    insertButtons: [...root.querySelectorAll<HTMLButtonElement>('[data-insert]')],
    commandButtons: [...root.querySelectorAll<HTMLButtonElement>('#no-model [data-command]')],
    askForm: byId('ask-form'),
    question: byId('question'),
    ask: byId('ask'),
    stop: byId('stop'),
    newConversation: byId('new-conversation'),
    pasteKey: root.querySelector<HTMLElement>('.paste-key')!,
  };
}
