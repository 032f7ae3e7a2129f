/**
 * The Ask panel's controller: wires the panel host, the webview connection, the image, the answer
 * session and the insert targets together, and handles each webview message by handing it to the
 * part that owns it. The decisions live in those parts (most without VS Code, unit-tested); this
 * is the VS Code glue.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LoupeServices } from '../../host/services';
import type { Task } from '../../protocol/tasks';
import type { HostToWebview } from '../../protocol/webview';
import { findAltTargetForImage, insertAnswer, type AltTextTarget } from '../insertion';
import { modelStatusSource, type ModelStatusSource } from '../modelStatus';
import { openAnswerLink } from './answerLinks';
import { AnswerSession } from './answerSession';
import { loadDroppedImage, pickImage } from './imageIntake';
import { PanelImageStore } from './imageStore';
import { InsertTargetsTracker } from './insertTargets';
import { loadImageFromBytes, type LoadedImage } from './loadedImage';
import { messageRouter, type PanelHandlers } from './messageRouter';
import { PanelHost } from './panelHost';
import { PanelImages } from './panelImages';
import { WebviewConnection } from './webviewConnection';

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

export interface AskPanelRegistration extends AskPanelController {
  /** Takes over a panel VS Code restored after a reload (the activation shell owns the serializer). */
  adopt(panel: vscode.WebviewPanel): void;
}

class AskPanel implements AskPanelRegistration, vscode.Disposable {
  private readonly connection = new WebviewConnection();
  private readonly host: PanelHost;
  private readonly images: PanelImages;
  private readonly answers: AnswerSession;
  private readonly targets: InsertTargetsTracker;
  private altTarget?: AltTextTarget;
  private documentContext?: string;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    context: vscode.ExtensionContext,
    private readonly services: LoupeServices,
    private readonly status: ModelStatusSource,
  ) {
    const storage = (context.storageUri ?? context.globalStorageUri).fsPath;
    this.images = new PanelImages(new PanelImageStore(join(storage, 'ask-panel')), (message) => services.log.warn(message));
    this.answers = new AnswerSession({
      engine: services.engine,
      resolveModelDir: () => services.resolveModelDir(),
      settings: () => ({ ocrGrounding: services.settings.ocrGrounding, altTextLanguage: services.settings.altText().language || vscode.env.language }),
    });
    const receive = messageRouter(this.handlers(), services.log, (text) => this.post({ type: 'notice', level: 'error', text }));
    this.host = new PanelHost(context.extensionUri, this.connection, {
      onMessage: (raw) => void receive(raw),
      onClosed: () => {
        this.answers.stop();
        this.images.panelClosed();
      },
    });
    this.targets = new InsertTargetsTracker(
      () => this.currentAltTarget(),
      (targets) => this.connection.isReady && this.post({ type: 'targets', targets }),
    );
    this.subscriptions = [this.host, this.targets, status.onDidChange((modelStatus) => this.post({ type: 'modelStatus', modelStatus }))];
  }

  async show(request: ShowRequest = {}): Promise<void> {
    if (request.image) {
      const ask = request.ask && { task: request.ask.task, question: request.ask.question ?? '' };
      this.setImage(request.image, ask, request.altTarget, request.documentContext);
    }
    this.host.reveal();
    this.sync();
  }

  adopt(panel: vscode.WebviewPanel): void {
    this.host.adopt(panel);
  }

  private handlers(): PanelHandlers {
    return {
      ready: (message) => this.onReady(message.imageId),
      requestImage: async (message) => {
        const reply = await this.images.requested(message.id);
        if (reply) this.post(reply);
      },
      pickImage: async () => {
        const picked = await pickImage(this.images.current?.uri ? vscode.Uri.parse(this.images.current.uri) : undefined);
        if (!picked) return;
        this.setImage(picked);
        this.sync();
      },
      imageData: (message) => {
        this.setImage(loadImageFromBytes(message.name, message.bytes, 'Pasted image'));
        this.sync();
      },
      droppedUris: async (message) => {
        this.setImage(await loadDroppedImage(message.uris));
        this.sync();
      },
      clearImage: () => {
        this.answers.stop();
        this.images.clear();
        this.altTarget = undefined;
        this.sync();
      },
      ask: async (message) => {
        const subject = { image: this.images.current, documentContext: this.documentContext };
        await this.answers.ask(message, subject, this.connection.bound());
        this.status.refresh();
      },
      stop: () => this.answers.stop(),
      insert: async (message) => {
        const notice = await insertAnswer(message.action, message.text, this.targets.lastEditor, this.currentAltTarget());
        this.post({ type: 'notice', level: 'info', text: notice });
        this.targets.post();
      },
      runCommand: async (message) => {
        await vscode.commands.executeCommand(message.command);
        this.status.refresh();
      },
      openLink: (message) => openAnswerLink(message.href),
      setPreset: (message) => this.services.settings.write('preset', message.preset),
    };
  }

  private async onReady(shownImageId: string | undefined): Promise<void> {
    await this.images.webviewLoaded(shownImageId);
    this.connection.markReady();
    this.post({
      type: 'init',
      modelStatus: this.status.current,
      targets: this.targets.describe(),
      isMac: process.platform === 'darwin',
      activeRequestId: this.answers.activeRequestId,
    });
    this.sync();
    const snapshot = this.answers.snapshot();
    if (snapshot) this.post(snapshot);
    this.status.refresh();
  }

  private setImage(image: LoadedImage, ask?: { task: Task; question: string }, altTarget?: AltTextTarget, documentContext?: string): void {
    // An answer about the previous image is no longer wanted.
    this.answers.stop();
    this.images.set(image, ask);
    this.altTarget = altTarget;
    this.documentContext = documentContext;
  }

  /** Brings a ready webview up to date: the image (when it shows another one) and the insert targets. */
  private sync(): void {
    if (!this.connection.isReady) return;
    const update = this.images.update();
    if (update) this.post(update);
    this.targets.post();
  }

  /** The explicit target, else a reference to the same file in the editor the answer would go into. */
  private currentAltTarget(): AltTextTarget | undefined {
    if (this.altTarget) return this.altTarget;
    const document = this.targets.lastEditor.current?.document;
    const uri = this.images.current?.uri;
    return uri && document ? findAltTargetForImage(document, vscode.Uri.parse(uri)) : undefined;
  }

  private post(message: HostToWebview): void {
    this.connection.post(message);
  }

  dispose(): void {
    this.answers.stop();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/**
 * Registers the panel and its command; returns the controller other features use, and `adopt`
 * for the serializer the activation shell (src/extension.ts) registers for ASK_PANEL_VIEW_TYPE.
 */
export function registerAskPanel(context: vscode.ExtensionContext, services: LoupeServices): AskPanelRegistration {
  const panel = new AskPanel(context, services, modelStatusSource(context, services));
  context.subscriptions.push(panel, vscode.commands.registerCommand('loupe.openPanel', () => panel.show()));
  return panel;
}
