import { ALT_TEXT_EXTENSIONS, documentKindOfDocument, documentKindOfFile, type DocumentKind, type JsxFlavour } from '../protocol/documentKinds';
import { findingsFor, type Finding, type ImageOccurrence } from './findings';
import { scanHtml } from './htmlScanner';
import { scanJsx } from './jsxScanner';
import { scanMarkdown } from './markdownScanner';
import { assertScannable } from './scanLimits';

/** How to scan one document: its kind, and for JSX which TypeScript dialect to parse. */
export interface ScanTarget {
  kind: DocumentKind;
  jsxFlavour?: JsxFlavour;
}

const MAY_CONTAIN_IMAGE = /!\[|<\s*(img|image)\b/i;

/**
 * The scan target for a VS Code language id (an open document), else for the file name's
 * extension (a file on disk); the table in protocol/documentKinds.ts decides both.
 */
export function scanTargetFor(fileName: string, languageId?: string): ScanTarget | undefined {
  const entry = languageId !== undefined ? documentKindOfDocument(languageId, fileName) : documentKindOfFile(fileName);
  if (!entry) return undefined;
  return entry.jsxFlavour ? { kind: entry.kind, jsxFlavour: entry.jsxFlavour } : { kind: entry.kind };
}

/**
 * Every image in the document, flagged or not (for "Describe diagram", stale checks, edits).
 * Throws DocumentLimitError over a scan limit (scanLimits.ts), DocumentParseError for invalid MDX.
 */
export function scanImages(text: string, file: string, target: ScanTarget): ImageOccurrence[] {
  assertScannable(text, file, target.kind === 'markdown' || target.kind === 'mdx');
  // Every image syntax contains one of these; most files without images skip parsing entirely.
  if (!MAY_CONTAIN_IMAGE.test(text)) return [];
  switch (target.kind) {
    case 'markdown':
    case 'mdx':
      return scanMarkdown(text, file, { mdx: target.kind === 'mdx' });
    case 'html':
      return scanHtml(text, file);
    case 'jsx':
      return scanJsx(text, file, target.jsxFlavour ?? 'tsx');
  }
}

/**
 * Findings (missing or poor alt text) for one document. Throws as scanImages does; an
 * unsupported file type is an error naming the file.
 */
export function scanDocument(text: string, file: string, languageId?: string): Finding[] {
  const target = scanTargetFor(file, languageId);
  if (!target) {
    throw new Error(`${file}: Loupe cannot check alt text in this file type (supported: ${ALT_TEXT_EXTENSIONS.join(' ')}).`);
  }
  return findingsFor(scanImages(text, file, target));
}
