/**
 * The Ask panel's controller: wires a surface (the editor-tab panel or the side-bar chat view,
 * both showing the same webview code), the webview connection, the image, the answer session and
 * the insert targets together, and handles each webview message by handing it to the part that
 * owns it. The decisions live in those parts (most without VS Code, unit-tested); this is the
 * VS Code glue. registerAskPanel makes one controller per surface and routes requests from
 * commands to the one the user is looking at.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { validSampling } from '../../protocol/options';
import { EngineError } from '../../protocol/engineError';
import type { LoupeServices } from '../../host/services';
import type { Task } from '../../protocol/tasks';
import type { HostToWebview } from '../../protocol/webview';
import { findAltTargetForImage, insertAnswer, type AltTextTarget, type NotebookCellTarget } from '../insertion';
import { modelStatusSource, type ModelStatusSource } from '../modelStatus';
import { openAnswerLink } from './answerLinks';
import { AnswerSession } from './answerSession';
import { ConversationStore } from './conversationStore';
import { loadDroppedImage, pickImage } from './imageIntake';
import { PanelImageStore } from './imageStore';
import { InsertTargetsTracker } from './insertTargets';
import { loadImageFromBytes, type LoadedImage } from './loadedImage';
import { messageRouter, type PanelHandlers } from './messageRouter';
import { PanelHost, type PanelEvents } from './panelHost';
import { PanelImages, toMessageImage } from './panelImages';
import { CHAT_VIEW_ID, ViewHost } from './viewHost';
import { WebviewConnection } from './webviewConnection';

export interface ShowRequest {
  image?: LoadedImage;
  /** An image to compare the first with (Explorer: Compare Images on two selected files), and the question to ask of both. */
  secondImage?: LoadedImage;
  compare?: string;
  /** Start this task as soon as the panel shows the image. */
  ask?: { task: Task; question?: string };
  /** The image reference the image came from: "Use as alt text" writes there. */
  altTarget?: AltTextTarget;
  /** Text around the image in its document, given to the model as context. */
  documentContext?: string;
  /** The notebook cell the image is an output of: "Insert as Markdown cell" goes below it. */
  notebookCell?: NotebookCellTarget;
}

export interface AskPanelController {
  show(request?: ShowRequest): Promise<void>;
}

export interface AskPanelRegistration extends AskPanelController {
  /** Takes over a panel VS Code restored after a reload (the activation shell owns the serializer). */
  adopt(panel: vscode.WebviewPanel): void;
  /** Gives the side-bar chat view its page (the activation shell owns the view provider). */
  adoptView(view: vscode.WebviewView): void;
}

interface Surface extends vscode.Disposable {
  readonly visible: boolean;
  /** Holds the keyboard's attention (the panel: it is the active tab; the chat cannot tell). */
  readonly active?: boolean;
  reveal(): void | Thenable<void>;
}

class AskPanel implements vscode.Disposable {
  private readonly connection = new WebviewConnection();
  readonly surface: Surface;
  private readonly images: PanelImages;
  private readonly answers: AnswerSession;
  private readonly targets: InsertTargetsTracker;
  private altTarget?: AltTextTarget;
  private notebookCell?: NotebookCellTarget;
  private documentContext?: string;
  /** The image the first is compared with: not kept across a window reload. */
  private secondImage?: LoadedImage;
  /** The question to ask of both as soon as the webview shows the second image. */
  private compareAsk?: string;
  /** The second image the webview shows, as far as the host knows (null: none; undefined: not known). */
  private secondShownId?: string | null;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    context: vscode.ExtensionContext,
    private readonly services: LoupeServices,
    private readonly status: ModelStatusSource,
    private readonly conversations: ConversationStore,
    makeSurface: (connection: WebviewConnection, events: PanelEvents) => Surface,
    storageName: string,
  ) {
    const storage = (context.storageUri ?? context.globalStorageUri).fsPath;
    this.images = new PanelImages(new PanelImageStore(join(storage, storageName)), (message) => services.log.warn(message));
    this.answers = new AnswerSession({
      engine: services.engine,
      visionModel: () => services.visionModels.current(),
      settings: () => {
        const altText = services.settings.altText();
        return {
          ocrGrounding: services.settings.ocrGrounding,
          altTextLanguage: altText.language || vscode.env.language,
          altTextMaxLength: altText.maxLength,
          sampling: validSampling(services.settings.samplingSetting),
        };
      },
      isTrusted: () => vscode.workspace.isTrusted,
    });
    const receive = messageRouter(this.handlers(), services.log, (message) => this.post(message));
    this.surface = makeSurface(this.connection, {
      onMessage: (raw) => void receive(raw),
      onClosed: () => {
        this.answers.stop();
        this.images.panelClosed();
      },
    });
    this.targets = new InsertTargetsTracker(
      () => this.currentAltTarget(),
      () => this.notebookCell,
      (targets) => this.connection.isReady && this.post({ type: 'targets', targets }),
    );
    this.subscriptions = [this.surface, this.targets, status.onDidChange((modelStatus) => this.post({ type: 'modelStatus', modelStatus }))];
  }

  async show(request: ShowRequest = {}): Promise<void> {
    if (request.image) {
      const ask = request.ask && { task: request.ask.task, question: request.ask.question ?? '' };
      const accepted = await this.setImage(request.image, ask, request.altTarget, request.documentContext);
      if (accepted) this.notebookCell = request.notebookCell;
      if (accepted && request.secondImage) await this.setSecondImage(request.secondImage, request.compare);
    }
    await this.surface.reveal();
    this.sync();
    // Opened to ask something: typing goes straight into the question box.
    if (!request.image) this.post({ type: 'focusQuestion' });
  }

  /** Brings this chat forward with the keyboard in its question box. */
  async focusQuestion(): Promise<void> {
    await this.surface.reveal();
    this.post({ type: 'focusQuestion' });
  }

  /** Opens the accessible view of the latest answer. */
  async read(): Promise<void> {
    await this.surface.reveal();
    this.post({ type: 'openReader' });
  }

  private handlers(): PanelHandlers {
    return {
      ready: (message) => this.onReady(message.imageId),
      requestImage: async (message) => {
        const reply = await this.images.requested(message.id);
        if (reply) this.post(this.withConversation(reply));
      },
      pickImage: async () => {
        try {
          const picked = await this.intake(() => pickImage(this.images.current?.uri ? vscode.Uri.parse(this.images.current.uri) : undefined));
          if (!picked) return;
          await this.setImage(picked);
          this.sync();
        } finally {
          // The file dialog gives focus back to an editor, not to the chat it was opened from.
          await this.focusQuestion();
        }
      },
      imageData: async (message) => {
        const image = await this.intake(async () => loadImageFromBytes(message.name, message.bytes, 'Pasted image'));
        if (!image) return;
        await this.setImage(image);
        this.sync();
      },
      droppedUris: async (message) => {
        const image = await this.intake(() => loadDroppedImage(message.uris));
        if (!image) return;
        await this.setImage(image);
        this.sync();
      },
      clearImage: () => {
        this.clearImage();
        this.sync();
      },
      pickSecondImage: async () => {
        try {
          const picked = await pickImage(this.images.current?.uri ? vscode.Uri.parse(this.images.current.uri) : undefined, 'Compare With');
          if (picked) await this.setSecondImage(picked);
          this.sync();
        } catch (error) {
          this.post({ type: 'notice', level: 'error', text: `Could not compare with that image: ${error instanceof Error ? error.message : String(error)}` });
        } finally {
          await this.focusQuestion();
        }
      },
      clearSecondImage: () => {
        this.clearSecondImage();
        this.sync();
      },
      ask: async (message) => {
        const subject = { image: this.images.current, secondImage: this.secondImage, documentContext: this.documentContext };
        await this.answers.ask(message, subject, this.connection.bound());
        this.status.refresh();
      },
      stop: () => this.answers.stop(),
      insert: async (message) => {
        const notice = await insertAnswer(message.action, message.text, this.targets.lastEditor, this.currentAltTarget(), this.notebookCell);
        this.post({ type: 'notice', level: 'info', text: notice });
        this.targets.post();
      },
      runCommand: async (message) => {
        await vscode.commands.executeCommand(message.command);
        this.status.refresh();
      },
      openLink: (message) => openAnswerLink(message.href),
      saveConversation: async (message) => {
        await this.conversations.save(message.hash, message.turns);
      },
    };
  }

  private async onReady(shownImageId: string | undefined): Promise<void> {
    await this.images.webviewLoaded(shownImageId);
    // A loaded webview shows no second image (it keeps none across a reload): send it again, or none.
    this.secondShownId = undefined;
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

  /**
   * Reads an image the user gave; when it cannot be read, the old image goes too (the next
   * question must not be about the wrong picture) and the panel says why, next to the image.
   */
  private async intake(read: () => Promise<LoadedImage | undefined>): Promise<LoadedImage | undefined> {
    try {
      return await read();
    } catch (error) {
      this.refuse(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  private refuse(message: string): void {
    this.clearImage();
    this.sync();
    this.post({ type: 'imageRefused', message, actions: [{ label: 'Choose another image…', command: 'pickImage' }] });
  }

  private clearImage(): void {
    this.answers.stop();
    this.images.clear();
    this.altTarget = undefined;
    this.notebookCell = undefined;
    this.documentContext = undefined;
    this.clearSecondImage();
  }

  /** The image to compare with, once the engine's intake check passes; a refused one leaves the first alone. */
  private async setSecondImage(image: LoadedImage, ask?: string): Promise<void> {
    const refused = await this.intakeRefusal(image);
    if (refused) return this.post({ type: 'notice', level: 'error', text: `Could not compare with ${image.name}: ${refused}` });
    this.secondImage = image;
    this.compareAsk = ask;
  }

  private clearSecondImage(): void {
    this.secondImage = undefined;
    this.compareAsk = undefined;
  }

  /**
   * The engine's intake check (the one the CLI makes too): why a corrupt or truncated file is
   * refused, in plain words, or undefined when it passes. Nothing decodes an image in the extension host.
   */
  private async intakeRefusal(image: LoadedImage): Promise<string | undefined> {
    try {
      await this.services.engine.inspect({ kind: 'bytes', name: image.name, bytes: image.bytes }).result;
      return undefined;
    } catch (error) {
      if (!(error instanceof EngineError) || error.code !== 'BAD_INPUT') throw error;
      return error.message;
    }
  }

  /** Accepts an image only once the intake check passes; a refused one is said next to the image. */
  private async setImage(image: LoadedImage, ask?: { task: Task; question: string }, altTarget?: AltTextTarget, documentContext?: string): Promise<boolean> {
    const refused = await this.intakeRefusal(image);
    if (refused) {
      this.refuse(refused);
      return false;
    }
    // An answer about the previous image is no longer wanted.
    this.answers.stop();
    this.images.set(image, ask);
    this.notebookCell = undefined;
    // A comparison was with the image before.
    this.clearSecondImage();
    this.altTarget = altTarget;
    this.documentContext = documentContext;
    return true;
  }

  /** Brings a ready webview up to date: the image (when it shows another one) and the insert targets. */
  private sync(): void {
    if (!this.connection.isReady) return;
    const update = this.images.update();
    if (update) this.post(this.withConversation(update));
    // After the first image, so the webview has it when a comparison is asked at once.
    const second = this.secondImage;
    if ((second?.id ?? null) !== this.secondShownId) {
      this.post({ type: 'secondImage', image: second ? toMessageImage(second) : null, ...(this.compareAsk && { ask: this.compareAsk }) });
      this.secondShownId = second?.id ?? null;
      this.compareAsk = undefined;
    }
    this.targets.post();
  }

  /** An image message carries the conversation kept for that picture, if any. */
  private withConversation(message: Extract<HostToWebview, { type: 'image' }>): HostToWebview {
    const hash = message.image?.hash;
    const conversation = hash ? this.conversations.get(hash) : undefined;
    return conversation ? { ...message, conversation } : message;
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
 * Registers the editor-tab panel and the side-bar chat and their command; returns the controller
 * other features use, with `adopt` / `adoptView` for the serializer and view provider the
 * activation shell (src/extension.ts) registers. A request from a command (an image from the
 * Explorer) goes to the side-bar chat when it is showing, else to the panel.
 */
export function registerAskPanel(context: vscode.ExtensionContext, services: LoupeServices): AskPanelRegistration {
  const status = modelStatusSource(context, services);
  const conversations = new ConversationStore(context.workspaceState);
  let viewHost: ViewHost | undefined;
  let panelHost: PanelHost | undefined;
  const panel = new AskPanel(context, services, status, conversations, (connection, events) => (panelHost = new PanelHost(context.extensionUri, connection, events)), 'ask-panel');
  const chat = new AskPanel(context, services, status, conversations, (connection, events) => (viewHost = new ViewHost(context.extensionUri, connection, events)), 'chat-view');
  context.subscriptions.push(
    panel,
    chat,
    vscode.commands.registerCommand('loupe.openPanel', () => panel.show()),
    // Alt+F2 (package.json) in either; from the palette, the panel when it is the active tab, else the chat.
    vscode.commands.registerCommand('loupe.readAnswer', () => (panel.surface.active ? panel : chat).read()),
  );
  return {
    show: (request) => (chat.surface.visible ? chat : panel).show(request),
    adopt: (webviewPanel) => panelHost!.adopt(webviewPanel),
    adoptView: (view) => viewHost!.resolve(view),
  };
}

export { CHAT_VIEW_ID };
