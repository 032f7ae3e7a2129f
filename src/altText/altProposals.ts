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
}

/** A document whose findings get alt text: its path, its text (for context) and its workspace root. */
export interface ProposalDocument {
  path: string;
  text: string;
  rootDir: string;
}

export interface AltProposal<T extends ImageOccurrence = Finding> {
  finding: T;
  imagePath: string;
  sha256: string;
  alt: string;
}

export type ProposalOutcome<T extends ImageOccurrence = Finding> = { proposal: AltProposal<T>; fromCache: boolean } | { skip: string };

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
    prompt: { language?: string; maxLength: number },
    signal?: AbortSignal,
  ): Promise<ProposalOutcome<T>> {
    const image = await resolveImageFile(finding.src, document.path, document.rootDir);
    if ('problem' in image) return { skip: `not described: ${image.problem}` };
    const sha256 = await this.hasher.hash(image.path);
    const key = { ...(await this.modelIdentity()), sha256, maxLength: prompt.maxLength, language: prompt.language ?? '' };
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.fromCache++;
      return { proposal: { finding, imagePath: image.path, sha256, alt: cached }, fromCache: true };
    }
    let raw: string;
    try {
      raw = await this.generator.generate(
        { imagePath: image.path, task: 'alt-text', documentContext: surroundingContext(document.text, finding), ...prompt },
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      // A broken engine fails every image: stop instead of repeating the same error.
      if (++this.failuresInARow >= MAX_FAILURES_IN_A_ROW) throw new GenerationKeepsFailing(`alt text generation keeps failing: ${(error as Error).message}`);
      return { skip: `generation failed: ${(error as Error).message}` };
    }
    this.failuresInARow = 0;
    this.generated++;
    const alt = normalizeAltText(raw, { maxLength: prompt.maxLength });
    if (!alt) return { skip: `the model's answer is not usable alt text: ${JSON.stringify(raw.slice(0, 80))}` };
    this.cache.set(key, alt);
    return { proposal: { finding, imagePath: image.path, sha256, alt }, fromCache: false };
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
