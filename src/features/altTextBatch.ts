/**
 * "Loupe: Generate Missing Alt Text in Workspace": finds every image without useful alt text,
 * gets proposals from the shared pipeline (altText/altProposals.ts: one model call per distinct
 * image, the cache the CLI shares), and offers all changes as ONE
 * workspace edit whose entries need confirmation, so VS Code's refactor preview lets the author
 * review and untick each before anything is written.
 */
import { dirname, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import { fillAltEdit } from '../altText/altEdits';
import { AltTextProposer, GenerationKeepsFailing, type AltProposal, type ProposalOutcome } from '../altText/altProposals';
import { decodeDocument } from '../altText/documentEncoding';
import { DocumentError, DocumentParseError } from '../altText/documentErrors';
import { findingsFor, type Finding } from '../altText/findings';
import { createGitignoreMatcher } from '../altText/gitignoreMatcher';
import { scanTargetFor } from '../altText/scanDocument';
import { LineIndex } from '../altText/sourcePositions';
import { ALT_TEXT_DOCUMENT_GLOB } from '../protocol/documentKinds';
import { imagesInDocument, scanInBackground, updateAltRecords, workspaceRootOf } from './altTextDiagnostics';
import { altTextPrompt, loadAltTextCache, type AltTextFeatureDeps } from './altTextQuickFixes';
import { withCancellableProgress, type ProgressControl } from './cancellableProgress';

const COMMAND = 'loupe.generateMissingAltTextInWorkspace';

interface ScannedDocument {
  uri: vscode.Uri;
  text: string;
  rootDir: string;
  findings: Finding[];
}

interface ProposedAlt extends AltProposal {
  document: ScannedDocument;
}

interface Skip {
  uri: vscode.Uri;
  line: number;
  column: number;
  reason: string;
}

interface BatchResult {
  proposed: ProposedAlt[];
  skipped: Skip[];
  total: number;
  generated: number;
  fromCache: number;
  cancelled: boolean;
  /** Set when the model kept failing and the batch stopped early. */
  failure?: string;
}

export function registerAltTextBatch(context: vscode.ExtensionContext, deps: AltTextFeatureDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMAND, async () => {
      try {
        await runBatch(deps);
      } catch (error) {
        void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
      }
    }),
  );
}

async function runBatch(deps: AltTextFeatureDeps): Promise<void> {
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showInformationMessage('Loupe: open a folder first; the batch looks for images in the workspace.');
    return;
  }
  const result = await withCancellableProgress('Loupe: alt text', (control) => generateAll(deps, control));
  if (result.total === 0 && result.skipped.length === 0) {
    void vscode.window.showInformationMessage('Loupe: every image in the workspace has alt text.');
    return;
  }
  result.proposed = await withoutChangedDocuments(result);
  let accepted: ProposedAlt[] = [];
  if (result.proposed.length > 0) {
    const applied = await vscode.workspace.applyEdit(proposalEdit(result.proposed), { isRefactoring: true });
    if (applied) accepted = await recordAccepted(result.proposed);
  }
  await reportOutcome(result, accepted);
}

async function generateAll(deps: AltTextFeatureDeps, { signal, token, report }: ProgressControl): Promise<BatchResult> {
  report(undefined, 'finding images without alt text…');
  const { documents, skipped } = await scanWorkspace(token);
  const total = documents.reduce((sum, document) => sum + document.findings.length, 0);
  const result: BatchResult = { proposed: [], skipped, total, generated: 0, fromCache: 0, cancelled: false };
  const proposer = new AltTextProposer(deps.generateAlt, await loadAltTextCache());
  const modelTimes: number[] = [];
  let done = 0;

  try {
    for (const document of documents) {
      const prompt = altTextPrompt(document.uri, document.text);
      for (const finding of document.findings) {
        if (token.isCancellationRequested) {
          result.cancelled = true;
          return result;
        }
        const started = Date.now();
        let outcome: ProposalOutcome;
        try {
          outcome = await proposer.propose(finding, { path: document.uri.fsPath, text: document.text, rootDir: document.rootDir }, prompt, signal);
        } catch (error) {
          if (token.isCancellationRequested) continue;
          if (!(error instanceof GenerationKeepsFailing)) throw error;
          result.failure = `${error.message}; stopped`;
          return result;
        }
        if ('skip' in outcome) result.skipped.push({ uri: document.uri, line: finding.line, column: finding.column, reason: outcome.skip });
        else {
          result.proposed.push({ document, ...outcome.proposal });
          if (!outcome.fromCache) modelTimes.push(Date.now() - started);
        }
        done++;
        report((100 * done) / total, `${done}/${total}${eta(modelTimes, total - done)}`);
      }
    }
  } finally {
    result.generated = proposer.generated;
    result.fromCache = proposer.fromCache;
    await proposer.save();
  }
  return result;
}

/** "· about 2 min left", from the average model time so far (cached images cost nothing). */
function eta(modelTimes: number[], remaining: number): string {
  if (modelTimes.length === 0 || remaining === 0) return '';
  const average = modelTimes.reduce((sum, ms) => sum + ms, 0) / modelTimes.length;
  const seconds = Math.round((average * remaining) / 1000);
  return seconds < 60 ? ` · about ${seconds} s left` : ` · about ${Math.round(seconds / 60)} min left`;
}

/**
 * Documents with findings, from `findFiles` (which applies files.exclude), without node_modules
 * and whatever the workspace's `.gitignore` files exclude. Open documents are read as edited.
 * Documents over a scan limit or not in UTF-8/UTF-16 are listed as skipped, with the reason.
 */
async function scanWorkspace(token: vscode.CancellationToken): Promise<{ documents: ScannedDocument[]; skipped: Skip[] }> {
  const [uris, isIgnored] = await Promise.all([vscode.workspace.findFiles(ALT_TEXT_DOCUMENT_GLOB, undefined, undefined, token), gitignoreMatcher(token)]);
  const documents: ScannedDocument[] = [];
  const skipped: Skip[] = [];
  const candidates = uris
    .filter((uri) => uri.scheme === 'file' && !uri.fsPath.split(sep).includes('node_modules') && !isIgnored(uri.fsPath))
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  for (const uri of candidates) {
    if (token.isCancellationRequested) break;
    const target = scanTargetFor(uri.fsPath);
    if (!target) continue;
    let text: string | undefined;
    let findings: Finding[];
    try {
      text = await documentText(uri);
      if (text === undefined) continue;
      findings = findingsFor(await scanInBackground(text, uri.fsPath, target));
    } catch (error) {
      // Invalid MDX is left to its own tooling: there is nothing to fix here.
      if (error instanceof DocumentError && !(error instanceof DocumentParseError)) {
        skipped.push({ uri, line: error.line, column: error.column, reason: error.reason });
      }
      continue;
    }
    if (findings.length > 0) documents.push({ uri, text, rootDir: workspaceRootOf(uri) ?? dirname(uri.fsPath), findings });
  }
  return { documents, skipped };
}

async function gitignoreMatcher(token: vscode.CancellationToken): Promise<(path: string) => boolean> {
  const files = await vscode.workspace.findFiles('**/.gitignore', '**/node_modules/**', undefined, token);
  const gitignores = await Promise.all(
    files.map(async (uri) => ({ dir: dirname(uri.fsPath), content: new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)) })),
  );
  return createGitignoreMatcher(gitignores);
}

/** An open document's text as edited, else the file's; undefined when unreadable. */
async function documentText(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  if (open) return open.getText();
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(uri);
  } catch {
    return undefined;
  }
  // As the CLI reads it: UTF-8 or UTF-16, without the byte order mark (VS Code drops it too).
  return decodeDocument(bytes, uri.fsPath).text;
}

/**
 * Proposals whose document changed while the model worked would land at wrong offsets: those
 * are dropped (and reported as skipped) rather than applied.
 */
async function withoutChangedDocuments(result: BatchResult): Promise<ProposedAlt[]> {
  const unchanged = new Map<ScannedDocument, boolean>();
  const kept: ProposedAlt[] = [];
  for (const item of result.proposed) {
    if (!unchanged.has(item.document)) {
      unchanged.set(item.document, (await documentText(item.document.uri).catch(() => undefined)) === item.document.text);
    }
    if (unchanged.get(item.document)) kept.push(item);
    else result.skipped.push({ uri: item.document.uri, line: item.finding.line, column: item.finding.column, reason: 'the file changed while Loupe was working; run the command again' });
  }
  return kept;
}

/** One edit, every entry needing confirmation: VS Code opens the refactor preview for review. */
function proposalEdit(proposed: ProposedAlt[]): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  const indexes = new Map<ScannedDocument, LineIndex>();
  for (const { document, finding, alt } of proposed) {
    let index = indexes.get(document);
    if (!index) indexes.set(document, (index = new LineIndex(document.text)));
    const { start, end, newText } = fillAltEdit(finding, alt);
    const from = index.point(start);
    const to = index.point(end);
    edit.replace(document.uri, new vscode.Range(from.line - 1, from.column - 1, to.line - 1, to.column - 1), newText, {
      needsConfirmation: true,
      label: `Alt text: ${alt}`,
      description: `${vscode.workspace.asRelativePath(document.uri)}:${finding.line}`,
    });
  }
  return edit;
}

/** Records, for stale checks, only the alt texts the author kept in the preview, and returns those. */
async function recordAccepted(proposed: ProposedAlt[]): Promise<ProposedAlt[]> {
  const accepted: ProposedAlt[] = [];
  const byRoot = new Map<string, ProposedAlt[]>();
  for (const item of proposed) {
    const document = await vscode.workspace.openTextDocument(item.document.uri);
    const kept = (await imagesInDocument(document)).some((image) => image.src === item.finding.src && image.alt === item.alt);
    if (!kept) continue;
    accepted.push(item);
    byRoot.set(item.document.rootDir, [...(byRoot.get(item.document.rootDir) ?? []), item]);
  }
  for (const [rootDir, items] of byRoot) {
    await updateAltRecords(rootDir, (records) => {
      for (const { imagePath, sha256, alt } of items) records.record(imagePath, sha256, alt);
    });
  }
  return accepted;
}

async function reportOutcome(result: BatchResult, accepted: ProposedAlt[]): Promise<void> {
  const files = new Set(accepted.map((item) => item.document.uri.toString())).size;
  const parts = [`added alt text to ${accepted.length} of ${plural(result.total, 'image')} in ${plural(files, 'file')}`];
  const leftOut = result.proposed.length - accepted.length;
  if (leftOut > 0) parts.push(`${leftOut} left out in the preview`);
  if (result.cancelled) parts.push('stopped early at your request');
  if (result.failure) parts.push(result.failure);
  if (result.skipped.length > 0) parts.push(`${result.skipped.length} skipped`);
  const message = `Loupe: ${parts.join('; ')} (${result.generated} described by the model, ${result.fromCache} from the cache).`;
  if (result.skipped.length === 0) {
    void vscode.window.showInformationMessage(message);
    return;
  }
  const choice = await vscode.window.showWarningMessage(message, 'Show Skipped');
  if (choice !== 'Show Skipped') return;
  const lines = result.skipped.map((skip) => `${relative(workspaceRootOf(skip.uri) ?? '', skip.uri.fsPath)}:${skip.line}:${skip.column}: ${skip.reason}`);
  const report = await vscode.workspace.openTextDocument({ content: `Images Loupe did not describe\n\n${lines.join('\n')}\n`, language: 'plaintext' });
  await vscode.window.showTextDocument(report);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
