/**
 * The panel's answers: one at a time, streamed from the engine into the webview, stoppable, and
 * resumable by a webview that was reloaded mid-stream (a snapshot of where the answer stands).
 * Tokens go out in batches: a fast server's thousands of tokens, one message each, once flooded
 * the workbench. Failures become messages with the actions that fix them. Answers come from a VisionModel (the
 * engine on this machine or a model server), OCR from the engine; no VS Code API here.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from '../../client/engineClient';
import type { VisionModel } from '../../client/visionModel';
import { EngineError } from '../../protocol/engineError';
import type { ErrorCode, ImageInfo, ImageInput, OcrResult, PixelDiff, Region } from '../../protocol/engine';
import { foundIn, type FindResult } from '../../protocol/findBoxes';
import type { Sampling } from '../../protocol/options';
import { finishAnswer, taskRequest } from '../../client/taskPolicy';
import type { Task } from '../../protocol/tasks';
import { RemoteError } from '../../remote/remoteErrors';
import { ConsentRefused } from '../../remote/serverConnection';
import type { HostToWebview, PanelAction, WebviewToHost } from '../../protocol/webview';
import type { Post } from './webviewConnection';
import { foundAsMarkdown } from './foundText';

/** OCR and image checks always run on this machine (they ship with Loupe); answers come from `visionModel`. */
export interface LocalEngine {
  /** With a region, only that part is read; the lines' boxes are in the whole image's pixels. */
  ocr(image: ImageInput, region?: Region): Job<OcrResult>;
  inspect(image: ImageInput): Job<ImageInfo>;
  /** Where the second image differs from the first, in the first's pixels. */
  diff(first: ImageInput, second: ImageInput): Job<PixelDiff>;
}

export interface AnswerSettings {
  ocrGrounding: boolean;
  /** Language alt text is written in (the setting, else VS Code's display language). */
  altTextLanguage: string;
  /** Longest alt text: an alt-text answer is shown exactly as "Use as alt text" will write it. */
  altTextMaxLength: number;
  /** `loupe.generation`: overrides of the model card's sampling. */
  sampling: Sampling;
}

export interface AnswerSessionDeps {
  engine: LocalEngine;
  /** The model that answers now (on this machine or a server); throws MODEL_MISSING when there is none. */
  visionModel(): Promise<VisionModel>;
  /** Read for each answer, so a changed setting applies to the next one. */
  settings(): AnswerSettings;
  /** Whether the workspace is trusted (Restricted Mode ignores a workspace's model setting). */
  isTrusted?(): boolean;
  now?(): number;
  /** Tokens are posted at most once per this many milliseconds (default TOKEN_BATCH_MS). */
  tokenBatchMs?: number;
}

/** Two images with the same pixels: said without asking the model, which could only guess. */
export const NO_PIXEL_CHANGED = 'No pixel changed: the two images are the same.';

/** A frame or two: the webview renders at most once per frame anyway. */
const TOKEN_BATCH_MS = 32;
/** A batch this long goes at once, so no single message grows without bound. */
const TOKEN_BATCH_CHARS = 64 * 1024;

export type AskRequest = Omit<Extract<WebviewToHost, { type: 'ask' }>, 'type'>;

/** What the question is about. */
export interface AnswerSubject {
  image?: { name: string; bytes: Uint8Array };
  /** The image the first is compared with, as the host holds it. */
  secondImage?: { id: string; name: string; bytes: Uint8Array };
  /** Text around the image in its document, given to the model as context. */
  documentContext?: string;
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

const CHOOSE_IMAGE: PanelAction = { label: 'Choose another image…', command: 'pickImage' };
const TRUST_FOLDER: PanelAction = { label: 'Trust folder…', command: 'workbench.trust.manage' };

const SELECT_MODEL: PanelAction = { label: 'Select model…', command: 'loupe.selectModel' };

/** A model server's failures: fix the key, pick another model, or answer on this machine instead. */
const ACTIONS_BY_REMOTE_ERROR: Partial<Record<RemoteError['kind'], PanelAction[]>> = {
  auth: [{ label: 'Set API key…', command: 'loupe.setModelServerKey' }, SELECT_MODEL],
  'too-large': [CHOOSE_IMAGE],
  'rate-limited': [],
};

const ACTIONS_BY_ERROR: Partial<Record<ErrorCode, PanelAction[]>> = {
  BAD_INPUT: [CHOOSE_IMAGE],
  UNSUPPORTED: [SELECT_MODEL],
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

export class AnswerSession {
  private running?: RunningAnswer;
  private readonly now: () => number;

  constructor(private readonly deps: AnswerSessionDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The answer being produced now, if any. */
  get activeRequestId(): string | undefined {
    return this.running?.requestId;
  }

  /** Answers `request`, posting its progress with `post`; settles when the answer has ended. */
  async ask(request: AskRequest, subject: AnswerSubject, post: Post): Promise<void> {
    if (this.running) {
      return post({ type: 'failed', message: 'Loupe is still answering the previous question. Stop it first, or wait.', actions: [] });
    }
    const { image } = subject;
    if (!image) return post({ type: 'failed', message: 'Add an image first: paste it, drop it, or choose a file.', actions: [{ label: 'Choose an image…', command: 'pickImage' }] });
    const running: RunningAnswer = { requestId: randomUUID(), task: request.task, text: '', tokens: 0, askedAt: this.now(), stopRequested: false };
    this.running = running;
    post({ type: 'started', requestId: running.requestId, task: request.task });
    const input: ImageInput = { kind: 'bytes', name: image.name, bytes: image.bytes };
    try {
      if (request.task === 'extract-text') await this.extractText(running, input, request, post);
      else await this.generate(running, input, request, subject, post);
    } catch (error) {
      post(failure(running.requestId, error, this.deps.isTrusted?.() ?? true));
    } finally {
      if (this.running === running) this.running = undefined;
    }
  }

  private async generate(running: RunningAnswer, image: ImageInput, request: AskRequest, subject: AnswerSubject, post: Post): Promise<void> {
    const comparison = request.secondImageId === undefined ? undefined : await this.pixelChanges(running, image, request.secondImageId, subject, post);
    if (comparison === 'unchanged') return;
    const model = await this.deps.visionModel();
    if (running.stopRequested) throw new EngineError('CANCELLED', 'Stopped before it started.');
    const settings = this.deps.settings();
    const sampling = request.seed === undefined ? settings.sampling : { ...settings.sampling, seed: request.seed };
    const policy = { preset: request.preset, sampling, ocrGrounding: settings.ocrGrounding, altTextMaxLength: settings.altTextMaxLength, language: settings.altTextLanguage };
    const batch = new TokenBatch((text, index) => post({ type: 'token', requestId: running.requestId, index, text }), this.deps.tokenBatchMs ?? TOKEN_BATCH_MS);
    const job = model.ask(
      {
        ...taskRequest(request.task, policy),
        // The host's request id is the engine's job id: one id from the webview to the engine.
        id: running.requestId,
        question: request.question,
        image,
        region: request.region,
        history: request.history,
        documentContext: subject.documentContext,
        ...comparison,
      },
      {
        onToken: (text, index) => {
          running.text += text;
          running.tokens = index;
          running.firstTokenAt ??= this.now();
          batch.add(text, index);
        },
        onProgress: (phase) => post({ type: 'progress', requestId: running.requestId, phase }),
      },
    );
    running.job = job;
    // What streamed goes out before the answer's end, however it ends.
    const result = await job.result.finally(() => batch.flush());
    const find = request.task === 'find' ? (result.find ?? (await this.readFound(result.text, image))) : undefined;
    post({
      type: 'done',
      requestId: running.requestId,
      // Alt text is shown exactly as "Use as alt text" writes it (one cleaned sentence, within the limit);
      // Find's boxes as a numbered list, the numbers the overlay draws.
      text: find ? foundAsMarkdown(find, result.text, result.stopReason === 'stopped') : finishAnswer(request.task, result.text, result.stopReason, policy),
      cancelled: result.stopReason === 'stopped',
      stats: result.stats,
      // The engine (or server) says the answer stopped at a token limit: the panel offers to continue.
      cutAtTokens: result.stopReason === 'limit' && !find ? result.stats.generatedTokens : undefined,
      find,
    });
  }

  /**
   * A comparison's pixel diff, made before the model is asked: where the images differ goes to the
   * webview (boxes over both) and into the prompt; identical pixels are the whole answer.
   */
  private async pixelChanges(
    running: RunningAnswer,
    image: ImageInput,
    secondImageId: string,
    { secondImage }: AnswerSubject,
    post: Post,
  ): Promise<{ secondImage: ImageInput; changes: Region[] } | 'unchanged'> {
    // No "choose another image" here: that would replace the first image, not the second.
    if (secondImage?.id !== secondImageId) throw new Error('The image to compare with is no longer attached: attach it again with Compare with….');
    post({ type: 'progress', requestId: running.requestId, phase: 'reading-image' });
    const second: ImageInput = { kind: 'bytes', name: secondImage.name, bytes: secondImage.bytes };
    const job = this.deps.engine.diff(image, second);
    running.job = job;
    const diff = await job.result;
    if (diff.changedPixels === 0) {
      post({ type: 'changes', requestId: running.requestId, diff, answer: NO_PIXEL_CHANGED });
      return 'unchanged';
    }
    post({ type: 'changes', requestId: running.requestId, diff });
    if (running.stopRequested) throw new EngineError('CANCELLED', 'Stopped before the model was asked.');
    return { secondImage: second, changes: diff.boxes };
  }

  /** A model server's Find answer comes unread: the engine's strict reader, on the size the engine's intake check reports. */
  private async readFound(text: string, image: ImageInput): Promise<FindResult> {
    return foundIn(undefined, text, await this.deps.engine.inspect(image).result);
  }

  /** "Extract text" is real OCR: exact text plus line boxes for the preview overlay. */
  private async extractText(running: RunningAnswer, image: ImageInput, { region }: AskRequest, post: Post): Promise<void> {
    post({ type: 'progress', requestId: running.requestId, phase: 'ocr' });
    const job = this.deps.engine.ocr(image, region);
    running.job = job;
    const result = await job.result;
    post({ type: 'ocrDone', requestId: running.requestId, result });
  }

  stop(): void {
    const running = this.running;
    if (!running) return;
    running.stopRequested = true;
    running.job?.cancel();
  }

  /** Where the running answer stands, for a webview that was reloaded while it streamed. */
  snapshot(): HostToWebview | undefined {
    const running = this.running;
    if (!running) return undefined;
    return {
      type: 'snapshot',
      requestId: running.requestId,
      task: running.task,
      text: running.text,
      tokens: running.tokens,
      elapsedMs: this.now() - running.askedAt,
      firstTokenMs: running.firstTokenAt === undefined ? undefined : running.firstTokenAt - running.askedAt,
    };
  }
}

/** Tokens gathered for one message: posted when the interval has passed or the text is long. */
class TokenBatch {
  private text = '';
  private index = 0;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly send: (text: string, index: number) => void,
    private readonly intervalMs: number,
  ) {}

  add(text: string, index: number): void {
    this.text += text;
    this.index = index;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
    if (this.text.length >= TOKEN_BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.text;
    this.text = '';
    this.send(text, this.index);
  }
}

function failure(requestId: string, error: unknown, trusted: boolean): HostToWebview {
  if (error instanceof EngineError) {
    const actions = [...(ACTIONS_BY_ERROR[error.code] ?? [])];
    // In Restricted Mode a model folder set for this workspace is ignored: trusting it may be the fix.
    if (error.code === 'MODEL_MISSING' && !trusted) actions.push(TRUST_FOLDER);
    return { type: 'failed', requestId, code: error.code, message: error.message, actions };
  }
  if (error instanceof RemoteError) return { type: 'failed', requestId, message: error.message, actions: ACTIONS_BY_REMOTE_ERROR[error.kind] ?? [SELECT_MODEL] };
  if (error instanceof ConsentRefused) return { type: 'failed', requestId, message: error.message, actions: [SELECT_MODEL] };
  return { type: 'failed', requestId, message: error instanceof Error ? error.message : String(error), actions: [] };
}
