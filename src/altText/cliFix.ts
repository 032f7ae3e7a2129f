import { createTwoFilesPatch } from 'diff';
import { isAbsolute, join } from 'node:path';
import { AltTextCache, defaultAltCachePath } from './altCache';
import { applyTextEdits, fillAltEdit, type TextEdit } from './altEdits';
import { AltTextProposer, type AltTextGenerator } from './altProposals';
import { displayPath, fileProblem, type FileProblem } from './cliCheck';
import type { DecodedDocument } from './documentEncoding';
import { expandDocumentPatterns, readDocument } from './documentFiles';
import { findingsFor, type Finding } from './findings';
import { altTextLanguage } from './documentLanguage';
import { ImageHasher } from './imageFiles';
import { assertWritable, writeEditsInPlace } from './documentWrite';
import { scanImages, scanTargetFor } from './scanDocument';
import { AltTextRecords, DEFAULT_ALT_RECORDS_PATH, staleFindings } from './staleAlt';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';


export interface FixOptions {
  cwd?: string;
  /** Change nothing on disk except the generation cache; return the changes as a unified diff. */
  dryRun?: boolean;
  /** Generation cache (relative to `cwd`), default the per-user one shared with the editor (altCache.ts). */
  cachePath?: string;
  /** Alt text records for stale checks (relative to `cwd`), default `.loupe/alt-text.json`. */
  recordsPath?: string;
  /**
   * Record what was written in the records (default true, creating the file if needed; the editor
   * asks first, the CLI is run on purpose). `--no-records` turns it off; stale checks still read them.
   */
  writeRecords?: boolean;
  /** Longest alt text asked for and written (default 125). */
  maxLength?: number;
  /** Language of the alt text; default each document's declared one, else the engine's. */
  language?: string;
  /** Folders outside `cwd` images may be read from (and sent to a model server). */
  imageFolders?: readonly string[];
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
  /**
   * Files left unchanged as a whole: unreadable, read-only, not UTF-8 or UTF-16, too large,
   * invalid MDX, or edited meanwhile where Loupe's edits go. The CLI exits 2 when there are any.
   */
  problems: FileProblem[];
  /** What failed after the documents were written (the cache, the records): the fix itself stands. */
  warnings: string[];
}

interface Written {
  imagePath: string;
  sha256: string;
  alt: string;
}

/**
 * Fills missing or poor alt text in the documents the patterns name. Images are described once
 * per content hash (cached); running it again changes nothing, as fixed images are no longer
 * findings. Generation takes seconds per image, so each file is read again just before it is
 * written: edits made meanwhile are kept, and Loupe's edits go onto the current text when the
 * lines they touch are unchanged (else the file is left alone and reported). Files are replaced
 * atomically, in their own encoding.
 */
export async function fixPaths(patterns: readonly string[], generate: AltTextGenerator, options: FixOptions = {}): Promise<FixResult> {
  const cwd = options.cwd ?? process.cwd();
  const files = await expandDocumentPatterns(patterns, cwd);
  const result: FixResult = { files, changedFiles: [], diff: '', written: 0, generated: 0, fromCache: 0, skipped: [], problems: [], warnings: [] };
  const cachePath = options.cachePath ? resolveFrom(cwd, options.cachePath) : defaultAltCachePath();
  const cache = await AltTextCache.load(cachePath).catch((error: unknown) => {
    result.warnings.push(`${(error as Error).message}; this run goes without the cache`);
    return AltTextCache.empty(cachePath);
  });
  const records = await AltTextRecords.load(options.recordsPath ?? DEFAULT_ALT_RECORDS_PATH, cwd);
  const hasher = new ImageHasher();
  const proposer = new AltTextProposer(generate, cache, hasher);
  const maxLength = options.maxLength ?? DEFAULT_ALT_MAX_LENGTH;
  const imageFolders = options.imageFolders?.map((folder) => resolveFrom(cwd, folder));
  const written: Written[] = [];

  const documents: Array<{ file: string; read: DecodedDocument; findings: Finding[] }> = [];
  for (const file of files) {
    try {
      // A file Loupe may not write costs no model time (and a dry run shows what a run would do).
      await assertWritable(file);
      const read = await readDocument(file);
      const occurrences = scanImages(read.text, file, scanTargetFor(file)!);
      const findings = findingsFor(occurrences);
      if (options.includeStale) {
        findings.push(...(await staleFindings(occurrences, records, { documentPath: file, rootDir: cwd, imageFolders, hashFile: (path) => hasher.hash(path) })));
      }
      documents.push({ file, read, findings });
    } catch (error) {
      result.problems.push(fileProblem(file, error));
    }
  }

  const total = documents.reduce((sum, document) => sum + document.findings.length, 0);
  let done = 0;
  // All images are asked for up front (as many at once as the model takes); documents are written
  // in order as soon as their own images are answered.
  const outcomes = proposer.proposeMany(
    documents.flatMap(({ file, read, findings }) => {
      const prompt = { maxLength, language: altTextLanguage(options.language, read.text) };
      return findings.map((finding) => ({ finding, document: { path: file, text: read.text, rootDir: cwd, imageFolders }, prompt }));
    }),
  );
  try {
    for (const { file, read, findings } of documents) {
      const edits: TextEdit[] = [];
      const pending: Written[] = [];
      for (const finding of findings) {
        const outcome = await outcomes[done++]!;
        if ('skip' in outcome) result.skipped.push({ file, line: finding.line, column: finding.column, reason: outcome.skip });
        else {
          const { imagePath, sha256, alt } = outcome.proposal;
          edits.push(fillAltEdit(finding, alt));
          pending.push({ imagePath, sha256, alt });
        }
        options.onProgress?.({ done, total, finding, fromCache: 'proposal' in outcome && outcome.fromCache });
      }
      if (edits.length === 0) continue;
      let change: { before: string; after: string };
      try {
        change = options.dryRun ? { before: read.text, after: applyTextEdits(read.text, edits) } : await writeEditsInPlace(file, read, edits);
      } catch (error) {
        result.problems.push(fileProblem(file, error));
        continue;
      }
      if (change.after === change.before) continue;
      const name = displayPath(file, cwd);
      result.changedFiles.push(file);
      result.written += edits.length;
      result.diff += createTwoFilesPatch(`a/${name}`, `b/${name}`, change.before, change.after);
      written.push(...pending);
    }
  } finally {
    // Model results and what was written are kept even when a later image fails (or in a dry
    // run, for the cache): the work is not lost. A cache or record that cannot be saved does not
    // undo a fix already written: it is a warning.
    result.generated = proposer.generated;
    result.fromCache = proposer.fromCache;
    await proposer.save().catch((error: unknown) => result.warnings.push(`the alt text cache was not saved (${(error as Error).message}); the next run asks the model again`));
    if (!options.dryRun && options.writeRecords !== false) {
      // The records live in the repository: images from folders outside it are not named there.
      for (const { imagePath, sha256, alt } of written) if (records.covers(imagePath)) records.record(imagePath, sha256, alt);
      await records.save().catch((error: unknown) => result.warnings.push(`the alt text records were not saved (${(error as Error).message}); stale alt text in these files will not be detected`));
    }
  }
  return result;
}

function resolveFrom(cwd: string, path: string): string {
  return isAbsolute(path) ? path : join(cwd, path);
}
