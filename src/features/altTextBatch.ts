/**
 * "Loupe: Generate Missing Alt Text in Workspace": checks for a model first, finds every image
 * without useful alt text, gets proposals from the shared pipeline (altText/altProposals.ts: one
 * model call per distinct image, the cache the CLI shares), and shows them in a review list
 * (altTextReview.ts) where all start accepted, each in full and editable; an edit goes to the same
 * image's other rows too. Apply writes the accepted ones and saves the files it changed.
 */
import { dirname, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import { fillAltEdit, type TextEdit } from '../altText/altEdits';
import { AltTextProposer, GenerationKeepsFailing, type AltProposal, type ProposalOutcome } from '../altText/altProposals';
import { decodeDocument } from '../altText/documentEncoding';
import { DocumentError, DocumentParseError } from '../altText/documentErrors';
import { findingsFor, type Finding } from '../altText/findings';
import { createGitignoreMatcher } from '../altText/gitignoreMatcher';
import { rebaseEdits } from '../altText/rebaseEdits';
import { scanTargetFor } from '../altText/scanDocument';
import { LineIndex } from '../altText/sourcePositions';
import { ALT_TEXT_DOCUMENT_GLOB } from '../protocol/documentKinds';
import type { ReviewDecision } from '../protocol/altReview';
import { altTextSettings } from '../host/settings';
import { proposerName } from '../host/visionModels';
import { scanInBackground, workspaceRootOf } from './altTextDiagnostics';
import { ensureAltTextModel, showAltTextError } from './altTextErrors';
import { altTextPrompt, loadAltTextCache, type AltTextFeatureDeps } from './altTextQuickFixes';
import type { AltTextRecordsWriter } from './altTextRecords';
import { reviewProposals } from './altTextReview';
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
  fromCache: boolean;
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
        await runBatch(context.extensionUri, deps);
      } catch (error) {
        await showAltTextError(error);
      }
    }),
  );
}

async function runBatch(extensionUri: vscode.Uri, deps: AltTextFeatureDeps): Promise<void> {
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showInformationMessage('Loupe: open a folder first; the batch looks for images in the workspace.');
    return;
  }
  // Before any scanning: without a model the whole run would end in the same error.
  if (!(await ensureAltTextModel(deps.generateAlt))) return;
  const result = await withCancellableProgress('Loupe: alt text', (control) => generateAll(deps, control));
  if (result.total === 0 && result.skipped.length === 0) {
    void vscode.window.showInformationMessage('Loupe: every image in the workspace has alt text.');
    return;
  }
  let outcome: ApplyOutcome = { written: [], edited: 0, declined: 0 };
  if (result.proposed.length > 0) {
    const decisions = await reviewProposals(extensionUri, result.proposed.map(reviewEntry), {
      mode: 'batch',
      skipped: result.skipped.length,
      maxLength: altTextSettings(result.proposed[0].document.uri).maxLength,
      proposedBy: proposerName(),
    });
    if (!decisions) {
      void vscode.window.showInformationMessage(`Loupe: review closed; nothing was written. The ${plural(result.proposed.length, 'proposal')} stay cached: running the command again shows them at once.`);
      return;
    }
    outcome = await applyDecisions(result, decisions, deps.altRecords);
  }
  await reportOutcome(result, outcome);
}

function reviewEntry(proposal: ProposedAlt, id: number) {
  const { document, finding } = proposal;
  return {
    item: {
      id,
      location: `${vscode.workspace.asRelativePath(document.uri)}:${finding.line}`,
      src: finding.src,
      imageHash: proposal.sha256,
      proposal: proposal.alt,
      currentAlt: finding.alt?.trim() ? finding.alt : undefined,
      fromCache: proposal.fromCache,
    },
    imagePath: proposal.imagePath,
    uri: document.uri,
    line: finding.line,
    column: finding.column,
  };
}

async function generateAll(deps: AltTextFeatureDeps, { signal, token, report }: ProgressControl): Promise<BatchResult> {
  report(undefined, 'finding images without alt text…');
  const { documents, skipped } = await scanWorkspace(token);
  const total = documents.reduce((sum, document) => sum + document.findings.length, 0);
  const result: BatchResult = { proposed: [], skipped, total, generated: 0, fromCache: 0, cancelled: false };
  const proposer = new AltTextProposer(deps.generateAlt, await loadAltTextCache());
  const started = Date.now();
  let done = 0;
  // Every image is asked for at once; the proposer keeps as many in flight as the model takes.
  const requests = documents.flatMap((document) => {
    const prompt = altTextPrompt(document.uri, document.text);
    return document.findings.map((finding) => ({ finding, document: { path: document.uri.fsPath, text: document.text, rootDir: document.rootDir }, prompt, owner: document }));
  });
  const outcomes = proposer.proposeMany(requests, signal);

  try {
    for (const [index, { finding, owner: document }] of requests.entries()) {
      if (token.isCancellationRequested) {
        result.cancelled = true;
        return result;
      }
      let outcome: ProposalOutcome;
      try {
        outcome = await outcomes[index]!;
      } catch (error) {
        if (token.isCancellationRequested) continue;
        if (!(error instanceof GenerationKeepsFailing)) throw error;
        result.failure = `${error.message}; stopped`;
        return result;
      }
      if ('skip' in outcome) result.skipped.push({ uri: document.uri, line: finding.line, column: finding.column, reason: outcome.skip });
      else result.proposed.push({ document, ...outcome.proposal, fromCache: outcome.fromCache });
      done++;
      report((100 * done) / total, `${done}/${total}${eta(Date.now() - started, proposer.generated, total - done)}`);
    }
  } finally {
    result.generated = proposer.generated;
    result.fromCache = proposer.fromCache;
    await proposer.save();
  }
  return result;
}

/** "· about 2 min left", from the time per model answer so far (cached images cost nothing; a server answers several at once). */
function eta(elapsedMs: number, generated: number, remaining: number): string {
  if (generated === 0 || remaining === 0) return '';
  const seconds = Math.round((elapsedMs / generated) * remaining / 1000);
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

interface ApplyOutcome {
  /** The proposals written, with the text written. */
  written: { item: ProposedAlt; alt: string }[];
  /** How many of them the author edited before applying. */
  edited: number;
  /** How many the author skipped. */
  declined: number;
}

/**
 * Writes the accepted proposals, one edit per document, and saves what it changed. A document
 * edited meanwhile (while the model worked or the author reviewed) still gets its edits when the
 * lines they touch are as they were (rebaseEdits); otherwise it is left alone and listed as skipped.
 * Records for stale checks are kept for the alt texts written as Loupe proposed them.
 */
async function applyDecisions(result: BatchResult, decisions: ReviewDecision[], altRecords: AltTextRecordsWriter): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { written: [], edited: 0, declined: 0 };
  const byDocument = new Map<ScannedDocument, { item: ProposedAlt; alt: string; edit: TextEdit }[]>();
  for (const decision of decisions) {
    const item = result.proposed[decision.id];
    if (!item) continue;
    const alt = decision.alt.replace(/\s+/g, ' ').trim();
    if (!decision.accepted || alt === '') {
      outcome.declined++;
      continue;
    }
    const list = byDocument.get(item.document) ?? [];
    list.push({ item, alt, edit: fillAltEdit(item.finding, alt) });
    byDocument.set(item.document, list);
  }
  const edit = new vscode.WorkspaceEdit();
  const toSave: vscode.Uri[] = [];
  const applied: { item: ProposedAlt; alt: string }[] = [];
  for (const [document, items] of byDocument) {
    const now = await documentText(document.uri).catch(() => undefined);
    const rebased = now === undefined ? undefined : rebaseEdits(document.text, now, items.map((entry) => entry.edit));
    if (!rebased || now === undefined) {
      for (const { item } of items) {
        result.skipped.push({ uri: document.uri, line: item.finding.line, column: item.finding.column, reason: 'not written: the file was edited where Loupe writes while you reviewed; run the command again (the answers are cached)' });
      }
      continue;
    }
    const open = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === document.uri.toString());
    // Unsaved changes of the author's stay theirs to save; otherwise the file is written now.
    if (!open?.isDirty) toSave.push(document.uri);
    const index = new LineIndex(now);
    for (const { start, end, newText } of rebased) {
      const from = index.point(start);
      const to = index.point(end);
      edit.replace(document.uri, new vscode.Range(from.line - 1, from.column - 1, to.line - 1, to.column - 1), newText);
    }
    applied.push(...items.map(({ item, alt }) => ({ item, alt })));
  }
  if (applied.length === 0) return outcome;
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code did not apply the alt text edit; nothing was written');
  for (const uri of toSave) await (await vscode.workspace.openTextDocument(uri)).save();
  outcome.written = applied;
  outcome.edited = applied.filter(({ item, alt }) => alt !== item.alt).length;
  await recordWritten(applied.filter(({ item, alt }) => alt === item.alt).map(({ item }) => item), altRecords);
  return outcome;
}

/** Records, for stale checks, the alt texts Loupe wrote as proposed (an edited one is the author's). */
async function recordWritten(items: ProposedAlt[], altRecords: AltTextRecordsWriter): Promise<void> {
  const byRoot = new Map<string, ProposedAlt[]>();
  for (const item of items) byRoot.set(item.document.rootDir, [...(byRoot.get(item.document.rootDir) ?? []), item]);
  for (const [rootDir, rootItems] of byRoot) {
    await altRecords.update(rootDir, (records) => {
      for (const { imagePath, sha256, alt } of rootItems) records.record(imagePath, sha256, alt);
    }).catch((error: Error) => vscode.window.showWarningMessage(`Loupe: alt text written, but not recorded for stale checks: ${error.message}`));
  }
}

async function reportOutcome(result: BatchResult, outcome: ApplyOutcome): Promise<void> {
  const files = new Set(outcome.written.map(({ item }) => item.document.uri.toString())).size;
  const parts = [`added alt text to ${outcome.written.length} of ${plural(result.total, 'image')} in ${plural(files, 'file')}`];
  if (outcome.edited > 0) parts.push(`${outcome.edited} edited by you`);
  if (outcome.declined > 0) parts.push(`${outcome.declined} skipped in the review`);
  if (result.cancelled) parts.push('stopped early at your request');
  if (result.failure) parts.push(result.failure);
  if (result.skipped.length > 0) parts.push(`${result.skipped.length} not described`);
  const message = `Loupe: ${parts.join('; ')} (${result.generated} described by the model, ${result.fromCache} from the cache).`;
  if (result.skipped.length === 0) {
    void vscode.window.showInformationMessage(message);
    return;
  }
  const choice = await vscode.window.showWarningMessage(message, 'Show Skipped');
  if (choice === 'Show Skipped') await showSkipped(result.skipped);
}

/** The images Loupe did not describe, as a list whose entries open the image's place. */
async function showSkipped(skipped: Skip[]): Promise<void> {
  const picked = await vscode.window.showQuickPick(
    skipped.map((skip) => ({
      label: `${relative(workspaceRootOf(skip.uri) ?? dirname(skip.uri.fsPath), skip.uri.fsPath).split(sep).join('/')}:${skip.line}:${skip.column}`,
      detail: skip.reason,
      skip,
    })),
    { title: `Loupe: ${plural(skipped.length, 'image')} without alt text from Loupe`, placeHolder: 'Choose one to open it at the image', matchOnDetail: true },
  );
  if (!picked) return;
  const position = new vscode.Position(picked.skip.line - 1, Math.max(0, picked.skip.column - 1));
  await vscode.window.showTextDocument(picked.skip.uri, { selection: new vscode.Range(position, position) });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
