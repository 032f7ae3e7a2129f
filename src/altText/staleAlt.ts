/**
 * Which alt texts Loupe wrote, for which image content. When an image file changes afterwards,
 * its alt text may no longer fit: those images are reported as 'stale'.
 *
 * The records live in the workspace (default `.loupe/alt-text.json`) rather than in editor
 * storage so they can be committed: a teammate who replaces an image then sees the warning too.
 * Keys are image paths relative to the workspace root, with `/` separators.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { classifyOccurrence, toFinding, type Finding, type ImageOccurrence } from './findings';
import { isInside, resolveImageFile } from './imageFiles';
import { readJsonFile, writeJsonFile } from './jsonFile';

export const DEFAULT_ALT_RECORDS_PATH = join('.loupe', 'alt-text.json');

const AltRecordsSchema = z.object({
  version: z.literal(1),
  images: z.record(
    z.string(),
    z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), alt: z.string(), recordedAt: z.string() }),
  ),
});
type AltRecordsData = z.infer<typeof AltRecordsSchema>;
export type AltRecord = AltRecordsData['images'][string];

export class AltTextRecords {
  private dirty = false;

  private constructor(
    readonly path: string,
    readonly rootDir: string,
    private readonly data: AltRecordsData,
  ) {}

  /** Loads `path` (relative paths are taken from `rootDir`); a missing file is an empty store. */
  static async load(path: string, rootDir: string): Promise<AltTextRecords> {
    const absolute = isAbsolute(path) ? path : join(rootDir, path);
    const data = (await readJsonFile(absolute, AltRecordsSchema, 'alt text record')) ?? { version: 1 as const, images: {} };
    return new AltTextRecords(absolute, rootDir, data);
  }

  keyFor(imagePath: string): string {
    return relative(this.rootDir, imagePath).split(sep).join('/');
  }

  /** Whether the image lies under the root, where a record can name it without leaving the repository. */
  covers(imagePath: string): boolean {
    return isInside(this.rootDir, imagePath);
  }

  get(imagePath: string): AltRecord | undefined {
    return this.data.images[this.keyFor(imagePath)];
  }

  /** Notes that Loupe wrote `alt` for the image whose content hash is `sha256`. */
  record(imagePath: string, sha256: string, alt: string): void {
    this.data.images[this.keyFor(imagePath)] = { sha256, alt, recordedAt: new Date().toISOString() };
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await writeJsonFile(this.path, this.data);
    this.dirty = false;
  }
}

export interface StaleCheckOptions {
  documentPath: string;
  rootDir: string;
  /** Folders outside the root images may come from (the CLI's --allow-images-from). */
  imageFolders?: readonly string[];
  hashFile(path: string): Promise<string>;
}

/**
 * 'stale' findings: images still carrying the alt text Loupe wrote, whose file content differs
 * from when Loupe wrote it. Images without a record, whose alt text was since edited by someone,
 * or whose file is gone, are not stale.
 */
export async function staleFindings(occurrences: readonly ImageOccurrence[], records: AltTextRecords, options: StaleCheckOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const occurrence of occurrences) {
    if (occurrence.altState !== 'text' || !occurrence.alt?.trim() || classifyOccurrence(occurrence)) continue;
    const image = await resolveImageFile(occurrence.src, options.documentPath, options.rootDir, options.imageFolders);
    if (!('path' in image)) continue;
    const record = records.get(image.path);
    // Only Loupe's own text: alt text an author wrote or rewrote is theirs to maintain.
    if (!record || record.alt.trim() !== occurrence.alt.trim()) continue;
    const sha256 = await options.hashFile(image.path).catch(() => undefined);
    if (sha256 && sha256 !== record.sha256) findings.push(toFinding(occurrence, 'stale'));
  }
  return findings;
}
