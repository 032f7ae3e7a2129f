/**
 * The one alt-text pipeline: findings in, proposals out. The CLI writes proposals to disk; the
 * editor's batch and quick fix turn them into a WorkspaceEdit. The cache, the generator, the
 * length the prompt asks for and the failure policy are therefore the same everywhere.
 */
import { AltTextCache, type ModelIdentity } from './altCache';
import { normalizeAltText, surroundingContext } from './altQuality';
import type { Finding, ImageOccurrence } from './findings';
import { ImageHasher, resolveImageFile } from './imageFiles';

export type AltTextTask = 'alt-text' | 'describe-diagram';

/** One question to the model about one image. */
export interface AltTextRequest {
  imagePath: string;
  task: AltTextTask;
  /** The prose around the image, for the prompt. */
  documentContext: string;
  /** The answer's language (altTextLanguage in documentLanguage.ts); undefined: the engine's default. */
  language?: string;
  /** The longest alt text wanted: the prompt asks for it, and longer answers are shortened. */
  maxLength: number;
}

/** The model behind the CLI, the quick fixes and the batch. */
export interface AltTextGenerator {
  /** The model the answers come from (part of the cache key); throws when there is none. */
  model(): Promise<ModelIdentity>;
  /** The raw answer; `signal` cancels it. */
  generate(request: AltTextRequest, signal?: AbortSignal): Promise<string>;
  /** Requests it answers at once: 1 for the local engine, more for a server that batches. */
  concurrency?: number;
}

/** A document whose findings get alt text: its path, its text (for context) and its workspace root. */
export interface ProposalDocument {
  path: string;
  text: string;
  rootDir: string;
  /** Folders outside `rootDir` the user allowed images from (the CLI's --allow-images-from). */
  imageFolders?: readonly string[];
}

export interface AltProposal<T extends ImageOccurrence = Finding> {
  finding: T;
  imagePath: string;
  sha256: string;
  alt: string;
}

export type ProposalOutcome<T extends ImageOccurrence = Finding> = { proposal: AltProposal<T>; fromCache: boolean } | { skip: string };

/** What the prompt asks for: length and language, and for "Refine alt text" the alt text to improve on. */
/** One image to propose alt text for: `propose`'s arguments, for `proposeMany`. */
export interface ProposalRequest<T extends ImageOccurrence = Finding> {
  finding: T;
  document: ProposalDocument;
  prompt: ProposalPrompt;
}

export interface ProposalPrompt {
  language?: string;
  maxLength: number;
  /** The image's current alt text: the model gets it as context and is asked for a better one. */
  refine?: string;
}

/**
 * The prose around the image, and for a refinement the current alt text. The engine's prompt has
 * one slot for document context, so the current alt text is named there, as what to improve on.
 */
function proposalContext(text: string, image: ImageOccurrence, refine: string | undefined): string {
  const context = surroundingContext(text, image);
  if (refine === undefined) return context;
  return `${context}\nThe image's current alt text, to be improved (more specific, what the image shows and is for): "${refine.trim()}"`;
}

/** Consecutive model failures after which the engine is assumed unusable (no model installed, …). */
const MAX_FAILURES_IN_A_ROW = 3;

/** The failure policy's stop: the run ends, and what was proposed before it is kept. */
export class GenerationKeepsFailing extends Error {}

/**
 * Proposes alt text finding by finding: from the cache, else from the model, post-processed to
 * the length asked for. One instance per run, so failures in a row are counted across documents.
 */
export class AltTextProposer {
  generated = 0;
  fromCache = 0;
  private failuresInARow = 0;
  private identity: Promise<ModelIdentity> | undefined;
  /** Answers being generated, by cache key: the same image used many times is asked about once. */
  private readonly inFlight = new Map<string, Promise<string | { skip: string }>>();

  constructor(
    private readonly generator: AltTextGenerator,
    private readonly cache: AltTextCache,
    private readonly hasher = new ImageHasher(),
  ) {}

  /**
   * Alt text for one image of `document` (a finding, or an image whose alt text is stale), or why there is none. A model failure is a skip, until
   * MAX_FAILURES_IN_A_ROW of them end the run with GenerationKeepsFailing.
   */
  async propose<T extends ImageOccurrence>(
    finding: T,
    document: ProposalDocument,
    prompt: ProposalPrompt,
    signal?: AbortSignal,
  ): Promise<ProposalOutcome<T>> {
    const { refine, ...asked } = prompt;
    const image = await resolveImageFile(finding.src, document.path, document.rootDir, document.imageFolders);
    if ('problem' in image) return { skip: `not described: ${image.problem}` };
    const sha256 = await this.hasher.hash(image.path);
    const key = { ...(await this.modelIdentity()), sha256, maxLength: asked.maxLength, language: asked.language ?? '', ...(refine === undefined ? {} : { refines: refine }) };
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.fromCache++;
      return { proposal: { finding, imagePath: image.path, sha256, alt: cached }, fromCache: true };
    }
    const id = JSON.stringify(key);
    const shared = this.inFlight.get(id);
    if (shared) {
      // The same bytes under this prompt are being described already: one model call for all uses.
      const answer = await shared;
      if (typeof answer !== 'string') return answer;
      this.fromCache++;
      return { proposal: { finding, imagePath: image.path, sha256, alt: answer }, fromCache: true };
    }
    const answer = this.generate({ imagePath: image.path, task: 'alt-text', documentContext: proposalContext(document.text, finding, refine), ...asked }, signal);
    this.inFlight.set(id, answer);
    try {
      const alt = await answer;
      if (typeof alt !== 'string') return alt;
      this.cache.set(key, alt);
      return { proposal: { finding, imagePath: image.path, sha256, alt }, fromCache: false };
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Normalized alt text from the model, or why there is none. */
  private async generate(request: AltTextRequest, signal?: AbortSignal): Promise<string | { skip: string }> {
    let raw: string;
    try {
      raw = await this.generator.generate(request, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      // A broken engine fails every image: stop instead of repeating the same error.
      if (++this.failuresInARow >= MAX_FAILURES_IN_A_ROW) throw new GenerationKeepsFailing(`alt text generation keeps failing: ${(error as Error).message}`);
      return { skip: `generation failed: ${(error as Error).message}` };
    }
    this.failuresInARow = 0;
    this.generated++;
    const alt = normalizeAltText(raw, { maxLength: request.maxLength });
    return alt || { skip: `the model's answer is not usable alt text: ${JSON.stringify(raw.slice(0, 80))}` };
  }

  /**
   * Proposals for many images, in the order given, with as many model calls in flight as the
   * generator takes (a server answers several at once). After GenerationKeepsFailing no new ones
   * start. Every promise is marked handled, so a caller may stop awaiting at the first failure.
   */
  proposeMany<T extends ImageOccurrence>(requests: readonly ProposalRequest<T>[], signal?: AbortSignal): Promise<ProposalOutcome<T>>[] {
    const limit = Math.max(1, this.generator.concurrency ?? 1);
    let running = 0;
    const waiting: (() => void)[] = [];
    let stopped: GenerationKeepsFailing | undefined;
    const acquire = () => (running < limit ? (running++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
    const release = () => {
      const next = waiting.shift();
      if (next) next();
      else running--;
    };
    return requests.map((request) => {
      const outcome = acquire().then(async () => {
        try {
          if (stopped) throw stopped;
          return await this.propose(request.finding, request.document, request.prompt, signal);
        } catch (error) {
          if (error instanceof GenerationKeepsFailing) stopped ??= error;
          throw error;
        } finally {
          release();
        }
      });
      outcome.catch(() => undefined);
      return outcome;
    });
  }

  save(): Promise<void> {
    return this.cache.save();
  }

  private modelIdentity(): Promise<ModelIdentity> {
    this.identity ??= this.generator.model();
    return this.identity;
  }
}

/** Raw text for a "Describe diagram" request: not alt text, so neither cached nor shortened. */
export function describeRequest(image: ImageOccurrence, imagePath: string, documentText: string, prompt: { language?: string; maxLength: number }): AltTextRequest {
  return { imagePath, task: 'describe-diagram', documentContext: surroundingContext(documentText, image), ...prompt };
}
