/**
 * Alt text diagnostics: images without useful alt text, and images whose Loupe-written alt text
 * may be stale because the image changed. The rules live in src/altText; this file only feeds
 * VS Code documents to them, through the scanner thread (a parse never runs on the extension
 * host's thread), and shows the result. Also exports the small VS Code helpers that the quick
 * fixes and the workspace batch share.
 */
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { DocumentLimitError } from '../altText/documentErrors';
import { findingsFor, type Finding, type FindingKind, type ImageOccurrence, type SourcePoint } from '../altText/findings';
import { ImageHasher, resolveImageFile } from '../altText/imageFiles';
import { IsolatedScanner } from '../altText/isolatedScanner';
import { scanTargetFor, type ScanTarget } from '../altText/scanDocument';
import { AltTextRecords, DEFAULT_ALT_RECORDS_PATH, staleFindings } from '../altText/staleAlt';
import { ALT_TEXT_DOCUMENT_GLOB, ALT_TEXT_LANGUAGE_IDS, checkedLanguageId } from '../protocol/documentKinds';
import { altTextDiagnosticSettings } from '../host/settings';
import { altRecordsPath, type AltTextRecordsWriter } from './altTextRecords';

/** Open documents to check: each language of the table, and its files VS Code opened as plain text (`.mdx` without an MDX extension). */
export const ALT_TEXT_SELECTOR: vscode.DocumentSelector = [
  ...ALT_TEXT_LANGUAGE_IDS.map((language) => ({ language })),
  { language: 'plaintext', pattern: ALT_TEXT_DOCUMENT_GLOB },
];

/** The language a document is checked as ('mdx' for a plain-text `.mdx`), or undefined. */
export function checkedLanguage(document: vscode.TextDocument): string | undefined {
  return checkedLanguageId(document.languageId, document.fileName);
}
export const DIAGNOSTIC_SOURCE = 'Loupe';
/** Shown after the source in the Problems view ("Loupe(empty alt text)"): words, not identifiers. */
export const DIAGNOSTIC_CODES: Record<FindingKind | 'notChecked', string> = {
  empty: 'empty alt text',
  missing: 'no alt text',
  placeholder: 'placeholder alt text',
  filename: 'file name as alt text',
  stale: 'image changed',
  notChecked: 'not checked',
};
const CHECKED_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);
const DEBOUNCE_MS = 300;

const SEVERITIES: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** What a scan found: the images, or why the document was not checked (over a scan limit). */
interface DocumentScan {
  images: ImageOccurrence[];
  notChecked?: string;
}

/**
 * The last scan of each document: diagnostics, every code-action request (each cursor move) and
 * the quick fixes all ask for the same version's images, and a scan is a full parse.
 */
const scans = new WeakMap<vscode.TextDocument, { version: number; languageId: string; scan: Promise<DocumentScan> }>();

/** Parses off the extension host's thread; set up by registerAltTextDiagnostics. */
let scanner: IsolatedScanner | undefined;

/** Scans a document's text in the scanner thread (scanImages' answers and errors). */
export function scanInBackground(text: string, file: string, target: ScanTarget): Promise<ImageOccurrence[]> {
  if (!scanner) throw new Error('alt text checks are not set up');
  return scanner.scan(text, file, target);
}

/** Every image in a document; none when it cannot be parsed (its language tools report that). */
export async function imagesInDocument(document: vscode.TextDocument): Promise<ImageOccurrence[]> {
  return (await documentScan(document)).images;
}

/**
 * The image starting at `offset` in the document as it is now; after edits elsewhere, the nearest
 * one with the same src. The scan runs in the background, so it is repeated if the document
 * changed meanwhile: its offsets must fit the text the edit is applied to.
 */
export async function findImage(document: vscode.TextDocument, offset: number, src?: string): Promise<ImageOccurrence | undefined> {
  let images: ImageOccurrence[];
  let version: number;
  do {
    version = document.version;
    images = await imagesInDocument(document);
  } while (document.version !== version);
  const exact = images.find((image) => image.start.offset === offset && (src === undefined || image.src === src));
  if (exact || src === undefined) return exact;
  return images
    .filter((image) => image.src === src)
    .sort((a, b) => Math.abs(a.start.offset - offset) - Math.abs(b.start.offset - offset))[0];
}

function documentScan(document: vscode.TextDocument): Promise<DocumentScan> {
  const known = scans.get(document);
  if (known?.version === document.version && known.languageId === document.languageId) return known.scan;
  const scan = scanDocumentImages(document);
  scans.set(document, { version: document.version, languageId: document.languageId, scan });
  return scan;
}

async function scanDocumentImages(document: vscode.TextDocument): Promise<DocumentScan> {
  const language = checkedLanguage(document);
  const target = language && scanTargetFor(document.fileName, language);
  if (!target) return { images: [] };
  try {
    return { images: await scanInBackground(document.getText(), document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.toString(), target) };
  } catch (error) {
    return { images: [], notChecked: error instanceof DocumentLimitError ? error.detail : undefined };
  }
}

export function rangeOf(start: SourcePoint, end: SourcePoint): vscode.Range {
  return new vscode.Range(start.line - 1, start.column - 1, end.line - 1, end.column - 1);
}

/** The workspace folder path Loupe's records and root-relative image paths are based on. */
export function workspaceRootOf(uri: vscode.Uri): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}

/** The local image file an occurrence refers to, or why there is none. */
export async function resolveDocumentImage(document: vscode.TextDocument, image: ImageOccurrence): Promise<{ path: string } | { problem: string }> {
  if (document.uri.scheme !== 'file') {
    if (document.isUntitled) return { problem: 'save the document first, so Loupe knows where its images are' };
    return { problem: 'Loupe reads images from local files only' };
  }
  const documentPath = document.uri.fsPath;
  return resolveImageFile(image.src, documentPath, workspaceRootOf(document.uri) ?? dirname(documentPath));
}

function diagnosticSettings(document: vscode.TextDocument) {
  return altTextDiagnosticSettings(document.uri);
}

class AltTextDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('loupe-alt-text');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly hasher = new ImageHasher();
  /** Per workspace root; dropped when a records file changes. */
  private readonly records = new Map<string, Promise<AltTextRecords | undefined>>();
  private readonly reportedRecordErrors = new Set<string>();
  private refreshAllTimer: NodeJS.Timeout | undefined;

  schedule(document: vscode.TextDocument, delay = DEBOUNCE_MS): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.refresh(document);
      }, delay),
    );
  }

  scheduleAll(): void {
    clearTimeout(this.refreshAllTimer);
    this.refreshAllTimer = setTimeout(() => {
      for (const document of vscode.workspace.textDocuments) void this.refresh(document);
    }, DEBOUNCE_MS);
  }

  forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.collection.delete(document.uri);
  }

  invalidateRecords(): void {
    this.records.clear();
    this.reportedRecordErrors.clear();
  }

  async refresh(document: vscode.TextDocument): Promise<void> {
    const severity = this.severityFor(document);
    if (severity === undefined) {
      this.collection.delete(document.uri);
      return;
    }
    const version = document.version;
    const { images: occurrences, notChecked } = await documentScan(document);
    const findings: Finding[] = [...findingsFor(occurrences), ...(await this.staleFor(document, occurrences))];
    // A newer refresh is on its way (or the document is gone): this result is outdated.
    if (document.isClosed || document.version !== version) return;
    const diagnostics = findings.map((finding) => {
      const diagnostic = new vscode.Diagnostic(rangeOf(finding.start, finding.end), finding.message, severity);
      diagnostic.source = DIAGNOSTIC_SOURCE;
      diagnostic.code = DIAGNOSTIC_CODES[finding.kind];
      return diagnostic;
    });
    if (notChecked) diagnostics.push(notCheckedDiagnostic(notChecked, severity));
    this.collection.set(document.uri, diagnostics);
  }

  private severityFor(document: vscode.TextDocument): vscode.DiagnosticSeverity | undefined {
    const language = checkedLanguage(document);
    if (!language || !CHECKED_SCHEMES.has(document.uri.scheme)) return undefined;
    const settings = diagnosticSettings(document);
    if (settings.disabledLanguages.includes(language)) return undefined;
    return SEVERITIES[settings.severity];
  }

  private async staleFor(document: vscode.TextDocument, occurrences: ImageOccurrence[]): Promise<Finding[]> {
    const rootDir = document.uri.scheme === 'file' ? workspaceRootOf(document.uri) : undefined;
    if (!rootDir) return [];
    const records = await this.recordsFor(rootDir);
    if (!records) return [];
    return staleFindings(occurrences, records, { documentPath: document.uri.fsPath, rootDir, hashFile: (path) => this.hasher.hash(path) }).catch(() => []);
  }

  private recordsFor(rootDir: string): Promise<AltTextRecords | undefined> {
    let loading = this.records.get(rootDir);
    if (!loading) {
      loading = AltTextRecords.load(altRecordsPath(rootDir), rootDir).catch((error: Error) => {
        if (!this.reportedRecordErrors.has(rootDir)) {
          this.reportedRecordErrors.add(rootDir);
          void vscode.window.showWarningMessage(`Loupe: stale alt text checks are off: ${error.message}`);
        }
        return undefined;
      });
      this.records.set(rootDir, loading);
    }
    return loading;
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    clearTimeout(this.refreshAllTimer);
    this.collection.dispose();
  }
}

/** Says once, at the top, that the images of this document were not checked, and why. */
function notCheckedDiagnostic(reason: string, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), `Loupe did not check this document's alt text: ${reason}.`, severity);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = DIAGNOSTIC_CODES.notChecked;
  return diagnostic;
}

export function registerAltTextDiagnostics(context: vscode.ExtensionContext, records: AltTextRecordsWriter): void {
  const workerPath = join(context.extensionPath, 'dist', 'altTextScan.js');
  const documentScanner = new IsolatedScanner((options) => new Worker(workerPath, options));
  scanner = documentScanner;
  context.subscriptions.push({ dispose: () => documentScanner.dispose() });
  const diagnostics = new AltTextDiagnostics();
  const recordsWatcher = vscode.workspace.createFileSystemWatcher(`**/${DEFAULT_ALT_RECORDS_PATH.replace(/\\/g, '/')}`);
  // Stale checks compare image content, so a changed image re-checks open documents.
  const imageWatcher = vscode.workspace.createFileSystemWatcher('**/*.{png,jpg,jpeg,gif,webp,svg,bmp}', true, false, true);
  const onRecordsChanged = () => {
    diagnostics.invalidateRecords();
    diagnostics.scheduleAll();
  };
  context.subscriptions.push(
    diagnostics,
    records.onDidWrite(onRecordsChanged),
    recordsWatcher,
    imageWatcher,
    recordsWatcher.onDidChange(onRecordsChanged),
    recordsWatcher.onDidCreate(onRecordsChanged),
    recordsWatcher.onDidDelete(onRecordsChanged),
    imageWatcher.onDidChange(() => diagnostics.scheduleAll()),
    vscode.workspace.onDidOpenTextDocument((document) => diagnostics.schedule(document, 0)),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length > 0) diagnostics.schedule(event.document);
    }),
    vscode.workspace.onDidCloseTextDocument((document) => diagnostics.forget(document)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('loupe.altText')) diagnostics.scheduleAll();
    }),
  );
  for (const document of vscode.workspace.textDocuments) diagnostics.schedule(document, 0);
}
