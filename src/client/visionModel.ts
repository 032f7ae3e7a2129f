/**
 * "A vision model" as the panel, the quick fixes, the batch and the CLI ask it: the in-process
 * engine with a model folder (here) or an OpenAI-compatible server (src/remote/remoteVisionModel.ts).
 * Callers hold one of these and never care which.
 */
import type { ModelIdentity } from '../altText/altCache';
import { modelIdentity } from '../altText/altCache';
import type { AltTextGenerator } from '../altText/altProposals';
import type { GenerationOptions } from '../protocol/options';
import type { EngineClient, GenerateHandlers, GenerateInput, GenerateResult, Job } from './engineClient';

/** One question: everything a `generate` carries except where the model lives. */
export type AskInput = Omit<GenerateInput, 'modelDir'>;

export interface VisionModel {
  /** Where answers come from, in words for the status bar and the CLI. */
  readonly description: string;
  /** Answers run here at most this many at a time (the local engine: one; a server: its batching). */
  readonly concurrency: number;
  ask(input: AskInput, handlers?: GenerateHandlers): Job<GenerateResult>;
  /** Which model answers, for cache keys: another model describes the same image differently. */
  identity(): Promise<ModelIdentity>;
}

export class LocalVisionModel implements VisionModel {
  readonly concurrency = 1;

  constructor(
    private readonly engine: Pick<EngineClient, 'generate'>,
    private readonly modelDir: string,
    readonly description = 'the model on this machine',
  ) {}

  ask(input: AskInput, handlers?: GenerateHandlers): Job<GenerateResult> {
    return this.engine.generate({ ...input, modelDir: this.modelDir }, handlers);
  }

  identity(): Promise<ModelIdentity> {
    return modelIdentity(this.modelDir);
  }
}

/** The alt-text pipeline's view of a vision model (src/altText/altProposals.ts): one answer per image, cancellable. */
export function altTextGeneratorFor(model: VisionModel, options: GenerationOptions): AltTextGenerator {
  return {
    concurrency: model.concurrency,
    // Answers with the default sampling are reproducible (fixed seed); other sampling is another cache entry.
    model: async () => {
      const identity = await model.identity();
      const sampling = Object.keys(options.sampling).length > 0 ? ` · sampling ${JSON.stringify(options.sampling)}` : '';
      return { ...identity, precision: `${identity.precision}${sampling}` };
    },
    generate: async (request, signal) => {
      const job = model.ask({
        task: request.task,
        image: { kind: 'path', path: request.imagePath },
        documentContext: request.documentContext,
        language: request.language,
        altTextMaxLength: request.maxLength,
        options,
      });
      signal?.addEventListener('abort', () => job.cancel(), { once: true });
      return (await job.result).text;
    },
  };
}
