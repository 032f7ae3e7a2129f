/**
 * The Ask panel's host side: creates (or revives) the webview under a strict CSP, validates every
 * message from it, holds the image, streams answers from the engine into it, and carries out the
 * insert actions. The webview is reloaded whenever it is hidden (no retained context), so the host
 * waits for its `ready`, queues what happens meanwhile, and resumes a running answer on return.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { EngineError, type Job } from '../host/engineClient';
import type { LoupeServices } from '../host/services';
import { loupeSettings } from '../host/settings';
import type { ErrorCode } from '../protocol/engine';
import { resolveOptions, type PresetName } from '../protocol/options';
import type { Task } from '../protocol/tasks';
import { WebviewToHostSchema, imageMimeType, type HostToWebview, type PanelCommand, type PanelImage, type WebviewToHost } from '../protocol/webview';
import { LastTextEditor, describeTargets, findAltTargetForImage, insertAnswer, type AltTextTarget } from './insertion';
import { modelStatusSource, type ModelStatusSource } from './modelStatus';
import { loadImageFromDataUrl, loadImageFromUri, toPanelImage, type LoadedImage } from './panelImage';

export const ASK_PANEL_VIEW_TYPE = 'loupe.askPanel';

export interface ShowRequest {
  image?: LoadedImage;
  /** Start this task as soon as the panel shows the image. */
  ask?: { task: Task; question?: string };
  /** The image reference the image came from: "Use as alt text" writes there. */
  altTarget?: AltTextTarget;
  /** Text around the image in its document, given to the model as context. */
  documentContext?: string;
}

export interface AskPanelController {
  show(request?: ShowRequest): Promise<void>;
}

interface RunningAnswer {
  requestId: string;
  task: Task;
  text: string;
  tokens: number;
  askedAt: number;
  firstTokenAt?: number;
  job?: Job<unknown>;
  stopRequested: boolean;
}

type Ask = Extract<WebviewToHost, { type: 'ask' }>;

const ACTIONS_BY_ERROR: Partial<Record<ErrorCode, { label: string; command: PanelCommand }[]>> = {
  MODEL_MISSING: [
    { label: 'Download model…', command: 'loupe.downloadModel' },
    { label: 'Select model…', command: 'loupe.selectModel' },
  ],
  MODEL_LOAD_FAILED: [
    { label: 'Select model…', command: 'loupe.selectModel' },
    { label: 'Download model…', command: 'loupe.downloadModel' },
  ],
  INSUFFICIENT_MEMORY: [
    { label: 'Choose a lighter preset…', command: 'loupe.selectPreset' },
    { label: 'Select a smaller model…', command: 'loupe.selectModel' },
  ],
};

class AskPanel implements AskPanelController, vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private panelSubscriptions: vscode.Disposable[] = [];
  private ready = false;
  /** Lifecycle messages (started, done, failed…) posted while the webview was not there. */
  private outbox: HostToWebview[] = [];
  private image?: LoadedImage;
  /** An image sent while the webview was away, with the task to start on it. */
  private imageUnsent = false;
  private pendingAsk?: { task: Task; question: string };
  private altTarget?: AltTextTarget;
  private documentContext?: string;
  private running?: RunningAnswer;
  private targetsTimer?: ReturnType<typeof setTimeout>;
  private readonly lastEditor = new LastTextEditor();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly services: LoupeServices,
    private readonly status: ModelStatusSource,
  ) {
    this.subscriptions = [
      this.lastEditor,
      this.lastEditor.onDidChange(() => this.scheduleTargets()),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === this.lastEditor.current?.document) this.scheduleTargets();
      }),
      status.onDidChange((modelStatus) => this.post({ type: 'modelStatus', modelStatus })),
    ];
  }

  async show(request: ShowRequest = {}): Promise<void> {
    if (request.image) {
      this.setImage(request.image, request.altTarget, request.documentContext);
      this.pendingAsk = request.ask && { task: request.ask.task, question: request.ask.question ?? '' };
    }
    if (this.panel) this.panel.reveal(this.panel.viewColumn, false);
    else this.adopt(this.createPanel());
    // A ready panel already shows the current image; only a new one needs sending.
    if (this.imageUnsent) this.sendImage();
    else this.postTargets();
  }

  /** Takes over a panel VS Code restored after a reload (or one just created). */
  adopt(panel: vscode.WebviewPanel): void {
    this.disposePanelSubscriptions();
    this.panel = panel;
    this.ready = false;
    const extension = this.context.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extension, 'media', 'icon.png');
    panel.webview.options = webviewOptions(extension);
    panel.webview.html = panelHtml(panel.webview, extension);
    this.panelSubscriptions = [
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      // Without retained context a hidden webview is destroyed; it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.stop();
        this.panel = undefined;
        this.ready = false;
        this.disposePanelSubscriptions();
      }),
    ];
  }

  private createPanel(): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(
      ASK_PANEL_VIEW_TYPE,
      'Loupe',
      // Beside the editor, so the editor the answer goes into stays visible.
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      webviewOptions(this.context.extensionUri),
    );
  }

  private post(message: HostToWebview): void {
    if (this.panel && this.ready) {
      void this.panel.webview.postMessage(message);
      return;
    }
    // Streaming messages are covered by the snapshot sent on `ready`; the rest must not be lost.
    if (message.type !== 'token' && message.type !== 'progress' && message.type !== 'modelStatus' && message.type !== 'targets') {
      this.outbox.push(message);
    }
  }

  private receive(raw: unknown): void {
    const parsed = WebviewToHostSchema.safeParse(raw);
    if (!parsed.success) {
      this.services.log.warn(`Ask panel: ignored an invalid message from the webview: ${parsed.error.message}`);
      return;
    }
    void this.handle(parsed.data).catch((error: unknown) => {
      this.services.log.error(`Ask panel: ${parsed.data.type} failed: ${String(error)}`);
      this.post({ type: 'notice', level: 'error', text: errorMessage(error) });
    });
  }

  private async handle(message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.onReady(message.restoredImage);
      case 'pickImage':
        return this.pickImage();
      case 'imageData':
        this.setImage(loadImageFromDataUrl(message.name, message.dataUrl, 'Pasted image'));
        return this.sendImage();
      case 'droppedUris':
        return this.dropUris(message.uris);
      case 'clearImage':
        this.stop();
        this.image = undefined;
        this.altTarget = undefined;
        this.post({ type: 'image', image: null });
        return this.postTargets();
      case 'ask':
        return this.ask(message);
      case 'stop':
        return this.stop();
      case 'insert': {
        const notice = await insertAnswer(message.action, message.text, this.lastEditor, this.currentAltTarget());
        this.post({ type: 'notice', level: 'info', text: notice });
        return this.postTargets();
      }
      case 'runCommand':
        await vscode.commands.executeCommand(message.command);
        return this.status.refresh();
      case 'openLink':
        return openLink(message.href);
      case 'setPreset':
        return setPreset(message.preset);
    }
  }

  private onReady(restoredImage: PanelImage | undefined): void {
    this.ready = true;
    // After a window reload the host starts empty; the webview's saved image is the current one.
    if (!this.image && restoredImage) {
      this.image = loadImageFromDataUrl(restoredImage.name, restoredImage.dataUrl, restoredImage.origin);
    }
    for (const message of this.outbox.splice(0)) this.post(message);
    this.post({
      type: 'init',
      modelStatus: this.status.current,
      targets: describeTargets(this.lastEditor, this.currentAltTarget()),
      isMac: process.platform === 'darwin',
      activeRequestId: this.running?.requestId,
    });
    const restoredIsCurrent = !!restoredImage && !!this.image && toPanelImage(this.image).dataUrl === restoredImage.dataUrl;
    if (this.imageUnsent || (this.image && !restoredIsCurrent)) this.sendImage();
    const running = this.running;
    if (running) {
      this.post({
        type: 'snapshot',
        requestId: running.requestId,
        task: running.task,
        text: running.text,
        tokens: running.tokens,
        elapsedMs: Date.now() - running.askedAt,
        firstTokenMs: running.firstTokenAt === undefined ? undefined : running.firstTokenAt - running.askedAt,
      });
    }
    this.status.refresh();
  }

  private setImage(image: LoadedImage, altTarget?: AltTextTarget, documentContext?: string): void {
    // An answer about the previous image is no longer wanted.
    this.stop();
    this.image = image;
    this.altTarget = altTarget;
    this.documentContext = documentContext;
    this.pendingAsk = undefined;
    this.imageUnsent = true;
  }

  private sendImage(): void {
    if (!this.ready) return;
    this.post({ type: 'image', image: this.image ? toPanelImage(this.image) : null, ask: this.pendingAsk });
    this.imageUnsent = false;
    this.pendingAsk = undefined;
    this.postTargets();
  }

  private async pickImage(): Promise<void> {
    const [uri] =
      (await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: 'Ask About Image',
        filters: { Images: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg'] },
        defaultUri: this.image?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri,
      })) ?? [];
    if (!uri) return;
    this.setImage(await loadImageFromUri(uri));
    this.sendImage();
  }

  private async dropUris(uris: string[]): Promise<void> {
    const parsed = uris.map((uri) => vscode.Uri.parse(uri, true));
    const image = parsed.find((uri) => imageMimeType(uri.path));
    if (!image) {
      const names = parsed.map((uri) => uri.path.split('/').pop()).join(', ');
      throw new Error(`${names} ${parsed.length === 1 ? 'is not an image' : 'are not images'} Loupe can read. Use PNG, JPEG, GIF, WebP, BMP or SVG.`);
    }
    this.setImage(await loadImageFromUri(image));
    this.sendImage();
  }

  /** The explicit target, else a reference to the same file in the editor the answer would go into. */
  private currentAltTarget(): AltTextTarget | undefined {
    if (this.altTarget) return this.altTarget;
    const document = this.lastEditor.current?.document;
    return this.image?.uri && document ? findAltTargetForImage(document, this.image.uri) : undefined;
  }

  private scheduleTargets(): void {
    // Without a panel there is no one to tell; a panel that becomes ready gets fresh targets.
    if (!this.ready) return;
    clearTimeout(this.targetsTimer);
    this.targetsTimer = setTimeout(() => this.postTargets(), 150);
  }

  private postTargets(): void {
    if (this.ready) this.post({ type: 'targets', targets: describeTargets(this.lastEditor, this.currentAltTarget()) });
  }

  // ---- answers ----------------------------------------------------------------------------------

  private async ask(message: Ask): Promise<void> {
    if (this.running) {
      return this.post({ type: 'failed', message: 'Loupe is still answering the previous question. Stop it first, or wait.', actions: [] });
    }
    const image = this.image;
    if (!image) return this.post({ type: 'failed', message: 'Add an image first: paste it, drop it, or choose a file.', actions: [] });
    const running: RunningAnswer = { requestId: randomUUID(), task: message.task, text: '', tokens: 0, askedAt: Date.now(), stopRequested: false };
    this.running = running;
    this.post({ type: 'started', requestId: running.requestId, task: message.task });
    try {
      if (message.task === 'extract-text') await this.extractText(running, image);
      else await this.generate(running, image, message);
    } catch (error) {
      this.post(failure(running.requestId, error));
    } finally {
      if (this.running === running) this.running = undefined;
      this.status.refresh();
    }
  }

  private async generate(running: RunningAnswer, image: LoadedImage, message: Ask): Promise<void> {
    const modelDir = await this.services.resolveModelDir();
    if (running.stopRequested) throw new EngineError('CANCELLED', 'Stopped before it started.');
    if (!modelDir) {
      throw new EngineError(
        'MODEL_MISSING',
        'No model is installed. Download one (it is checked and then used offline), select one you have, or set "loupe.model.path" to a model folder.',
      );
    }
    const settings = loupeSettings();
    const job = this.services.engine.generate(
      {
        modelDir,
        task: message.task,
        question: message.question,
        image: { kind: 'bytes', name: image.name, bytes: new Uint8Array(image.bytes) },
        history: message.history,
        documentContext: this.documentContext,
        language: message.task === 'alt-text' ? settings.altTextLanguage || vscode.env.language : undefined,
        ocrGrounding: settings.ocrGrounding,
        options: resolveOptions(message.preset, {}, message.task),
      },
      {
        onToken: (text, index) => {
          running.text += text;
          running.tokens = index;
          running.firstTokenAt ??= Date.now();
          this.post({ type: 'token', requestId: running.requestId, index, text });
        },
        onProgress: (phase) => this.post({ type: 'progress', requestId: running.requestId, phase }),
      },
    );
    running.job = job;
    const result = await job.result;
    this.post({ type: 'done', requestId: running.requestId, text: result.text, cancelled: result.cancelled, stats: result.stats });
  }

  /** "Extract text" is real OCR: exact text plus line boxes for the preview overlay. */
  private async extractText(running: RunningAnswer, image: LoadedImage): Promise<void> {
    this.post({ type: 'progress', requestId: running.requestId, phase: 'ocr' });
    const job = this.services.engine.ocr({ kind: 'bytes', name: image.name, bytes: new Uint8Array(image.bytes) });
    running.job = job;
    const result = await job.result;
    this.post({ type: 'ocrDone', requestId: running.requestId, result });
  }

  private stop(): void {
    const running = this.running;
    if (!running) return;
    running.stopRequested = true;
    running.job?.cancel();
  }

  private disposePanelSubscriptions(): void {
    for (const subscription of this.panelSubscriptions.splice(0)) subscription.dispose();
  }

  dispose(): void {
    clearTimeout(this.targetsTimer);
    this.stop();
    this.disposePanelSubscriptions();
    this.panel?.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

function failure(requestId: string, error: unknown): HostToWebview {
  if (error instanceof EngineError) {
    return { type: 'failed', requestId, code: error.code, message: error.message, actions: ACTIONS_BY_ERROR[error.code] ?? [] };
  }
  return { type: 'failed', requestId, message: errorMessage(error), actions: [] };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function openLink(href: string): Promise<void> {
  let uri: vscode.Uri;
  try {
    uri = vscode.Uri.parse(href, true);
  } catch {
    throw new Error(`"${href}" is not a link Loupe can open.`);
  }
  if (!['http', 'https', 'mailto'].includes(uri.scheme)) throw new Error(`Loupe opens only web and mail links from answers, not ${uri.scheme}: links.`);
  // The link was written by a model: show where it goes and open it only when the user agrees.
  const choice = await vscode.window.showWarningMessage('Open a link from the model’s answer?', { modal: true, detail: uri.toString(true) }, 'Open');
  if (choice === 'Open') await vscode.env.openExternal(uri);
}

/** The preset setting, where it is set (a workspace value would hide a user-level change). */
async function setPreset(preset: PresetName): Promise<void> {
  const config = vscode.workspace.getConfiguration('loupe');
  const inspected = config.inspect<PresetName>('preset');
  const target = inspected?.workspaceFolderValue !== undefined
    ? vscode.ConfigurationTarget.WorkspaceFolder
    : inspected?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await config.update('preset', preset, target);
}

function webviewOptions(extension: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    retainContextWhenHidden: false,
    // Only the extension's own bundles and icons; never the workspace.
    localResourceRoots: [vscode.Uri.joinPath(extension, 'dist'), vscode.Uri.joinPath(extension, 'media')],
  };
}

function panelHtml(webview: vscode.Webview, extension: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extension, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extension, 'dist', 'webview.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${style}">
  <title>Loupe</title>
</head>
<body>
  <main id="app"></main>
  <script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

/** Registers the panel, its command and its serializer; returns the controller other features use. */
export function registerAskPanel(context: vscode.ExtensionContext, services: LoupeServices): AskPanelController {
  const panel = new AskPanel(context, services, modelStatusSource(context, services));
  context.subscriptions.push(
    panel,
    vscode.commands.registerCommand('loupe.openPanel', () => panel.show()),
    vscode.window.registerWebviewPanelSerializer(ASK_PANEL_VIEW_TYPE, {
      // The webview keeps its own state (getState/setState) and sends its image with `ready`.
      deserializeWebviewPanel: async (webviewPanel) => panel.adopt(webviewPanel),
    }),
  );
  return panel;
}
