import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readInstalledMarker } from '../modelFolder/installedMarker';
import { readJsonFile, writeJsonFile } from './jsonFile';

/** Which model wrote an answer: another model or precision describes the same image differently. */
export interface ModelIdentity {
  model: string;
  precision: string;
}

/** Everything that decides the model's answer for one image, and so the cache entry. */
export interface AltCacheKey extends ModelIdentity {
  /** SHA-256 of the image bytes. */
  sha256: string;
  /** The prompt's inputs beyond the image: the longest alt text asked for and its language. */
  maxLength: number;
  language: string;
  /** "Refine alt text": the alt text the answer improves on (another prompt, so another entry). */
  refines?: string;
}

const EntrySchema = z.object({
  alt: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  model: z.string(),
  precision: z.string(),
  maxLength: z.number(),
  language: z.string(),
  refines: z.string().optional(),
  createdAt: z.string(),
});
const AltCacheSchema = z.object({
  version: z.literal(2),
  entries: z.record(z.string(), EntrySchema),
});
type AltCacheData = z.infer<typeof AltCacheSchema>;

/**
 * The one cache file, per user, shared by the CLI and the extension: `$LOUPE_HOME/alt-text-cache.json`,
 * else `~/.cache/loupe/alt-text-cache.json` (beside the CLI's models). It stays out of
 * repositories; the records meant to be committed are `.loupe/alt-text.json` (staleAlt.ts).
 */
export function defaultAltCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOUPE_HOME ? join(env.LOUPE_HOME, 'alt-text-cache.json') : join(homedir(), '.cache', 'loupe', 'alt-text-cache.json');
}

/**
 * A model folder's identity for the cache: the installed model id, revision and selected
 * precision, or for a plain folder (`--model <dir>`) its path.
 */
export async function modelIdentity(modelDir: string): Promise<ModelIdentity> {
  const marker = await readInstalledMarker(modelDir);
  return marker ? { model: `${marker.modelId}@${marker.revision}`, precision: marker.precision } : { model: resolve(modelDir), precision: 'as found' };
}

function entryId(key: AltCacheKey): string {
  const parts: (string | number)[] = [key.sha256, key.model, key.precision, key.maxLength, key.language];
  // Only refinements add a part, so entries written before refinements existed keep their ids.
  if (key.refines !== undefined) parts.push(key.refines);
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Generated alt text by image content and prompt: the same bytes get the same alt text without
 * running the model again, wherever the image is used and whatever it is called, as long as the
 * model, its precision, the length and the language asked for are the same.
 */
export class AltTextCache {
  private dirty = false;

  private constructor(
    readonly path: string,
    private readonly data: AltCacheData,
  ) {}

  static async load(path: string): Promise<AltTextCache> {
    const data = (await readJsonFile(path, AltCacheSchema, 'alt text cache')) ?? { version: 2 as const, entries: {} };
    return new AltTextCache(path, data);
  }

  /** A cache with nothing in it, for a run whose cache file cannot be read: it is only a cache. */
  static empty(path: string): AltTextCache {
    return new AltTextCache(path, { version: 2, entries: {} });
  }

  get(key: AltCacheKey): string | undefined {
    return this.data.entries[entryId(key)]?.alt;
  }

  set(key: AltCacheKey, alt: string): void {
    this.data.entries[entryId(key)] = { alt, ...key, createdAt: new Date().toISOString() };
    this.dirty = true;
  }

  /**
   * Writes the file if anything was added, first taking in entries another process (the CLI
   * beside the editor) saved meanwhile, so neither loses the other's answers.
   */
  async save(): Promise<void> {
    if (!this.dirty) return;
    const onDisk = await readJsonFile(this.path, AltCacheSchema, 'alt text cache').catch(() => undefined);
    if (onDisk) this.data.entries = { ...onDisk.entries, ...this.data.entries };
    await writeJsonFile(this.path, this.data);
    this.dirty = false;
  }
}
