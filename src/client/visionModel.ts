/**
 * "A vision model" as the panel, the quick fixes, the batch and the CLI ask it: the in-process
 * engine with a model folder (here) or an OpenAI-compatible server (src/remote/remoteVisionModel.ts).
 * Callers hold one of these and never care which.
 */
import type { ModelIdentity } from '../altText/altCache';
import { modelIdentity } from '../altText/altCache';
import type { AltTextGenerator } from '../altText/altProposals';
import type { ImageInput } from '../protocol/engine';
import type { EngineClient, GenerateHandlers, GenerateInput, GenerateResult, Job } from './engineClient';
import { taskRequest, type TaskSettings } from './taskPolicy';

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

/** What the alt-text pipeline needs to ask a vision model, from the CLI or the extension. */
export interface AltTextSource {
  /** The model answers come from now (the extension asks each time: the user may switch it). */
  model(): Promise<VisionModel>;
  /** Answers asked at once (the batch's concurrency). */
  readonly concurrency: number;
  /** Read for every image, so a changed setting applies to the next one. */
  settings(): Omit<TaskSettings, 'altTextMaxLength' | 'language'>;
  /** The image as the model gets it; by default its path (the extension reads through VS Code's file system). */
  image?(path: string): Promise<ImageInput>;
}

/** The one adapter from a vision model to the alt-text pipeline (src/altText/altProposals.ts): one answer per image, cancellable. */
export function altTextGeneratorFor(source: AltTextSource): AltTextGenerator {
  return {
    get concurrency() {
      return source.concurrency;
    },
    // Answers with the default sampling are reproducible (fixed seed); other sampling is another cache entry.
    model: async () => {
      const identity = await (await source.model()).identity();
      const sampling = source.settings().sampling ?? {};
      return Object.keys(sampling).length > 0 ? { ...identity, precision: `${identity.precision} · sampling ${JSON.stringify(sampling)}` } : identity;
    },
    generate: async (request, signal) => {
      const model = await source.model();
      const asked = taskRequest(request.task, { ...source.settings(), altTextMaxLength: request.maxLength, language: request.language }, true);
      const image = source.image ? await source.image(request.imagePath) : { kind: 'path' as const, path: request.imagePath };
      const job = model.ask({ ...asked, image, documentContext: request.documentContext });
      const cancel = () => job.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        return (await job.result).text;
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    },
  };
}
