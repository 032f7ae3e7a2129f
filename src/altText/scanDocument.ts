import { extname } from 'node:path';
import { findingsFor, type DocumentKind, type Finding, type ImageOccurrence } from './findings';
import { scanHtml } from './htmlScanner';
import { scanJsx, type JsxFlavour } from './jsxScanner';
import { scanMarkdown } from './markdownScanner';
import { assertScannable } from './scanLimits';

/** How to scan one document: its kind, and for JSX which TypeScript dialect to parse. */
export interface ScanTarget {
  kind: DocumentKind;
  jsxFlavour?: JsxFlavour;
}

const BY_LANGUAGE_ID: Record<string, ScanTarget> = {
  markdown: { kind: 'markdown' },
  mdx: { kind: 'mdx' },
  html: { kind: 'html' },
  javascriptreact: { kind: 'jsx', jsxFlavour: 'jsx' },
  javascript: { kind: 'jsx', jsxFlavour: 'jsx' },
  typescriptreact: { kind: 'jsx', jsxFlavour: 'tsx' },
  typescript: { kind: 'jsx', jsxFlavour: 'ts' },
};

const BY_EXTENSION: Record<string, ScanTarget> = {
  '.md': { kind: 'markdown' },
  '.markdown': { kind: 'markdown' },
  '.mdx': { kind: 'mdx' },
  '.html': { kind: 'html' },
  '.htm': { kind: 'html' },
  '.jsx': { kind: 'jsx', jsxFlavour: 'jsx' },
  '.js': { kind: 'jsx', jsxFlavour: 'jsx' },
  '.mjs': { kind: 'jsx', jsxFlavour: 'jsx' },
  '.cjs': { kind: 'jsx', jsxFlavour: 'jsx' },
  '.tsx': { kind: 'jsx', jsxFlavour: 'tsx' },
  '.ts': { kind: 'jsx', jsxFlavour: 'ts' },
  '.mts': { kind: 'jsx', jsxFlavour: 'ts' },
  '.cts': { kind: 'jsx', jsxFlavour: 'ts' },
};

const MAY_CONTAIN_IMAGE = /!\[|<\s*(img|image)\b/i;

/** File extensions Loupe scans (with the dot). */
export const SCANNED_EXTENSIONS = Object.keys(BY_EXTENSION);

/** The scan target for a VS Code language id, else for the file name's extension. */
export function scanTargetFor(fileName: string, languageId?: string): ScanTarget | undefined {
  return (languageId !== undefined ? BY_LANGUAGE_ID[languageId] : undefined) ?? BY_EXTENSION[extname(fileName).toLowerCase()];
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
    throw new Error(`${file}: Loupe cannot check alt text in this file type (supported: ${SCANNED_EXTENSIONS.join(' ')}).`);
  }
  return findingsFor(scanImages(text, file, target));
}
