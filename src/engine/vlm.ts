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
import type { GenerationOptions, VisionBudget } from '../protocol/options';
import type { ChatMessage } from './prompts';
import { EngineFailure } from './engineFailure';
import { NO_SPINNING } from './ortSpinning';
import { renumberTileMarkers, tileMarkerIds, type TileMarkerIds } from './tileMarkers';
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

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
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

interface ImageProcessorKnobs {
  do_resize: boolean;
  max_image_tokens: number;
  min_image_tokens: number;
  do_image_splitting: boolean;
  max_tiles: number;
  min_tiles: number;
  tile_size: number;
  encoder_patch_size: number;
  downsample_factor: number;
  max_num_patches: number;
}

export class VisionLanguageModel {
  private constructor(
    readonly modelDir: string,
    private readonly processor: Processor,
    private readonly model: Model,
    private readonly imageTokenId: bigint,
    /** Longest sequence the decoder accepts (prompt plus answer). */
    private readonly contextLength: number,
    private readonly defaults: ImageProcessorKnobs,
    /** LFM2-VL only: the tile marker tokens, renamed to the Python processor's scheme. */
    private readonly tileMarkers: TileMarkerIds | undefined,
  ) {}

  /** `dtypes`: the ONNX precision of each graph (src/engine/modelFiles.ts). */
  static async load(modelDir: string, dtypes: Record<string, GraphDtype>): Promise<VisionLanguageModel> {
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
    const knobs = processor.image_processor as unknown as ImageProcessorKnobs;
    // transformers.js 4.3.1 applies the generic resize to `size` (512x512) before LFM2-VL's own
    // smart resize and tiling, which squashes every image into one tile. Upstream uses `size` only
    // as the tile size, so the generic resize is switched off (docs/model-contract.md).
    if (typeof knobs.max_image_tokens === 'number') knobs.do_resize = false;
    const contextLength = config.text_config?.max_position_embeddings ?? Number.POSITIVE_INFINITY;
    const markers = typeof knobs.max_image_tokens === 'number' ? tileMarkerIds(processor.tokenizer as never) : undefined;
    return new VisionLanguageModel(modelDir, processor, model, imageTokenId, contextLength, { ...knobs }, markers);
  }

  async generate(
    messages: ChatMessage[],
    image: RgbImage,
    options: GenerationOptions,
    onPiece: (text: string, tokenIndex: number) => void,
    stop: InterruptableStoppingCriteria,
  ): Promise<VlmAnswer> {
    this.applyVisionBudget(options.vision);
    const prompt = this.processor.apply_chat_template(messages as never, { add_generation_prompt: true }) as string;
    const raw = new RawImage(image.data, image.width, image.height, 3);
    // The chat template already starts with the BOS token; adding it again would shift the prompt.
    const inputs = await this.processor(raw, prompt, { add_special_tokens: false });
    const inputIds = inputs.input_ids.data as BigInt64Array;
    if (this.tileMarkers) renumberTileMarkers(inputIds, this.tileMarkers);
    let imageTokens = 0;
    for (const id of inputIds) if (id === this.imageTokenId) imageTokens++;
    const room = this.contextLength - inputIds.length;
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
      tiles: (inputs.pixel_values.dims as number[])[0],
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
    const knobs = this.processor.image_processor as unknown as ImageProcessorKnobs;
    const d = this.defaults;
    // Only the LFM2-VL processor has a tunable vision budget; other families keep their own.
    if (typeof d.max_image_tokens !== 'number') return;
    knobs.max_image_tokens = vision.maxImageTokens;
    knobs.min_image_tokens = Math.min(vision.minImageTokens, vision.maxImageTokens);
    knobs.do_image_splitting = vision.doImageSplitting && vision.maxTiles > 1;
    knobs.max_tiles = vision.maxTiles;
    knobs.min_tiles = Math.min(d.min_tiles, vision.maxTiles);
    // Same formula as the processor's constructor: padding length of every tile's patch list.
    const thumbnailPatches = vision.maxImageTokens * d.downsample_factor ** 2;
    const tilePatches = knobs.do_image_splitting ? (d.tile_size / d.encoder_patch_size) ** 2 : 0;
    knobs.max_num_patches = Math.max(thumbnailPatches, tilePatches);
  }
}
