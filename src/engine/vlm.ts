/**
 * The vision-language model: loads a local model folder with transformers.js (remote loading off)
 * and answers one request at a time, streaming text per token.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  InterruptableStoppingCriteria,
  RawImage,
  StoppingCriteriaList,
  env,
} from '@huggingface/transformers';
import type { PromptPreview } from '../protocol/engine';
import type { GenerationOptions, VisionBudget } from '../protocol/options';
import type { ChatMessage } from './prompts';
import { controlTokenPattern, neutralizeMessages } from './controlTokens';
import { EngineFailure } from './engineFailure';
import { encoderFitProblem, planImage, useUpstreamPreprocessing, type Lfm2VlKnobs } from './lfm2VlPreprocessing';
import { assertOnnxTelemetryDisabled } from './onnxPrivacy';
import { NO_SPINNING } from './ortSpinning';
import type { RgbImage } from './rgbImage';
import { TokenStream } from './tokenStream';
import type { GraphDtype } from './modelFiles';

// Nothing is ever fetched at run time: models come from a local folder only.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.useFSCache = false;

/**
 * One core is left to the editor: with every core busy in matrix work, the extension host (and
 * the user's typing) stalls. On 2 cores that costs some speed and keeps VS Code responsive.
 */
export function inferenceThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

export interface VlmAnswer {
  text: string;
  promptTokens: number;
  imageTokens: number;
  tiles: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  generationMs: number;
}

type Processor = Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>;
type Model = Awaited<ReturnType<typeof AutoModelForImageTextToText.from_pretrained>>;

/** The model's input for one question: what `generate` runs and `preview` reports. */
interface PreparedInputs {
  inputs: Record<string, unknown> & { pixel_values: { dims: number[] } };
  inputIds: BigInt64Array;
  imageTokens: number;
  room: number;
}

export class VisionLanguageModel {
  private constructor(
    readonly modelDir: string,
    private readonly processor: Processor,
    private readonly model: Model,
    private readonly imageTokenId: bigint,
    /** Longest sequence the decoder accepts (prompt plus answer). */
    private readonly contextLength: number,
    /** LFM2-VL only (other families keep their own fixed budget): the processor's configured knobs. */
    private readonly lfm2VlDefaults: Lfm2VlKnobs | undefined,
    /** The tokenizer's control tokens, kept out of user text. */
    private readonly controlTokens: RegExp | undefined,
  ) {}

  /** `dtypes`: the ONNX precision of each graph (src/engine/modelFiles.ts). */
  static async load(modelDir: string, dtypes: Record<string, GraphDtype>): Promise<VisionLanguageModel> {
    assertOnnxTelemetryDisabled();
    const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as {
      image_token_id?: number;
      image_token_index?: number;
      text_config?: { max_position_embeddings?: number };
    };
    const options = { local_files_only: true } as const;
    const processor = await AutoProcessor.from_pretrained(modelDir, options);
    const model = await AutoModelForImageTextToText.from_pretrained(modelDir, {
      ...options,
      dtype: dtypes as Record<string, 'fp32'>,
      device: 'cpu',
      session_options: { intraOpNumThreads: inferenceThreads(), extra: NO_SPINNING },
    });
    const imageTokenId = BigInt(config.image_token_id ?? config.image_token_index ?? -1);
    const knobs = processor.image_processor as unknown as Lfm2VlKnobs;
    const isLfm2Vl = typeof knobs.max_image_tokens === 'number';
    // Upstream geometry, resampling and tiling instead of transformers.js's (docs/model-contract.md).
    if (isLfm2Vl) useUpstreamPreprocessing(knobs);
    const contextLength = config.text_config?.max_position_embeddings ?? Number.POSITIVE_INFINITY;
    const tokenizer = processor.tokenizer as unknown as { _tokenizer: { get_added_tokens_decoder(): Map<number, { content: string; special: boolean }> } };
    const controlTokens = controlTokenPattern(tokenizer._tokenizer.get_added_tokens_decoder().values());
    return new VisionLanguageModel(modelDir, processor, model, imageTokenId, contextLength, isLfm2Vl ? { ...knobs } : undefined, controlTokens);
  }

  /** What the model would be given for this question: `loupe prompt`. */
  async preview(messages: ChatMessage[], image: RgbImage, options: GenerationOptions): Promise<PromptPreview> {
    const { inputIds, imageTokens } = await this.prepare(messages, image, options);
    const tokenizer = this.processor.tokenizer as unknown as { decode(ids: bigint[], o: object): string };
    const text = tokenizer.decode(Array.from(inputIds), { skip_special_tokens: false });
    const knobs = this.processor.image_processor as unknown as Lfm2VlKnobs;
    const plan = this.lfm2VlDefaults ? planImage(image.width, image.height, knobs) : undefined;
    return {
      text: text.replace(/(?:<image>){2,}/g, (run) => `<image>x${run.length / '<image>'.length}`),
      promptTokens: inputIds.length,
      imageTokens,
      tiles: plan?.tiles ?? 1,
      image: { width: image.width, height: image.height },
      ...(plan && {
        resized: { width: plan.resizedWidth, height: plan.resizedHeight },
        grid: { rows: plan.rows, cols: plan.cols },
        thumbnail: plan.thumbnail,
      }),
    };
  }

  private async prepare(messages: ChatMessage[], image: RgbImage, options: GenerationOptions): Promise<PreparedInputs> {
    this.applyVisionBudget(options.vision);
    if (this.lfm2VlDefaults) {
      const knobs = this.processor.image_processor as unknown as Lfm2VlKnobs;
      const problem = encoderFitProblem(image.width, image.height, planImage(image.width, image.height, knobs), knobs);
      if (problem) throw new EngineFailure('BAD_INPUT', problem);
    }
    const safe = neutralizeMessages(messages, this.controlTokens);
    const prompt = this.processor.apply_chat_template(safe as never, { add_generation_prompt: true }) as string;
    const raw = new RawImage(image.data, image.width, image.height, 3);
    // The chat template already starts with the BOS token; adding it again would shift the prompt.
    const inputs = (await this.processor(raw, prompt, { add_special_tokens: false })) as PreparedInputs['inputs'];
    const inputIds = (inputs.input_ids as { data: BigInt64Array }).data;
    let imageTokens = 0;
    for (const id of inputIds) if (id === this.imageTokenId) imageTokens++;
    return { inputs, inputIds, imageTokens, room: this.contextLength - inputIds.length };
  }

  async generate(
    messages: ChatMessage[],
    image: RgbImage,
    options: GenerationOptions,
    onPiece: (text: string, tokenIndex: number) => void,
    stop: InterruptableStoppingCriteria,
  ): Promise<VlmAnswer> {
    const { inputs, inputIds, imageTokens, room } = await this.prepare(messages, image, options);
    if (room < 1) {
      throw new EngineFailure(
        'BAD_INPUT',
        `The question and image take ${inputIds.length} tokens, more than the model's ${this.contextLength}. ` +
          'Use the "fast" preset, a smaller image, or start a new conversation.',
      );
    }

    const started = performance.now();
    let firstTokenAt = 0;
    const stream = new TokenStream(this.processor.tokenizer as never, (text, index) => {
      if (!firstTokenAt) firstTokenAt = performance.now();
      onPiece(text, index);
    });
    const criteria = new StoppingCriteriaList();
    criteria.push(stop);
    const sampling =
      options.sampling.mode === 'greedy'
        ? { do_sample: false }
        : { do_sample: true, temperature: options.sampling.temperature, top_p: options.sampling.topP };
    await this.model.generate({
      ...inputs,
      ...sampling,
      // The answer is cut where the model's context ends rather than failing inside the runtime.
      max_new_tokens: Math.min(options.maxNewTokens, room),
      streamer: stream,
      stopping_criteria: criteria,
    } as never);
    const finished = performance.now();
    return {
      text: stream.text,
      promptTokens: inputIds.length,
      imageTokens,
      tiles: inputs.pixel_values.dims[0]!,
      generatedTokens: stream.count,
      timeToFirstTokenMs: (firstTokenAt || finished) - started,
      generationMs: finished - started,
    };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /**
   * The processor reads its knobs from fields set at construction; per-request budgets are applied
   * by setting them before each call (jobs run one at a time, so nothing races).
   */
  private applyVisionBudget(vision: VisionBudget): void {
    const d = this.lfm2VlDefaults;
    if (!d) return;
    const knobs = this.processor.image_processor as unknown as Lfm2VlKnobs;
    knobs.max_image_tokens = vision.maxImageTokens;
    knobs.min_image_tokens = Math.min(vision.minImageTokens, vision.maxImageTokens);
    knobs.do_image_splitting = vision.doImageSplitting && vision.maxTiles > 1;
    knobs.max_tiles = vision.maxTiles;
    knobs.min_tiles = Math.min(d.min_tiles, vision.maxTiles);
  }
}
