/**
 * Why a whole document was not checked or fixed. Each names the file and a position, so the CLI
 * prints `path:line:col: reason` like a finding, and check exits 2 ("not every file was checked").
 */
export abstract class DocumentError extends Error {
  /** What the CLI prints: a lead such as "cannot parse" and the detail. */
  readonly reason: string;

  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    lead: string,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${lead}: ${detail}`);
    this.reason = `${lead}: ${detail}`;
  }
}

/** Only MDX can fail to parse: its JSX and expressions must be valid. */
export class DocumentParseError extends DocumentError {
  constructor(file: string, line: number, column: number, detail: string) {
    super(file, line, column, 'cannot parse', detail);
    this.name = 'DocumentParseError';
  }
}

/** Bytes Loupe cannot turn into text and back unchanged (see documentEncoding.ts). */
export class DocumentEncodingError extends DocumentError {
  constructor(file: string, line: number, column: number, detail: string) {
    super(file, line, column, 'cannot read', detail);
    this.name = 'DocumentEncodingError';
  }
}

/** Over a scan limit: too large, nested too deeply, or too slow to scan (see scanLimits.ts). */
export class DocumentLimitError extends DocumentError {
  constructor(file: string, detail: string) {
    super(file, 1, 1, 'not checked', detail);
    this.name = 'DocumentLimitError';
  }
}

/** A scan error as a worker thread can post it (structured clone keeps no class). */
export type ScanErrorData =
  | { name: 'DocumentParseError'; file: string; line: number; column: number; detail: string }
  | { name: 'DocumentLimitError'; file: string; detail: string }
  | { name: 'Error'; message: string };

export function scanErrorData(error: unknown): ScanErrorData {
  if (error instanceof DocumentParseError) return { name: 'DocumentParseError', file: error.file, line: error.line, column: error.column, detail: error.detail };
  if (error instanceof DocumentLimitError) return { name: 'DocumentLimitError', file: error.file, detail: error.detail };
  return { name: 'Error', message: error instanceof Error ? error.message : String(error) };
}

export function reviveScanError(data: ScanErrorData): Error {
  switch (data.name) {
    case 'DocumentParseError':
      return new DocumentParseError(data.file, data.line, data.column, data.detail);
    case 'DocumentLimitError':
      return new DocumentLimitError(data.file, data.detail);
    case 'Error':
      return new Error(data.message);
  }
}
