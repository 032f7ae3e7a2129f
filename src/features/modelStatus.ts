/**
 * Whether a model is installed and what the engine is doing with it, for the status bar item and
 * the Ask panel: missing / not loaded / loading / ready / busy, the model's name and the preset.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { LoupeServices } from '../host/services';
import { answerSource } from '../host/visionModels';
import { endpointLocation } from '../remote/endpoint';
import { readInstalledMarker } from '../modelFolder/installedMarker';
import type { ModelStatus } from '../protocol/webview';

/** One per activation, shared by the status bar item and the panel. */
export class ModelStatusSource implements vscode.Disposable {
  private status: ModelStatus;
  private installed?: { modelDir: string | undefined; name?: string };
  private modelReady?: boolean;
  private readonly changed = new vscode.EventEmitter<ModelStatus>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly services: LoupeServices) {
    this.status = { state: 'unloaded', preset: services.settings.preset };
    this.subscriptions = [
      this.changed,
      services.engine.onDidChangeModelState(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('loupe')) this.refresh();
      }),
      // A model downloaded or imported in another window shows up when this one is focused.
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused) this.refresh();
      }),
    ];
    this.refresh();
  }

  get current(): ModelStatus {
    return this.status;
  }

  /** Looks again for the model folder (cheap: a settings read and a few stat calls). */
  refresh(): void {
    void this.services
      .resolveModelDir()
      .then(async (modelDir) => (this.installed = { modelDir, name: modelDir && (await displayName(modelDir)) }))
      .catch((error: unknown) => {
        this.services.log.warn(`Loupe: could not look up the model folder: ${String(error)}`);
        this.installed = { modelDir: undefined };
      })
      .finally(() => this.publish());
  }

  /** A model server answers: its model and host, always "ready" (the server loads its own models). */
  private serverStatus(): ModelStatus | undefined {
    const source = answerSource();
    const preset = this.services.settings.preset;
    if (source.kind === 'local') return undefined;
    if (source.kind === 'missing-server') return { state: 'missing', modelName: `server "${source.name}" not configured`, preset };
    let host: string;
    try {
      host = endpointLocation(source.endpoint).host;
    } catch {
      return { state: 'missing', modelName: `server "${source.endpoint.name}" refused (see loupe.endpoints)`, preset };
    }
    return { state: 'loaded', modelName: `${source.endpoint.model} at ${host}`, server: host, preset };
  }

  private publish(): void {
    const server = this.serverStatus();
    if (server) return this.announce(server, server.state === 'loaded');
    // The walkthrough's "Get a model" step completes on this (package.json `completionEvents`);
    // set only once the lookup has answered, so a slow lookup never ticks the step falsely.
    const ready = this.installed && Boolean(this.installed.modelDir);
    const engine = this.services.engine.state;
    const modelDir = engine.modelDir ?? this.installed?.modelDir;
    const next: ModelStatus = {
      state: this.installed && !this.installed.modelDir && engine.state === 'unloaded' ? 'missing' : engine.state,
      modelName: modelDir === this.installed?.modelDir ? this.installed?.name : modelDir && basename(modelDir),
      preset: this.services.settings.preset,
    };
    this.announce(next, ready);
  }

  private announce(next: ModelStatus, ready: boolean | undefined): void {
    if (ready !== undefined && ready !== this.modelReady) {
      this.modelReady = ready;
      void vscode.commands.executeCommand('setContext', 'loupe.modelReady', ready);
    }
    if (JSON.stringify(next) === JSON.stringify(this.status)) return;
    this.status = next;
    this.changed.fire(next);
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** A downloaded or imported model's label ("LFM2.5-VL 450M"), not its revision folder's commit hash. */
async function displayName(modelDir: string): Promise<string> {
  return (await readInstalledMarker(modelDir))?.label ?? basename(modelDir);
}

const sources = new WeakMap<LoupeServices, ModelStatusSource>();

/** The shared status source for these services, created on first use. */
export function modelStatusSource(context: vscode.ExtensionContext, services: LoupeServices): ModelStatusSource {
  let source = sources.get(services);
  if (!source) {
    source = new ModelStatusSource(services);
    sources.set(services, source);
    context.subscriptions.push(source);
  }
  return source;
}

const STATE_TEXT: Record<ModelStatus['state'], { icon: string; word: string; tooltip: string }> = {
  missing: { icon: '$(cloud-download)', word: 'no model', tooltip: 'No model is installed. Click to open the chat, which shows how to get one.' },
  unloaded: { icon: '$(eye)', word: 'not loaded', tooltip: 'The model loads when you ask the first question.' },
  loading: { icon: '$(sync~spin)', word: 'loading', tooltip: 'Loading the model into memory.' },
  loaded: { icon: '$(eye)', word: 'ready', tooltip: 'The model is loaded and ready.' },
  busy: { icon: '$(loading~spin)', word: 'busy', tooltip: 'The model is answering.' },
};

/** Answers come from a model server: said plainly, since images go there. */
const SERVER_TEXT = { icon: '$(cloud)', word: 'server', tooltip: 'Answers come from a model server: the images you ask about are sent to it.' };

/** The status bar item: click focuses the side-bar chat (the view Ctrl+Alt+L focuses), never a second chat. */
export function registerModelStatus(context: vscode.ExtensionContext, services: LoupeServices): void {
  const source = modelStatusSource(context, services);
  const item = vscode.window.createStatusBarItem('loupe.modelStatus', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Loupe model';
  item.command = 'loupe.chat.focus';
  const show = (status: ModelStatus) => {
    const text = status.server ? SERVER_TEXT : STATE_TEXT[status.state];
    item.text = [`${text.icon} Loupe: ${text.word}`, status.modelName, status.preset].filter(Boolean).join(' · ');
    item.tooltip = [text.tooltip, status.modelName && `Model: ${status.modelName}`, `Preset: ${status.preset}`, 'Click to open the chat.']
      .filter(Boolean)
      .join('\n');
    item.backgroundColor = status.state === 'missing' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.accessibilityInformation = { label: `Loupe ${text.word}${status.modelName ? `, model ${status.modelName}` : ''}, preset ${status.preset}` };
  };
  show(source.current);
  item.show();
  context.subscriptions.push(item, source.onDidChange(show));
}
