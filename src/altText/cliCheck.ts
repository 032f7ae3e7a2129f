import { relative, sep } from 'node:path';
import { findingsFor, type Finding } from './findings';
import { expandDocumentPatterns, readDocument } from './documentFiles';
import { ImageHasher } from './imageFiles';
import { DocumentError } from './documentErrors';
import { scanImages, scanTargetFor } from './scanDocument';
import { AltTextRecords, DEFAULT_ALT_RECORDS_PATH, staleFindings } from './staleAlt';

export interface CheckOptions {
  /**
   * Loupe's alt text records (relative to `cwd`), for 'stale' findings; default
   * `.loupe/alt-text.json`. `false` skips the stale check.
   */
  recordsPath?: string | false;
}

/**
 * A file that could not be checked or fixed as a whole: unreadable, not UTF-8 or UTF-16, over the
 * size limit, invalid MDX, or (fix) changed while the model worked.
 */
export interface FileProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface CheckReport {
  files: string[];
  findings: Finding[];
  problems: FileProblem[];
  /** `path:line:col: message`, one per finding and problem, in file order. */
  lines: string[];
  /** Whether any image lacks useful alt text. */
  found: boolean;
  /** 0: all good; 1: findings; 2: some file could not be checked. */
  exitCode: 0 | 1 | 2;
}

/** Checks every document the patterns name (see expandDocumentPatterns) and formats the result. */
export async function runCheck(patterns: readonly string[], cwd: string, options: CheckOptions = {}): Promise<CheckReport> {
  const files = await expandDocumentPatterns(patterns, cwd);
  const records = options.recordsPath === false ? undefined : await AltTextRecords.load(options.recordsPath ?? DEFAULT_ALT_RECORDS_PATH, cwd);
  const hasher = new ImageHasher();
  const findings: Finding[] = [];
  const problems: FileProblem[] = [];
  const lines: string[] = [];

  for (const file of files) {
    try {
      const { text } = await readDocument(file);
      const occurrences = scanImages(text, file, scanTargetFor(file)!);
      const fileFindings = findingsFor(occurrences);
      if (records) {
        fileFindings.push(...(await staleFindings(occurrences, records, { documentPath: file, rootDir: cwd, hashFile: (path) => hasher.hash(path) })));
      }
      fileFindings.sort((a, b) => a.start.offset - b.start.offset);
      findings.push(...fileFindings);
      lines.push(...fileFindings.map((finding) => formatFinding(finding, cwd)));
    } catch (error) {
      const problem = fileProblem(file, error);
      problems.push(problem);
      lines.push(`${displayPath(file, cwd)}:${problem.line}:${problem.column}: ${problem.message}`);
    }
  }
  const exitCode = problems.length > 0 ? 2 : findings.length > 0 ? 1 : 0;
  return { files, findings, problems, lines, found: findings.length > 0, exitCode };
}

/** The findings for the documents the patterns name; throws when a file cannot be checked. */
export async function checkPaths(patterns: readonly string[], cwd: string, options: CheckOptions = {}): Promise<Finding[]> {
  const report = await runCheck(patterns, cwd, options);
  if (report.problems.length > 0) {
    throw new Error(report.problems.map((problem) => `${displayPath(problem.file, cwd)}:${problem.line}:${problem.column}: ${problem.message}`).join('\n'));
  }
  return report.findings;
}

/** What went wrong with a whole file, positioned where the error says (else at its start). */
export function fileProblem(file: string, error: unknown): FileProblem {
  if (error instanceof DocumentError) return { file, line: error.line, column: error.column, message: error.reason };
  return { file, line: 1, column: 1, message: `cannot check: ${(error as Error).message}` };
}

/** `path:line:col: message`, the path relative to `cwd` with `/` separators (editors link these). */
export function formatFinding(finding: Finding, cwd: string): string {
  return `${displayPath(finding.file, cwd)}:${finding.line}:${finding.column}: ${finding.message}`;
}

export function displayPath(file: string, cwd: string): string {
  return relative(cwd, file).split(sep).join('/');
}
