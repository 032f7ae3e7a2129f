/**
 * The engine's message loop: validates requests, runs one job at a time, owns all model memory
 * (lazy load, unload when idle or when another model is selected) and reports typed errors.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { InterruptableStoppingCriteria } from '@huggingface/transformers';
import {
  EngineRequestSchema,
  type EngineEvent,
  type GenerateRequest,
  type ImageInput,
  type ParsedEngineRequest,
  type PromptRequest,
  type Region,
} from '../protocol/engine';
import { EngineError } from '../protocol/engineError';
import { messageOf, toErrorInfo } from './engineFailure';
import { decodeImage, verifyImage } from '../imaging/images';
import { cropImage, isCrop, ocrInFullImage, regionWithin, type CroppedImage } from '../imaging/region';
import { diffImages } from '../imaging/pixelDiff';
import { memoryShortfall } from './memoryCheck';
import { inspectModelFolder, type ModelFolderInfo } from './vlm/modelFiles';
import { markCopyUnusable, optimizationSources, optimizeModel } from './vlm/modelOptimization';
import { readInstalledMarker } from '../modelFolder/installedMarker';
import { optimizedDir, readOptimization } from '../modelFolder/optimizedVariant';
import { OcrEngine } from './ocr/ocrEngine';
import { formatOcrForPrompt } from './ocr/ocrGrounding';
import { OCR_GROUNDED_TASKS, buildMessages } from '../prompts/taskPrompts';
import { loadReleasingOnFailure, nativeCreationsSettled } from './sessionTracker';
import type { EngineTransport } from './transport';
import { pixelDigest, type RgbImage } from '../imaging/rgbImage';
import { VisionLanguageModel } from './vlm/visionLanguageModel';
import { findsBoxes } from '../catalog/catalog';
import { FAMILY_NAMES } from '../modelFolder/modelLayout';
import { FIND_NEEDS_WORDS, parseFindAnswer, type FindResult } from '../protocol/findBoxes';

const OCR_PROMPT_BUDGET_CHARS = 2_000;

interface RunningJob {
  id: string;
  stop: InterruptableStoppingCriteria;
  abort: AbortController;
}

export class EngineService {
  private vlm?: VisionLanguageModel;
  private ocr?: Promise<OcrEngine>;
  private running?: RunningJob;
  private queue: Promise<void> = Promise.resolve();
  private idleTimer?: NodeJS.Timeout;
  private loadMarkerPath?: string;
  private memoryHeadroomBytes?: number;
  private idleUnloadMs = 0;
  private optimizeModels = true;
  private lastGrounding?: { key: string; text: string };
  /** Jobs received and not started yet, and those of them the client stopped before they began. */
  private readonly waiting = new Set<string>();
  private readonly cancelledBeforeStart = new Set<string>();

  constructor(private readonly transport: EngineTransport) {}

  start(): void {
    this.transport.onMessage((message) => this.receive(message));
    this.transport.send({ type: 'ready' });
  }

  private receive(message: unknown): void {
    const parsed = EngineRequestSchema.safeParse(message);
    if (!parsed.success) {
      const id = (message as { id?: unknown } | null)?.id;
      this.send({
        type: 'error',
        id: typeof id === 'string' && id ? id : undefined,
        error: { code: 'PROTOCOL', message: `The engine received an invalid request: ${parsed.error.message}` },
      });
      return;
    }
    this.dispatch(parsed.data);
  }

  private dispatch(request: ParsedEngineRequest): void {
    switch (request.type) {
      case 'configure':
        this.loadMarkerPath = request.loadMarkerPath ?? this.loadMarkerPath;
        this.memoryHeadroomBytes = request.memoryHeadroomBytes ?? this.memoryHeadroomBytes;
        this.idleUnloadMs = request.idleUnloadMs ?? this.idleUnloadMs;
        this.optimizeModels = request.optimizeModels ?? this.optimizeModels;
        return;
      case 'cancel':
        if (this.running?.id === request.id) {
          this.running.stop.interrupt();
          this.running.abort.abort();
        } else if (this.waiting.has(request.id)) {
          this.cancelledBeforeStart.add(request.id);
        }
        return;
      case 'inspect':
        // Outside the queue: it needs no model and must not wait behind an answer being written.
        void this.inspect(request.id, request.image);
        return;
      case 'unload':
        this.enqueue(() => this.unload());
        return;
      case 'shutdown':
        this.shutdown();
        return;
      case 'generate':
        this.enqueueJob(request.id, (job) => this.generate(request, job));
        return;
      case 'prompt':
        this.enqueueJob(request.id, (job) => this.preview(request, job));
        return;
      case 'ocr':
        this.enqueueJob(request.id, (job) => this.recognize(request.id, request.image, request.region, job));
        return;
      case 'diff':
        this.enqueueJob(request.id, (job) => this.compare(request.id, request.images, job));
        return;
    }
  }

  private enqueue(work: () => Promise<void>): void {
    clearTimeout(this.idleTimer);
    this.queue = this.queue.then(work).finally(() => this.scheduleIdleUnload());
  }

  /** The one queue of jobs: the client sends each request at once and the engine runs them in turn. */
  private enqueueJob(id: string, work: (job: RunningJob) => Promise<void>): void {
    this.waiting.add(id);
    this.enqueue(() => this.runJob(id, work));
  }

  private async runJob(id: string, work: (job: RunningJob) => Promise<void>): Promise<void> {
    this.waiting.delete(id);
    if (this.cancelledBeforeStart.delete(id)) {
      this.send({ type: 'error', id, error: { code: 'CANCELLED', message: 'Cancelled before it started.' } });
      return;
    }
    const job: RunningJob = { id, stop: new InterruptableStoppingCriteria(), abort: new AbortController() };
    this.running = job;
    this.send({ type: 'started', id });
    try {
      await work(job);
    } catch (error) {
      this.send({ type: 'error', id, error: toErrorInfo(error) });
    } finally {
      this.running = undefined;
    }
  }

  private async inspect(id: string, input: ImageInput): Promise<void> {
    try {
      this.send({ type: 'inspect-done', id, image: await verifyImage(input) });
    } catch (error) {
      this.send({ type: 'error', id, error: toErrorInfo(error) });
    }
  }

  /** What `generate` and `prompt` share: the images (a region cut out), the model and the chat messages. */
  private async prepare(request: GenerateRequest | PromptRequest, job: RunningJob) {
    this.progress(request.id, 'reading-image');
    const images = await this.imagesFor(request, job);
    const [image] = images;
    const model = await this.modelFor(request.id, request.modelDir);
    if (job.abort.signal.aborted) throw new EngineError('CANCELLED', 'Cancelled while the model was loading.');
    // Before OCR: a question too long for the model is the user's to shorten, at once.
    model.checkQuestion(request.question);
    if (request.task === 'find') checkFind(request, model);

    // The opening turn's task decides the grounding, so a follow-up repeats that turn exactly as
    // the model first saw it (and can continue its cached state).
    const openingTask = request.history[0]?.task ?? request.task;
    // OCR text is one image's; a comparison's prompt would not say which image it came from.
    const grounds = request.ocrGrounding && OCR_GROUNDED_TASKS.has(openingTask) && images.length === 1;
    const grounding = grounds ? await this.groundingFor(request.id, image, job) : undefined;
    if (job.abort.signal.aborted) throw new EngineError('CANCELLED', 'Cancelled before the answer started.');
    const messages = buildMessages({
      ...request,
      ocrText: grounding?.text,
      crop: isCrop(image) ? { ...image.region, of: image.of } : undefined,
      comparison: images.length > 1 ? { changes: request.changes ?? [] } : undefined,
    });
    return { images, model, ocrMs: grounding?.ms, messages };
  }

  /** The request's image, or its region; then the image it is compared with. */
  private async imagesFor(request: GenerateRequest | PromptRequest, job: RunningJob): Promise<[RgbImage | CroppedImage, ...RgbImage[]]> {
    if (request.region && request.secondImage) {
      throw new EngineError('BAD_INPUT', 'A region and a second image cannot be combined: ask about a region of one image, or compare two whole images.');
    }
    const image = await decodeImage(request.image, {}, job.abort.signal);
    if (request.region) return [cropImage(image, regionWithin(request.region, image.width, image.height))];
    if (!request.secondImage) return [image];
    return [image, await decodeImage(request.secondImage, {}, job.abort.signal)];
  }

  /** OCR text for the prompt; the last image's is kept, so follow-ups and new tasks on it skip OCR. */
  private async groundingFor(id: string, image: RgbImage, job: RunningJob): Promise<{ text: string; ms?: number }> {
    const key = pixelDigest(image);
    if (this.lastGrounding?.key === key) return { text: this.lastGrounding.text };
    this.progress(id, 'ocr');
    const result = await (await this.ocrEngine()).recognize(image, job.abort.signal);
    this.lastGrounding = { key, text: formatOcrForPrompt(result, OCR_PROMPT_BUDGET_CHARS) };
    return { text: this.lastGrounding.text, ms: result.ms };
  }

  private async preview(request: PromptRequest, job: RunningJob): Promise<void> {
    const { images, model, messages } = await this.prepare(request, job);
    this.progress(request.id, 'encoding-image');
    const preview = await model.preview(messages, images, request.options);
    this.send({ type: 'prompt-done', id: request.id, preview });
  }

  private async generate(request: GenerateRequest, job: RunningJob): Promise<void> {
    const startedAt = performance.now();
    const { images, model, ocrMs, messages } = await this.prepare(request, job);
    this.progress(request.id, 'encoding-image');
    let streaming = false;
    const answer = await model.generate(
      messages,
      images,
      request.options,
      (text, index) => {
        if (!streaming) this.progress(request.id, 'generating');
        streaming = true;
        this.send({ type: 'token', id: request.id, index, text });
      },
      job.stop,
      true,
      request.task === 'find',
    );
    const decodeSeconds = (answer.generationMs - answer.timeToFirstTokenMs) / 1000;
    this.send({
      type: 'done',
      id: request.id,
      text: answer.text,
      stopReason: answer.stopReason,
      stats: {
        promptTokens: answer.promptTokens,
        imageTokens: answer.imageTokens,
        tiles: answer.tiles,
        generatedTokens: answer.generatedTokens,
        timeToFirstTokenMs: answer.timeToFirstTokenMs,
        tokensPerSecond: answer.generatedTokens > 1 && decodeSeconds > 0 ? (answer.generatedTokens - 1) / decodeSeconds : 0,
        totalMs: performance.now() - startedAt,
        ocrMs,
        cache: answer.cache,
        sampling: answer.sampling,
      },
      ...(request.task === 'find' && { find: findResult(answer.text, images[0], answer.boxesBeforeLimit) }),
    });
  }

  /** With a region, only the crop is read (at its own resolution) and the boxes are given in the full image. */
  private async recognize(id: string, input: ImageInput, region: Region | undefined, job: RunningJob): Promise<void> {
    this.progress(id, 'reading-image');
    const image = await decodeImage(input, {}, job.abort.signal);
    const within = region && regionWithin(region, image.width, image.height);
    this.progress(id, 'ocr');
    const result = await (await this.ocrEngine()).recognize(within ? cropImage(image, within) : image, job.abort.signal);
    this.send({ type: 'ocr-done', id, result: within ? ocrInFullImage(result, within, image) : result });
  }

  private async compare(id: string, inputs: [ImageInput, ImageInput], job: RunningJob): Promise<void> {
    this.progress(id, 'reading-image');
    const [first, second] = [await decodeImage(inputs[0], {}, job.abort.signal), await decodeImage(inputs[1], {}, job.abort.signal)];
    this.send({ type: 'diff-done', id, diff: await diffImages(first, second) });
  }

  private ocrEngine(): Promise<OcrEngine> {
    const loading =
      this.ocr ??
      OcrEngine.load().catch((error: unknown) => {
        this.ocr = undefined;
        throw new EngineError('MODEL_LOAD_FAILED', `The OCR model could not be loaded: ${messageOf(error)}`);
      });
    this.ocr = loading;
    return loading;
  }

  private async modelFor(id: string, modelDir: string): Promise<VisionLanguageModel> {
    if (this.vlm?.modelDir === modelDir) return this.vlm;
    // Another model replaces this one; the OCR models serve both and stay.
    await this.unloadVlm();
    this.progress(id, 'loading-model');
    let folder: ModelFolderInfo;
    try {
      folder = await inspectModelFolder(modelDir);
    } catch (error) {
      throw new EngineError('MODEL_MISSING', messageOf(error));
    }
    const shortfall = memoryShortfall(folder.weightBytes, this.memoryHeadroomBytes);
    if (shortfall) throw new EngineError('INSUFFICIENT_MEMORY', shortfall);

    this.send({ type: 'model-state', state: 'loading', modelDir });
    // A crash inside the native runtime while optimising or loading kills the host too (in thread
    // mode); the marker left behind tells the next activation to switch to process isolation.
    if (this.loadMarkerPath) writeFileSync(this.loadMarkerPath, JSON.stringify({ modelDir, pid: process.pid }));
    try {
      this.vlm = await this.loadPreferringOptimizedCopy(id, modelDir, folder);
    } catch (error) {
      this.send({ type: 'model-state', state: 'unloaded' });
      throw new EngineError('MODEL_LOAD_FAILED', `The model in ${modelDir} could not be loaded: ${messageOf(error)}`);
    } finally {
      if (this.loadMarkerPath) rmSync(this.loadMarkerPath, { force: true });
    }
    this.send({ type: 'model-state', state: 'loaded', modelDir });
    return this.vlm;
  }

  /**
   * An installed q4 model loads from its CPU-optimised copy, made (once per set of files) and
   * verified here first; if making or loading the copy fails, from the downloaded files, and the
   * failure is recorded so it is not tried again until they change. Plain folders (`--model`,
   * `loupe.model.path`) are the user's own and are never written to.
   */
  private async loadPreferringOptimizedCopy(id: string, modelDir: string, folder: ModelFolderInfo): Promise<VisionLanguageModel> {
    const load = (filesDir: string) => loadReleasingOnFailure(() => VisionLanguageModel.load(modelDir, folder.dtypes, filesDir));
    const copy = await this.optimizedCopy(id, modelDir, folder).catch(() => undefined);
    this.progress(id, 'loading-model');
    if (!copy) return load(modelDir);
    try {
      return await load(copy);
    } catch (error) {
      await markCopyUnusable(modelDir, `it could not be loaded: ${messageOf(error)}`).catch(() => undefined);
      return load(modelDir);
    }
  }

  /** The folder of the model's verified optimised copy, making it first when there is none yet. */
  private async optimizedCopy(id: string, modelDir: string, folder: ModelFolderInfo): Promise<string | undefined> {
    if (!this.optimizeModels || folder.dtypes.decoder_model_merged !== 'q4' || !(await readInstalledMarker(modelDir))) return undefined;
    const files = await optimizationSources(modelDir, folder.graphFiles);
    let record = await readOptimization(modelDir, { dtype: folder.dtypes, files });
    if (!record) {
      this.progress(id, 'optimizing-model');
      record = await optimizeModel(modelDir, folder.dtypes, files);
    }
    return record.outcome === 'optimized' ? optimizedDir(modelDir) : undefined;
  }

  /** Frees all model memory (idle, on request, at shutdown): the VLM and the OCR models go together. */
  private async unload(): Promise<void> {
    const ocr = this.ocr;
    this.ocr = undefined;
    await (await ocr?.catch(() => undefined))?.dispose();
    await this.unloadVlm();
  }

  private async unloadVlm(): Promise<void> {
    const vlm = this.vlm;
    if (!vlm) return;
    this.vlm = undefined;
    await vlm.dispose();
    this.send({ type: 'model-state', state: 'unloaded' });
  }

  /**
   * Stops the running job, frees the models and ends the engine once no native call is running:
   * ending a thread inside onnxruntime's native code aborts the whole process.
   */
  private shutdown(): void {
    this.running?.stop.interrupt();
    this.running?.abort.abort();
    this.enqueue(async () => {
      await this.unload();
      await nativeCreationsSettled();
      this.transport.close();
    });
  }

  private scheduleIdleUnload(): void {
    clearTimeout(this.idleTimer);
    if (!this.idleUnloadMs || (!this.vlm && !this.ocr)) return;
    this.idleTimer = setTimeout(() => this.enqueue(() => this.unload()), this.idleUnloadMs);
    this.idleTimer.unref();
  }

  private progress(id: string, phase: Extract<EngineEvent, { type: 'progress' }>['phase']): void {
    this.send({ type: 'progress', id, phase });
  }

  private send(event: EngineEvent): void {
    this.transport.send(event);
  }
}

/** Find needs words to look for and a family that documents a box answer (its manifests' `grounding`). */
function checkFind({ question, secondImage }: GenerateRequest | PromptRequest, model: VisionLanguageModel): void {
  if (!question.trim()) throw new EngineError('BAD_INPUT', FIND_NEEDS_WORDS);
  if (secondImage) throw new EngineError('BAD_INPUT', 'Find looks in one image: ask about each image on its own.');
  if (findsBoxes(model.architecture)) return;
  throw new EngineError(
    'UNSUPPORTED',
    `${FAMILY_NAMES[model.architecture]} models document no way to answer with boxes, so Loupe cannot find things with this model. Choose an LFM2.5-VL model.`,
  );
}

/**
 * Find's boxes in pixels of the decoded image; a region's boxes are moved back into the whole image.
 * Where the limit steered the answer to its end, only the boxes finished before are the model's.
 */
function findResult(text: string, image: RgbImage, boxesBeforeLimit: number | undefined): FindResult {
  const parsed = parseFindAnswer(text, image);
  const result = boxesBeforeLimit === undefined ? parsed : { boxes: parsed.boxes.slice(0, boxesBeforeLimit), problem: 'cut-short' as const };
  if (!isCrop(image)) return { ...result, image: { width: image.width, height: image.height } };
  return { ...result, boxes: result.boxes.map((box) => ({ ...box, x: box.x + image.region.x, y: box.y + image.region.y })), image: image.of };
}
