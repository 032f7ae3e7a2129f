/**
 * The vision-language model: loads a local model folder with transformers.js (remote loading off)
 * and answers one request at a time, streaming text per token.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  InterruptableStoppingCriteria,
  RawImage,
  StoppingCriteriaList,
  Tensor,
  cat,
  env,
} from '@huggingface/transformers';
import { MAX_QUESTION_TOKENS, type PromptPreview, type StopReason } from '../../protocol/engine';
import type { GenerationOptions, ResolvedSampling, VisionBudget } from '../../protocol/options';
import type { ChatMessage } from '../../prompts/taskPrompts';
import { controlTokenPattern, neutralizeMessages } from './controlTokens';
import { ConversationCache, imageKey, type CacheUse, type StoredConversation } from './conversationCache';
import { EngineError } from '../../protocol/engineError';
import { encoderFitProblem, planImage, useUpstreamPreprocessing, type Lfm2VlKnobs } from './lfm2VlPreprocessing';
import { assertOnnxTelemetryDisabled } from '../../protocol/onnxPrivacy';
import { NO_SPINNING } from '../ortSpinning';
import type { RgbImage } from '../../imaging/rgbImage';
import { isCrop } from '../../imaging/region';
import { TokenStream } from './tokenStream';
import type { GraphDtype } from './modelFiles';
import { architectureForModelType, externalDataChunks, type Architecture } from '../../modelFolder/modelLayout';
import { recommendedSampling } from '../../catalog/catalog';
import { resolveSampling, TokenSampler } from './tokenSampler';
import { BoxGrammarMask, tokenTable } from './boxGrammarMask';

// Nothing is ever fetched at run time: models come from a local folder only.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.useFSCache = false;

/**
 * In the extension one core is left to the editor: with every core busy in matrix work, VS Code's
 * windows (and the user's typing) wait for the CPU. On 2 cores that halves the engine's threads
 * (figures in docs/performance.md). LOUPE_ENGINE_THREADS overrides it: the CLI sets it to every
 * core, benchmarks to what they compare.
 */
export function inferenceThreads(): number {
  const override = Number(process.env.LOUPE_ENGINE_THREADS);
  if (Number.isInteger(override) && override > 0) return override;
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
  /** What was reused from the previous question about this image. */
  cache: CacheUse;
  sampling: ResolvedSampling;
  stopReason: StopReason;
  /** Find: the boxes finished before the limit began to steer the answer (the rest are not the model's). */
  boxesBeforeLimit?: number;
}

type Processor = Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>;
type Model = Awaited<ReturnType<typeof AutoModelForImageTextToText.from_pretrained>>;

/**
 * Prompt tokens per decoder call while prefilling. Attention over a chunk costs chunk × prompt,
 * so a long question grows memory linearly instead of with its square (a 20,000-character
 * question took 4.5 GB in one piece); 512 keeps the matrix multiplies large enough to stay fast.
 */
export const PREFILL_CHUNK_TOKENS = 512;

type DecoderCache = { get_seq_length(): number };

/** What the vision encoder takes (src/engine/vlm/lfm2VlPreprocessing.ts): tiles first in each. */
interface EncoderInputs {
  pixel_values: Tensor;
  pixel_attention_mask: Tensor;
  spatial_shapes: Tensor;
}

/** The model's input for one question: what `generate` runs and `preview` reports. */
interface PreparedInputs {
  inputs: Record<string, unknown> & { pixel_values: { dims: number[] } };
  inputIds: BigInt64Array;
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
    readonly architecture: Architecture,
    /** The model card's sampling for this family; requests override parts of it. */
    private readonly recommendedSampling: Omit<ResolvedSampling, 'seed'>,
  ) {
    // transformers.js calls `encode_image` whenever pixels come with the prompt; for the image
    // the last question was about, the stored features stand in for another encoder run.
    const encode = model.encode_image.bind(model);
    model.encode_image = async (inputs: unknown) => {
      const key = this.visionKey;
      const stored = key === undefined ? undefined : this.cache.features(key);
      if (stored) {
        this.visionReused = true;
        return stored;
      }
      const features = await this.encodeEachImage(encode, inputs as EncoderInputs);
      if (key !== undefined) this.cache.rememberFeatures(key, features);
      return features;
    };
  }

  private readonly cache = new ConversationCache();
  /** Encoder tiles of each image of the job being prepared, in prompt order. */
  private tilesPerImage: number[] = [];
  /** The image key of the job running now; undefined when it must not reuse anything. */
  private visionKey?: string;
  private visionReused = false;
  /** Tokens per prefill call; tests set it to Infinity to compare with one call. */
  prefillChunk = PREFILL_CHUNK_TOKENS;

  /**
   * `dtypes`: the ONNX precision of each graph (src/engine/vlm/modelFiles.ts). `filesDir`: where
   * the files are read from when not `modelDir` itself (its CPU-optimised copy).
   */
  static async load(modelDir: string, dtypes: Record<string, GraphDtype>, filesDir = modelDir): Promise<VisionLanguageModel> {
    assertOnnxTelemetryDisabled();
    const config = JSON.parse(readFileSync(join(filesDir, 'config.json'), 'utf8')) as {
      model_type?: string;
      image_token_id?: number;
      image_token_index?: number;
      text_config?: { max_position_embeddings?: number };
    };
    const options = { local_files_only: true } as const;
    const processor = await AutoProcessor.from_pretrained(filesDir, options);
    const model = await AutoModelForImageTextToText.from_pretrained(filesDir, {
      ...options,
      dtype: dtypes as Record<string, 'fp32'>,
      // Per file from the folder, not config.json's flag (src/modelFolder/modelLayout.ts).
      use_external_data_format: externalDataChunks(readdirSync(join(filesDir, 'onnx')).map((name) => `onnx/${name}`)),
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
    const architecture = architectureForModelType(config.model_type);
    if (!architecture) throw new Error(`config.json's model_type "${String(config.model_type)}" is not one Loupe runs.`);
    return new VisionLanguageModel(
      modelDir,
      processor,
      model,
      imageTokenId,
      contextLength,
      isLfm2Vl ? { ...knobs } : undefined,
      controlTokens,
      architecture,
      recommendedSampling(architecture),
    );
  }

  /**
   * The real export's vision encoder gives an image other features when another multi-tile image
   * shares its batch (docs/model-contract.md), and transformers.js sends all of a prompt's tiles in
   * one call: so each image gets its own call, and the features are joined in prompt order.
   */
  private async encodeEachImage(encode: (inputs: never) => Promise<Tensor>, inputs: EncoderInputs): Promise<Tensor> {
    if (this.tilesPerImage.length < 2) return encode(inputs as never);
    const features: Tensor[] = [];
    let start = 0;
    for (const tiles of this.tilesPerImage) {
      const range: [number, number] = [start, start + tiles];
      features.push(
        await encode({
          ...inputs,
          pixel_values: inputs.pixel_values.slice(range),
          pixel_attention_mask: inputs.pixel_attention_mask.slice(range),
          spatial_shapes: inputs.spatial_shapes.slice(range),
        } as never),
      );
      start += tiles;
    }
    return cat(features, 0);
  }

  /** What the model would be given for this question: `loupe prompt`. */
  async preview(messages: ChatMessage[], images: RgbImage[], options: GenerationOptions): Promise<PromptPreview> {
    const { inputs, inputIds } = await this.prepare(messages, images, options);
    const image = images[0]!;
    const tokenizer = this.processor.tokenizer as unknown as { decode(ids: bigint[], o: object): string };
    const text = tokenizer.decode(Array.from(inputIds), { skip_special_tokens: false });
    const knobs = this.processor.image_processor as unknown as Lfm2VlKnobs;
    const plan = this.lfm2VlDefaults ? planImage(image.width, image.height, knobs) : undefined;
    return {
      text: text.replace(/(?:<image>){2,}/g, (run) => `<image>x${run.length / '<image>'.length}`),
      promptTokens: inputIds.length,
      imageTokens: this.countImageTokens(inputIds),
      tiles: this.tileCount(inputs),
      image: { width: image.width, height: image.height },
      ...(isCrop(image) && { region: { ...image.region, of: image.of } }),
      ...(images[1] && { secondImage: { width: images[1].width, height: images[1].height } }),
      ...(plan && {
        resized: { width: plan.resizedWidth, height: plan.resizedHeight },
        grid: { rows: plan.rows, cols: plan.cols },
        thumbnail: plan.thumbnail,
      }),
    };
  }

  /** The prompt's images in order (the messages hold one image part per image). */
  private async prepare(messages: ChatMessage[], images: RgbImage[], options: GenerationOptions): Promise<PreparedInputs> {
    this.applyVisionBudget(options.vision);
    if (images.length > 1 && this.architecture === 'smolvlm') {
      // Idefics3's processor and encoder would need their own per-image split; only LFM2-VL's is done.
      throw new EngineError('UNSUPPORTED', 'Comparing two images needs an LFM2-VL model; SmolVLM answers about one image at a time. Choose an LFM2-VL model.');
    }
    this.tilesPerImage = [];
    if (this.lfm2VlDefaults) {
      const knobs = this.processor.image_processor as unknown as Lfm2VlKnobs;
      for (const image of images) {
        const plan = planImage(image.width, image.height, knobs);
        const problem = encoderFitProblem(image.width, image.height, plan, knobs);
        if (problem) throw new EngineError('BAD_INPUT', problem);
        this.tilesPerImage.push(plan.tiles);
      }
    }
    const prompt = this.processor.apply_chat_template(this.forTemplate(messages) as never, { add_generation_prompt: true }) as string;
    const raws = images.map((image) => new RawImage(image.data, image.width, image.height, 3));
    // Idefics3Processor takes (text, images); Lfm2VlProcessor takes (images, text), and its chat
    // template already starts with the BOS token, which must not be added twice.
    const inputs = (
      this.architecture === 'smolvlm' ? await this.processor(prompt, raws[0]) : await this.processor(raws, prompt, { add_special_tokens: false })
    ) as PreparedInputs['inputs'];
    return { inputs, inputIds: (inputs.input_ids as { data: BigInt64Array }).data };
  }

  /** Whether the last token is one of the model's end-of-answer tokens. */
  private endedByModel(sequence: BigInt64Array): boolean {
    return this.endIds().includes(Number(sequence.at(-1)));
  }

  /** The model's end-of-answer token ids (generation_config.json). */
  private endIds(): number[] {
    const eos = (this.model as unknown as { generation_config?: { eos_token_id?: number | number[] | null } }).generation_config?.eos_token_id;
    return Array.isArray(eos) ? eos : typeof eos === 'number' ? [eos] : [];
  }


  /** Pixel tensors the encoder gets: LFM2-VL's are [tiles, patches, 768], Idefics3's [batch, tiles, 3, 512, 512]. */
  private tileCount(inputs: PreparedInputs['inputs']): number {
    return inputs.pixel_values.dims[this.architecture === 'smolvlm' ? 1 : 0]!;
  }

  private countImageTokens(ids: BigInt64Array): number {
    let count = 0;
    for (const id of ids) if (id === this.imageTokenId) count++;
    return count;
  }

  /**
   * Answers the last user message. A follow-up about the same image and preset continues the
   * stored conversation: its tokens (the model's own answer, not a re-tokenised copy) and decoder
   * state are reused, so only the new turn is prefilled. `reuse: false` recomputes everything
   * from the same tokens, which is how tests show the cache changes nothing but the time.
   */
  async generate(
    messages: ChatMessage[],
    images: RgbImage[],
    options: GenerationOptions,
    onPiece: (text: string, tokenIndex: number) => void,
    stop: InterruptableStoppingCriteria,
    reuse = true,
    /** Find: the answer is held to the box grammar. */
    constrainToBoxes = false,
  ): Promise<VlmAnswer> {
    const key = imageKey(images, options.vision);
    const prepared = await this.inputsFor(messages, images, options, key, reuse);
    const { inputIds } = prepared;
    const room = this.contextLength - inputIds.length;
    if (room < 1) {
      throw new EngineError(
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
    const sampling = resolveSampling(this.recommendedSampling, options.sampling);
    this.visionKey = reuse ? key : undefined;
    this.visionReused = false;
    const inputs = await this.prefillInChunks(prepared.inputs, inputIds);
    const maxNewTokens = Math.min(options.maxNewTokens, room);
    const mask = constrainToBoxes ? new BoxGrammarMask(tokenTable(this.processor.tokenizer as never, this.endIds()), maxNewTokens) : undefined;
    const output = (await this.model.generate({
      ...inputs,
      // TokenSampler draws the token and leaves only it standing; greedy decoding then takes it.
      do_sample: false,
      // Find's answers are held to their box grammar first, then drawn with the model card's sampling.
      logits_processor: mask ? [mask, new TokenSampler(sampling)] : [new TokenSampler(sampling)],
      // The answer is cut where the model's context ends rather than failing inside the runtime.
      max_new_tokens: maxNewTokens,
      streamer: stream,
      stopping_criteria: criteria,
      // Keeps the decoder state for the next question about this image.
      return_dict_in_generate: true,
    } as never)) as { sequences: { data: BigInt64Array }; past_key_values: unknown };
    const finished = performance.now();
    this.cache.remember(key, {
      ids: Array.from(output.sequences.data),
      state: output.past_key_values,
      transcript: [...messages, { role: 'assistant', content: stream.text }],
      tiles: prepared.tiles,
    });
    return {
      text: stream.text,
      promptTokens: inputIds.length,
      imageTokens: this.countImageTokens(inputIds),
      tiles: prepared.tiles,
      generatedTokens: stream.count,
      timeToFirstTokenMs: (firstTokenAt || finished) - started,
      generationMs: finished - started,
      cache: prepared.continued && reuse ? 'conversation' : this.visionReused ? 'vision' : 'none',
      sampling,
      // A Find answer the limit steered to its end was cut by the limit, though the model ended it.
      stopReason: stop.interrupted ? 'stopped' : mask?.boxesBeforeLimit === undefined && (this.endedByModel(output.sequences.data) || stream.count < maxNewTokens) ? 'end' : 'limit',
      ...(mask?.boxesBeforeLimit !== undefined && { boxesBeforeLimit: mask.boxesBeforeLimit }),
    };
  }

  /** The user's question, in this model's tokens, against the limit (the protocol caps characters only). */
  checkQuestion(question: string): void {
    const tokenizer = this.processor.tokenizer as unknown as { encode(text: string, o: object): number[] };
    const tokens = tokenizer.encode(question, { add_special_tokens: false }).length;
    if (tokens <= MAX_QUESTION_TOKENS) return;
    throw new EngineError('BAD_INPUT', `The question is ${tokens.toLocaleString('en')} tokens; Loupe takes up to ${MAX_QUESTION_TOKENS.toLocaleString('en')}. Shorten it.`);
  }

  /**
   * Runs all but the last chunk of the prompt through the decoder, chunk by chunk, and returns
   * inputs that make `generate` continue from there (the same way a follow-up continues a
   * conversation). The image's tokens stay in the first chunk: its features are merged into the
   * embeddings of the call that carries the pixels. Short prompts go to `generate` as they are.
   */
  private async prefillInChunks(inputs: Record<string, unknown>, inputIds: BigInt64Array): Promise<Record<string, unknown>> {
    let cache = inputs.past_key_values as DecoderCache | undefined;
    let done = cache?.get_seq_length() ?? 0;
    const total = inputIds.length;
    const withPixels = done === 0 && 'pixel_values' in inputs;
    let end = withPixels ? Math.max(inputIds.lastIndexOf(this.imageTokenId) + 1, this.prefillChunk) : done + this.prefillChunk;
    if (end >= total) return inputs;
    const { input_ids: _ids, attention_mask: _mask, past_key_values: _cache, ...pixels } = inputs;
    const model = this.model as unknown as {
      forward(inputs: Record<string, unknown>): Promise<Record<string, unknown>>;
      _update_model_kwargs_for_generation(args: object): { past_key_values: DecoderCache };
    };
    while (end < total) {
      const ids = inputIds.subarray(done, end);
      const outputs = await model.forward({
        ...(done === 0 && withPixels ? pixels : {}),
        input_ids: new Tensor('int64', ids, [1, ids.length]),
        attention_mask: ones(end),
        past_key_values: cache ?? null,
        // Only the last position's logits (if the graph can skip the rest): nothing samples from these.
        num_logits_to_keep: new Tensor('int64', [1n], []),
      });
      // transformers.js's own step from outputs to its cache object (present_* to past_*, conv states included).
      cache = model._update_model_kwargs_for_generation({ generated_input_ids: [[0n]], outputs, model_inputs: { past_key_values: cache, attention_mask: ones(end) }, is_encoder_decoder: false }).past_key_values;
      done = end;
      end = Math.min(done + this.prefillChunk, total);
    }
    // The last chunk is prefilled by `generate`, which samples the first answer token from it.
    return { input_ids: new Tensor('int64', inputIds, [1, total]), attention_mask: ones(total), past_key_values: cache };
  }

  /** The model's input: a continued conversation's tokens (with its state when reused), or a fresh prompt. */
  private async inputsFor(messages: ChatMessage[], images: RgbImage[], options: GenerationOptions, key: string, reuse: boolean) {
    const continued = this.cache.continuing(key, messages);
    if (!continued) {
      const { inputs, inputIds } = await this.prepare(messages, images, options);
      return { inputs, inputIds, tiles: this.tileCount(inputs), continued: false };
    }
    const ids = BigInt64Array.from([...continued.ids, ...this.nextTurnIds(continued, messages.at(-1)!)]);
    const sequence = {
      input_ids: new Tensor('int64', ids, [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    };
    if (reuse) return { inputs: { ...sequence, past_key_values: continued.state }, inputIds: ids, tiles: continued.tiles, continued: true };
    // The same tokens computed from scratch: the image goes through the encoder again.
    const { inputs } = await this.prepare(messages.slice(0, 1), images, options);
    return { inputs: { ...inputs, ...sequence }, inputIds: ids, tiles: continued.tiles, continued: true };
  }

  /**
   * The tokens the chat template puts after the stored answer for the new user turn. The answer
   * itself stays as the model generated it; if it ended with the end-of-turn token, the template's
   * own end-of-turn marker is not repeated.
   */
  private nextTurnIds(continued: StoredConversation, next: ChatMessage): bigint[] {
    const marker = '\u2063loupe-answer\u2063';
    const transcript = [...continued.transcript.slice(0, -1), { role: 'assistant' as const, content: marker }, next];
    const rendered = this.processor.apply_chat_template(this.forTemplate(transcript) as never, { add_generation_prompt: true }) as string;
    let tail = rendered.slice(rendered.lastIndexOf(marker) + marker.length);
    const tokenizer = this.processor.tokenizer as unknown as {
      all_special_ids: number[];
      encode(text: string, o: object): number[];
      decode(ids: bigint[], o: object): string;
    };
    const lastId = continued.ids.at(-1)!;
    const lastToken = tokenizer.decode([lastId], { skip_special_tokens: false });
    if (tokenizer.all_special_ids.includes(Number(lastId)) && tail.startsWith(lastToken)) tail = tail.slice(lastToken.length);
    return tokenizer.encode(tail, { add_special_tokens: false }).map(BigInt);
  }

  /**
   * Messages as the chat template gets them: user text kept from forming control tokens, and every
   * content a list of parts (SmolVLM's template reads `content[0].type` and iterates the parts, so
   * a plain-string follow-up would render empty).
   */
  private forTemplate(messages: ChatMessage[]): ChatMessage[] {
    return neutralizeMessages(messages, this.controlTokens).map((message) =>
      typeof message.content === 'string' ? { ...message, content: [{ type: 'text', text: message.content }] } : message,
    );
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

function ones(length: number): Tensor {
  return new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
}
