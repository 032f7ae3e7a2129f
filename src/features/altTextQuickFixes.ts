/**
 * Quick fixes on images: "Generate alt text (local model)", "Mark as decorative", "Describe
 * diagram", and for stale alt text "Keep alt text (image reviewed)". Generation runs in a
 * cancellable progress notification; the edit is computed again afterwards, since the document
 * may have changed while the model ran.
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { AltTextCache, defaultAltCachePath } from '../altText/altCache';
import { decorativeEdit, describeDiagramEdits, fillAltEdit, type TextEdit } from '../altText/altEdits';
import { AltTextProposer, describeRequest, type AltTextGenerator, type AltTextTask } from '../altText/altProposals';
import { altTextLanguage } from '../altText/documentLanguage';
import { classifyOccurrence, type ImageOccurrence } from '../altText/findings';
import { sha256File } from '../altText/imageFiles';
import { altTextSettings } from '../host/settings';
import {
  ALT_TEXT_SELECTOR,
  DIAGNOSTIC_SOURCE,
  imagesInDocument,
  rangeOf,
  resolveDocumentImage,
  updateAltRecords,
  workspaceRootOf,
} from './altTextDiagnostics';
import { withCancellableProgress } from './cancellableProgress';

export interface AltTextFeatureDeps {
  generateAlt: AltTextGenerator;
}

const GENERATE_COMMAND = 'loupe.altText.generateForImage';
const KEEP_COMMAND = 'loupe.altText.keepAltText';

/** What the prompt asks for in one document: the setting's length, and the language by the shared rule. */
export function altTextPrompt(uri: vscode.Uri, text: string): { maxLength: number; language?: string } {
  const settings = altTextSettings(uri);
  return { maxLength: settings.maxLength, language: altTextLanguage(settings.language, text, vscode.env.language) };
}

/** The per-user cache the CLI shares (altCache.ts); a fresh load takes in what the CLI wrote. */
export function loadAltTextCache(): Promise<AltTextCache> {
  return AltTextCache.load(defaultAltCachePath());
}

/** VS Code edits for offset-based text edits, positioned in the document as it is now. */
export function workspaceEditFor(document: vscode.TextDocument, edits: TextEdit[]): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const { start, end, newText } of edits) {
    edit.replace(document.uri, new vscode.Range(document.positionAt(start), document.positionAt(end)), newText);
  }
  return edit;
}

class AltTextActionProvider implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite];

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const actions: vscode.CodeAction[] = [];
    const version = document.version;
    const images = await imagesInDocument(document);
    // The scan runs in the background: its offsets fit only the version it scanned.
    if (document.version !== version) return actions;
    for (const image of images) {
      const imageRange = rangeOf(image.start, image.end);
      if (!imageRange.intersection(range)) continue;
      const kind = classifyOccurrence(image);
      const diagnostics = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.range.isEqual(imageRange));
      const stale = diagnostics.some((d) => d.code === 'stale');
      const args = [document.uri, image.start.offset];

      if (kind || stale) {
        const generate = new vscode.CodeAction(stale ? 'Regenerate alt text (local model)' : 'Generate alt text (local model)', vscode.CodeActionKind.QuickFix);
        generate.command = { command: GENERATE_COMMAND, title: generate.title, arguments: [...args, 'alt-text'] };
        generate.diagnostics = diagnostics;
        generate.isPreferred = true;
        actions.push(generate);
      }
      if (kind) {
        const title = image.syntax === 'markdown' ? 'Mark as decorative (as <img alt="">)' : 'Mark as decorative (alt="")';
        const decorative = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        decorative.edit = workspaceEditFor(document, [decorativeEdit(image)]);
        decorative.diagnostics = diagnostics;
        actions.push(decorative);
      }
      if (stale) {
        const keep = new vscode.CodeAction('Keep alt text (image reviewed)', vscode.CodeActionKind.QuickFix);
        keep.command = { command: KEEP_COMMAND, title: keep.title, arguments: args };
        keep.diagnostics = diagnostics;
        actions.push(keep);
      }
      if (image.describe) {
        const describe = new vscode.CodeAction('Describe diagram (local model)', kind ? vscode.CodeActionKind.QuickFix : vscode.CodeActionKind.RefactorRewrite);
        describe.command = { command: GENERATE_COMMAND, title: describe.title, arguments: [...args, 'describe-diagram'] };
        actions.push(describe);
      }
    }
    return actions;
  }
}

/**
 * The image starting at `offset` in the document as it is now; after edits elsewhere, the nearest
 * one with the same src. The scan runs in the background, so it is repeated if the document
 * changed meanwhile: its offsets must fit the text the edit is applied to.
 */
async function findImage(document: vscode.TextDocument, offset: number, src?: string): Promise<ImageOccurrence | undefined> {
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

async function generateForImage(deps: AltTextFeatureDeps, uri: vscode.Uri, offset: number, task: AltTextTask): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri);
  const image = await findImage(document, offset);
  if (!image) {
    void vscode.window.showWarningMessage('Loupe: that image is no longer there; run the quick fix again on it.');
    return;
  }
  const file = await resolveDocumentImage(document, image);
  if ('problem' in file) {
    void vscode.window.showErrorMessage(`Loupe cannot describe image "${image.src}": ${file.problem}.`);
    return;
  }
  const title = task === 'alt-text' ? `Loupe: writing alt text for ${basename(file.path)}` : `Loupe: describing ${basename(file.path)}`;
  await withCancellableProgress(title, async ({ signal }) => {
    try {
      await generateAndApply(deps, { document, image, file: file.path, task }, signal);
    } catch (error) {
      // A cancelled job may end in an error; the user asked for that, so say nothing.
      if (!signal.aborted) throw error;
    }
  });
}

interface GenerationTarget {
  document: vscode.TextDocument;
  image: ImageOccurrence;
  file: string;
  task: AltTextTask;
}

/** Alt text through the shared pipeline (cache, length, failure rules), or a diagram description. */
async function generateText(deps: AltTextFeatureDeps, target: GenerationTarget, signal: AbortSignal): Promise<{ text: string; sha256?: string } | { skip: string }> {
  const { document, image, file, task } = target;
  const text = document.getText();
  const prompt = altTextPrompt(document.uri, text);
  if (task === 'describe-diagram') return { text: await deps.generateAlt.generate(describeRequest(image, file, text, prompt), signal) };
  const proposer = new AltTextProposer(deps.generateAlt, await loadAltTextCache());
  const rootDir = workspaceRootOf(document.uri) ?? dirname(document.uri.fsPath);
  const outcome = await proposer.propose(image, { path: document.uri.fsPath, text, rootDir }, prompt, signal);
  await proposer.save();
  return 'skip' in outcome ? outcome : { text: outcome.proposal.alt, sha256: outcome.proposal.sha256 };
}

async function generateAndApply(deps: AltTextFeatureDeps, target: GenerationTarget, signal: AbortSignal): Promise<void> {
  const { document, image, file, task } = target;
  const generated = await generateText(deps, target, signal);
  if (signal.aborted) return;
  if ('skip' in generated) {
    void vscode.window.showWarningMessage(`Loupe: no alt text for ${basename(file)}: ${generated.skip}. Try again, or write it yourself.`);
    return;
  }
  const { text, sha256 } = generated;

  const current = await findImage(document, image.start.offset, image.src);
  if (!current) {
    void vscode.window.showWarningMessage(`Loupe: image "${image.src}" was removed while the model was working; nothing changed.`);
    return;
  }
  let edits: TextEdit[];
  try {
    edits = task === 'alt-text' ? [fillAltEdit(current, text)] : describeDiagramEdits(document.getText(), current, text);
  } catch (error) {
    void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
    return;
  }
  const applied = await vscode.workspace.applyEdit(workspaceEditFor(document, edits));
  const rootDir = workspaceRootOf(document.uri);
  if (applied && sha256 && rootDir) {
    await updateAltRecords(rootDir, (records) => records.record(file, sha256, text)).catch((error: Error) =>
      vscode.window.showWarningMessage(`Loupe: alt text written, but not recorded for stale checks: ${error.message}`),
    );
  }
}

async function keepAltText(uri: vscode.Uri, offset: number): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri);
  const image = await findImage(document, offset);
  const rootDir = workspaceRootOf(uri);
  if (!image?.alt || !rootDir) return;
  const file = await resolveDocumentImage(document, image);
  if ('problem' in file) {
    void vscode.window.showErrorMessage(`Loupe cannot read image "${image.src}": ${file.problem}.`);
    return;
  }
  const sha256 = await sha256File(file.path);
  const alt = image.alt;
  await updateAltRecords(rootDir, (records) => records.record(file.path, sha256, alt));
}

export function registerAltTextQuickFixes(context: vscode.ExtensionContext, deps: AltTextFeatureDeps): void {
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(ALT_TEXT_SELECTOR, new AltTextActionProvider(), {
      providedCodeActionKinds: AltTextActionProvider.kinds,
    }),
    vscode.commands.registerCommand(GENERATE_COMMAND, async (uri: vscode.Uri, offset: number, task: AltTextTask) => {
      try {
        await generateForImage(deps, uri, offset, task);
      } catch (error) {
        void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
      }
    }),
    vscode.commands.registerCommand(KEEP_COMMAND, async (uri: vscode.Uri, offset: number) => {
      try {
        await keepAltText(uri, offset);
      } catch (error) {
        void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
      }
    }),
  );
}
