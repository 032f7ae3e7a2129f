import { createTwoFilesPatch } from 'diff';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { AltTextCache } from './altCache';
import { applyTextEdits, fillAltEdit, type TextEdit } from './altEdits';
import { normalizeAltText, surroundingContext } from './altQuality';
import { displayPath } from './cliCheck';
import { expandDocumentPatterns, readDocument } from './documentFiles';
import { findingsFor, type Finding } from './findings';
import { ImageHasher, resolveImageFile } from './imageFiles';
import { DocumentParseError } from './parseError';
import { scanImages, scanTargetFor } from './scanDocument';
import { AltTextRecords, DEFAULT_ALT_RECORDS_PATH, staleFindings } from './staleAlt';

/** Consecutive generation failures after which the engine is assumed unusable (no model, …). */
const MAX_FAILURES_IN_A_ROW = 3;

/** Default generation cache, relative to `cwd`. Content-keyed, so safe to commit or to ignore. */
export const DEFAULT_ALT_CACHE_PATH = join('.loupe', 'alt-cache.json');

/**
 * Produces alt text for one finding: the raw model answer for the image at `imageAbsPath`, with
 * `context` (the prose around the image) for the prompt. Its output is post-processed and escaped.
 */
export type AltTextGenerator = (finding: Finding, imageAbsPath: string, context: string) => Promise<string>;

export interface FixOptions {
  cwd?: string;
  /** Change nothing on disk except the generation cache; return the changes as a unified diff. */
  dryRun?: boolean;
  /** Generation cache (relative to `cwd`), default `.loupe/alt-cache.json`. */
  cachePath?: string;
  /** Alt text records for stale checks (relative to `cwd`), default `.loupe/alt-text.json`. */
  recordsPath?: string;
  /** Longest alt text written (default 125). */
  maxLength?: number;
  /** Also rewrite alt text of images that changed since Loupe wrote it. */
  includeStale?: boolean;
  onProgress?(progress: { done: number; total: number; finding: Finding; fromCache: boolean }): void;
}

export interface FixSkip {
  file: string;
  line: number;
  column: number;
  reason: string;
}

export interface FixResult {
  files: string[];
  changedFiles: string[];
  /** Unified diff of every change (also when not a dry run). */
  diff: string;
  /** Alt texts written (or, in a dry run, that would be). */
  written: number;
  /** Model calls made; the rest came from the cache. */
  generated: number;
  fromCache: number;
  skipped: FixSkip[];
}

interface Written {
  imagePath: string;
  sha256: string;
  alt: string;
}

/**
 * Fills missing or poor alt text in the documents the patterns name. Images are described once
 * per content hash (cached), edits are applied bottom-up per file, and running it again changes
 * nothing: fixed images are no longer findings.
 */
export async function fixPaths(patterns: readonly string[], generate: AltTextGenerator, options: FixOptions = {}): Promise<FixResult> {
  const cwd = options.cwd ?? process.cwd();
  const files = await expandDocumentPatterns(patterns, cwd);
  const cache = await AltTextCache.load(resolveFrom(cwd, options.cachePath ?? DEFAULT_ALT_CACHE_PATH));
  const records = await AltTextRecords.load(options.recordsPath ?? DEFAULT_ALT_RECORDS_PATH, cwd);
  const hasher = new ImageHasher();
  const result: FixResult = { files, changedFiles: [], diff: '', written: 0, generated: 0, fromCache: 0, skipped: [] };
  const written: Written[] = [];

  const documents: Array<{ file: string; text: string; bom: string; findings: Finding[] }> = [];
  for (const file of files) {
    const { text, bom } = await readDocument(file);
    try {
      const occurrences = scanImages(text, file, scanTargetFor(file)!);
      const findings = findingsFor(occurrences);
      if (options.includeStale) {
        findings.push(...(await staleFindings(occurrences, records, { documentPath: file, rootDir: cwd, hashFile: (path) => hasher.hash(path) })));
      }
      documents.push({ file, text, bom, findings });
    } catch (error) {
      if (!(error instanceof DocumentParseError)) throw error;
      result.skipped.push({ file, line: error.line, column: error.column, reason: `cannot parse: ${error.reason}` });
    }
  }

  const total = documents.reduce((sum, document) => sum + document.findings.length, 0);
  let done = 0;
  let failuresInARow = 0;
  try {
    for (const { file, text, bom, findings } of documents) {
      const edits: TextEdit[] = [];
      const pending: Written[] = [];
      for (const finding of findings) {
        const skip = (reason: string) => result.skipped.push({ file, line: finding.line, column: finding.column, reason });
        const image = await resolveImageFile(finding.src, file, cwd);
        let alt: string | undefined;
        let fromCache = false;
        if ('path' in image) {
          const sha256 = await hasher.hash(image.path);
          alt = cache.get(sha256);
          fromCache = alt !== undefined;
          if (fromCache) result.fromCache++;
          else {
            try {
              const raw = await generate(finding, image.path, surroundingContext(text, finding));
              failuresInARow = 0;
              result.generated++;
              alt = normalizeAltText(raw, { maxLength: options.maxLength });
              if (alt) cache.set(sha256, alt);
              else skip(`the model's answer is not usable alt text: ${JSON.stringify(raw.slice(0, 80))}`);
            } catch (error) {
              // A broken engine fails every image: stop instead of repeating the same error.
              if (++failuresInARow >= MAX_FAILURES_IN_A_ROW) throw new Error(`alt text generation keeps failing: ${(error as Error).message}`);
              skip(`generation failed: ${(error as Error).message}`);
            }
          }
          if (alt) {
            edits.push(fillAltEdit(finding, alt));
            pending.push({ imagePath: image.path, sha256, alt });
          }
        } else {
          skip(`not described: ${image.problem}`);
        }
        options.onProgress?.({ done: ++done, total, finding, fromCache });
      }
      if (edits.length === 0) continue;
      const updated = applyTextEdits(text, edits);
      if (updated === text) continue;
      const name = displayPath(file, cwd);
      result.changedFiles.push(file);
      result.written += edits.length;
      result.diff += createTwoFilesPatch(`a/${name}`, `b/${name}`, text, updated);
      if (options.dryRun) continue;
      await writeFile(file, bom + updated);
      written.push(...pending);
    }
  } finally {
    // Model results and what was written are kept even when a later image fails (or in a dry
    // run, for the cache): the work is not lost.
    await cache.save();
    for (const { imagePath, sha256, alt } of written) records.record(imagePath, sha256, alt);
    await records.save();
  }
  return result;
}

function resolveFrom(cwd: string, path: string): string {
  return isAbsolute(path) ? path : join(cwd, path);
}
