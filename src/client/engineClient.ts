/**
 * The engine's client, for the extension host and the CLI alike: spawns the engine (child process
 * or worker thread), sends it each job at once (the engine keeps the one queue and says when a job
 * starts), streams their events back, cancels, and restarts the engine if it dies, failing only the
 * job that was running, with a message that says what happened; jobs that had not started are sent
 * to the new engine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { ORT_PRIVACY_ENV } from '../protocol/onnxPrivacy';
import {
  EngineEventSchema,
  type EngineEvent,
  type EngineRequest,
  type ErrorCode,
  type GenerationStats,
  type ImageInfo,
  type ImageInput,
  type OcrResult,
  type PixelDiff,
  type PromptPreview,
  type Region,
  type StopReason,
} from '../protocol/engine';
import { EngineError } from '../protocol/engineError';
import type { FindResult } from '../protocol/findBoxes';

export type Isolation = 'thread' | 'process';
export type ModelState = 'unloaded' | 'loading' | 'loaded' | 'busy';
export type Phase = Extract<EngineEvent, { type: 'progress' }>['phase'];
/** `id`: the caller's own request id, kept end to end (a new one when left out). */
export type GenerateInput = Omit<Extract<EngineRequest, { type: 'generate' }>, 'type' | 'id'> & { id?: string };

export interface GenerateResult {
  text: string;
  stopReason: StopReason;
  stats: GenerationStats;
  /** Find only: the boxes the engine read from the answer, in pixels of the decoded image. */
  find?: FindResult;
}

export interface Job<T> {
  id: string;
  result: Promise<T>;
  cancel(): void;
}

export interface GenerateHandlers {
  onToken?(text: string, index: number): void;
  onProgress?(phase: Phase): void;
}


export interface EngineClientOptions {
  /** Path of the bundled engine (dist/engine.js). */
  enginePath: string;
  isolation?: Isolation;
  loadMarkerPath?: string;
  idleUnloadMs?: number;
  /** Installed q4 models load from their verified CPU-optimised copy (docs/performance.md); default on. */
  optimizeModels?: boolean;
  memoryHeadroomBytes?: number;
  /** Where engine errors that name no job go (the extension's log); they never fail a job. */
  onUnattributedError?(error: EngineError): void;
  /** How long a thread engine may take to finish its native work when stopped (default 30 s). */
  shutdownGraceMs?: number;
}

/** A model load of a large model can take this long; ending it early aborts the process. */
const SHUTDOWN_GRACE_MS = 30_000;

interface EngineHandle {
  pid?: number;
  post(request: EngineRequest): void;
  terminate(): Promise<void>;
}

interface PendingJob {
  id: string;
  request: EngineRequest;
  handlers: GenerateHandlers;
  resolve(value: unknown): void;
  reject(error: EngineError): void;
  /** Text streamed to the caller so far: a stopped answer keeps exactly this. */
  streamedText: string;
  cancelRequested?: boolean;
  /** The engine began it (its `started` event): a crash now loses it; before, it is sent again. */
  started?: boolean;
}

type StateListener = (state: { state: ModelState; modelDir?: string }) => void;

/** A stopped answer is what the caller saw stream, not the few tokens more the engine made meanwhile. */
function generateResult(job: PendingJob, event: Extract<EngineEvent, { type: 'done' }>): GenerateResult {
  const find = event.find && { find: event.find };
  if (event.stopReason !== 'stopped' || !job.cancelRequested) return { text: event.text, stopReason: event.stopReason, stats: event.stats, ...find };
  return { text: job.streamedText, stopReason: 'stopped', stats: event.stats, ...find };
}

export class EngineClient {
  private engine?: EngineHandle;
  /** Every job sent and not settled, in the order sent (the engine's order). */
  private readonly jobs = new Map<string, PendingJob>();
  private readonly stateListeners = new Set<StateListener>();
  private modelState: { state: ModelState; modelDir?: string } = { state: 'unloaded' };
  /** What the engine last reported about its model. */
  private engineModelState: { state: Exclude<ModelState, 'busy'>; modelDir?: string } = { state: 'unloaded' };
  private disposed = false;

  constructor(private options: EngineClientOptions) {}

  get isolation(): Isolation {
    return this.options.isolation ?? 'process';
  }

  /** Applies at once: a running engine uses the new values from its next idle period or model load. */
  reconfigure(settings: Pick<EngineClientOptions, 'idleUnloadMs' | 'optimizeModels'>): void {
    this.options = { ...this.options, ...settings };
    this.engine?.post({ type: 'configure', ...settings });
  }

  /** Takes effect on the next engine start; a running engine is stopped when idle. */
  setIsolation(isolation: Isolation): void {
    if (isolation === this.isolation) return;
    this.options = { ...this.options, isolation };
    if (this.jobs.size === 0) void this.stopEngine();
  }

  generate({ id, ...input }: GenerateInput, handlers: GenerateHandlers = {}): Job<GenerateResult> {
    return this.submit((jobId) => ({ ...input, type: 'generate', id: jobId }), handlers, id);
  }

  /** The model's input for this question, without answering it. */
  prompt(input: GenerateInput): Job<PromptPreview> {
    return this.submit((id) => ({ ...input, type: 'prompt', id }), {});
  }

  /** With a region, the crop's text, its boxes in the full image's pixels. */
  ocr(image: ImageInput, region?: Region): Job<OcrResult> {
    return this.submit((id) => ({ type: 'ocr', id, image, region }), {});
  }

  /** Where two images differ, as boxes in the first's pixels (no model needed). */
  diff(first: ImageInput, second: ImageInput): Job<PixelDiff> {
    return this.submit((id) => ({ type: 'diff', id, images: [first, second] }), {});
  }

  /** Whether the engine can use this image, and its size: the intake check (no model needed, not queued). */
  inspect(image: ImageInput): Job<ImageInfo> {
    return this.submit((id) => ({ type: 'inspect', id, image }), {});
  }

  /** Frees the model's memory now (the engine reloads it on the next job). */
  unload(): void {
    this.engine?.post({ type: 'unload' });
  }

  onDidChangeModelState(listener: StateListener): { dispose(): void } {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  get state(): { state: ModelState; modelDir?: string } {
    return this.modelState;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const error = new EngineError('CANCELLED', 'Loupe is shutting down.');
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    await this.stopEngine();
  }

  private submit<T>(build: (id: string) => EngineRequest, handlers: GenerateHandlers, callerId?: string): Job<T> {
    const id = callerId && !this.jobs.has(callerId) ? callerId : randomUUID();
    let job!: PendingJob;
    const result = new Promise<T>((resolve, reject) => {
      job = { id, request: build(id), handlers, resolve: resolve as (v: unknown) => void, reject, streamedText: '' };
    });
    if (this.disposed) {
      job.reject(new EngineError('CANCELLED', 'Loupe is shutting down.'));
    } else {
      this.jobs.set(id, job);
      this.ensureEngine().post(job.request);
    }
    return { id, result, cancel: () => this.cancel(job) };
  }

  /** The engine stops a running job, or drops a waiting one (which then fails with CANCELLED). */
  private cancel(job: PendingJob): void {
    if (this.jobs.get(job.id) !== job || job.cancelRequested) return;
    job.cancelRequested = true;
    this.engine?.post({ type: 'cancel', id: job.id });
  }

  private finish(id: string, settle: (job: PendingJob) => void): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    settle(job);
    this.publishState();
  }

  private receive(message: unknown): void {
    const parsed = EngineEventSchema.safeParse(message);
    if (!parsed.success) return this.failStarted('PROTOCOL', `The engine sent an invalid message: ${parsed.error.message}`);
    const event = parsed.data;
    switch (event.type) {
      case 'ready':
        return;
      case 'started': {
        const job = this.jobs.get(event.id);
        if (job) job.started = true;
        return this.publishState();
      }
      case 'model-state':
        this.engineModelState = { state: event.state, modelDir: event.modelDir };
        return this.publishState();
      case 'progress':
        return this.jobs.get(event.id)?.handlers.onProgress?.(event.phase);
      case 'token': {
        const job = this.jobs.get(event.id);
        // Tokens the engine made while the cancel was on its way are not shown: Stop stops the text now.
        if (!job || job.cancelRequested) return;
        job.streamedText += event.text;
        return job.handlers.onToken?.(event.text, event.index);
      }
      case 'done':
        return this.finish(event.id, (job) => job.resolve(generateResult(job, event)));
      case 'ocr-done':
        return this.finish(event.id, (job) => job.resolve(event.result));
      case 'prompt-done':
        return this.finish(event.id, (job) => job.resolve(event.preview));
      case 'diff-done':
        return this.finish(event.id, (job) => job.resolve(event.diff));
      case 'inspect-done':
        return this.finish(event.id, (job) => job.resolve(event.image));
      case 'error':
        if (event.id) return this.finish(event.id, (job) => job.reject(new EngineError(event.error.code, event.error.message)));
        // An error the engine cannot attribute (a request it could not parse) belongs to no job.
        return this.options.onUnattributedError?.(new EngineError(event.error.code, event.error.message));
    }
  }

  /** Fails the jobs the engine had begun (inspections run at once, so they count as begun). */
  private failStarted(code: ErrorCode, message: string): void {
    for (const job of [...this.jobs.values()]) {
      if (job.started || job.request.type === 'inspect') this.finish(job.id, (settled) => settled.reject(new EngineError(code, message)));
    }
  }

  private ensureEngine(): EngineHandle {
    if (this.engine) return this.engine;
    const onExit = (handle: EngineHandle, detail: string) => {
      if (this.engine !== handle) return;
      this.engine = undefined;
      this.engineModelState = { state: 'unloaded' };
      // Only the job that was running is lost; the ones waiting go to a fresh engine.
      this.failStarted(
        'ENGINE_CRASHED',
        `The model engine stopped unexpectedly (${detail}) while answering. It has been restarted; try again. ` +
          (this.isolation === 'thread'
            ? 'If this keeps happening, set "loupe.engine.isolation" to "process".'
            : 'If this keeps happening, try a smaller model or preset.'),
      );
      if (this.jobs.size > 0 && !this.disposed) {
        const fresh = this.ensureEngine();
        for (const job of this.jobs.values()) fresh.post(job.request);
      }
      this.publishState();
    };
    const handle = this.isolation === 'process' ? this.spawnProcess(onExit) : this.spawnThread(onExit);
    this.engine = handle;
    handle.post({
      type: 'configure',
      loadMarkerPath: this.options.loadMarkerPath,
      idleUnloadMs: this.options.idleUnloadMs,
      optimizeModels: this.options.optimizeModels,
      memoryHeadroomBytes: this.options.memoryHeadroomBytes,
    });
    return handle;
  }

  private spawnThread(onExit: (handle: EngineHandle, detail: string) => void): EngineHandle {
    const worker = new Worker(this.options.enginePath);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const handle: EngineHandle = {
      post: (request) => worker.postMessage(request),
      // Terminating the thread inside a native call aborts the process (the extension host), so
      // the engine is asked to stop and ends itself; forced only if it does not within the grace.
      terminate: async () => {
        worker.postMessage({ type: 'shutdown' } satisfies EngineRequest);
        const grace = setTimeout(() => void worker.terminate(), this.options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
        await exited;
        clearTimeout(grace);
      },
    };
    worker.on('message', (message) => this.receive(message));
    worker.on('error', (error) => onExit(handle, error.message));
    worker.on('exit', (code) => onExit(handle, `exit code ${code}`));
    return handle;
  }

  private spawnProcess(onExit: (handle: EngineHandle, detail: string) => void): EngineHandle {
    // Inside VS Code process.execPath is Electron; ELECTRON_RUN_AS_NODE makes it a plain Node.
    const child: ChildProcess = fork(this.options.enginePath, [], {
      serialization: 'advanced',
      env: { ...process.env, ...ORT_PRIVACY_ENV, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const handle: EngineHandle = {
      pid: child.pid,
      post: (request) => child.send(request),
      terminate: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        await exited;
      },
    };
    child.on('message', (message) => this.receive(message));
    child.on('error', (error) => onExit(handle, error.message));
    child.on('exit', (code, signal) => onExit(handle, signal ? `signal ${signal}` : `exit code ${code}`));
    return handle;
  }

  /** Process id of the engine when it runs as a child process (shown in logs, used by crash tests). */
  get enginePid(): number | undefined {
    return this.engine?.pid;
  }

  private async stopEngine(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    // The exit handler ignores an engine stopped on purpose, so its model state is reset here:
    // a status bar must not say "ready" for a model no engine holds.
    this.engineModelState = { state: 'unloaded' };
    this.publishState();
    await engine?.terminate();
  }

  /** Busy while a job runs, except that loading a model is worth showing as such. */
  private publishState(): void {
    const engine = this.engineModelState;
    const running = [...this.jobs.values()].some((job) => job.started);
    const state = running && engine.state !== 'loading' ? { state: 'busy' as const, modelDir: engine.modelDir } : engine;
    if (state.state === this.modelState.state && state.modelDir === this.modelState.modelDir) return;
    this.modelState = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
