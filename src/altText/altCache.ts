import { z } from 'zod';
import { readJsonFile, writeJsonFile } from './jsonFile';

const AltCacheSchema = z.object({
  version: z.literal(1),
  /** Keyed by the SHA-256 of the image bytes. */
  entries: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.object({ alt: z.string().min(1), createdAt: z.string() })),
});
type AltCacheData = z.infer<typeof AltCacheSchema>;

/**
 * Generated alt text by image content: the same bytes get the same alt text without running the
 * model again, wherever the image is used and whatever it is called.
 */
export class AltTextCache {
  private dirty = false;

  private constructor(
    readonly path: string,
    private readonly data: AltCacheData,
  ) {}

  static async load(path: string): Promise<AltTextCache> {
    const data = (await readJsonFile(path, AltCacheSchema, 'alt text cache')) ?? { version: 1 as const, entries: {} };
    return new AltTextCache(path, data);
  }

  get(sha256: string): string | undefined {
    return this.data.entries[sha256]?.alt;
  }

  set(sha256: string, alt: string): void {
    this.data.entries[sha256] = { alt, createdAt: new Date().toISOString() };
    this.dirty = true;
  }

  /** Writes the file if anything was added. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    await writeJsonFile(this.path, this.data);
    this.dirty = false;
  }
}
