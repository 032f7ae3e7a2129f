/**
 * Quick fixes on images: "Generate alt text (local model)", "Mark as decorative", "Describe
 * diagram", and for stale alt text "Keep alt text (image reviewed)". Generation runs in a
 * cancellable progress notification; the edit is computed again afterwards, since the document
 * may have changed while the model ran.
 */
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { AltTextCache } from '../altText/altCache';
import { decorativeEdit, describeDiagramEdits, fillAltEdit, type TextEdit } from '../altText/altEdits';
import { normalizeAltText, surroundingContext } from '../altText/altQuality';
import { declaredDocumentLanguage } from '../altText/documentLanguage';
import { classifyOccurrence, type ImageOccurrence } from '../altText/findings';
import { sha256File } from '../altText/imageFiles';
import type { AltGenerationRequest, GenerateAlt } from '../host/altGenerator';
import {
  ALT_TEXT_SELECTOR,
  DIAGNOSTIC_SOURCE,
  imagesInDocument,
  rangeOf,
  resolveDocumentImage,
  updateAltRecords,
  workspaceRootOf,
} from './altTextDiagnostics';

export interface AltTextFeatureDeps {
  generateAlt: GenerateAlt;
}

const GENERATE_COMMAND = 'loupe.altText.generateForImage';
const KEEP_COMMAND = 'loupe.altText.keepAltText';
type Task = AltGenerationRequest['task'];

/** Loupe's settings for generated text, for one document. */
export function altTextSettings(document: vscode.TextDocument): { maxLength: number; language: string } {
  const config = vscode.workspace.getConfiguration('loupe', document.uri);
  const configured = config.get<string>('altText.language', '').trim();
  return {
    maxLength: config.get<number>('altText.maxLength', 125),
    language: configured || declaredDocumentLanguage(document.getText()) || vscode.env.language,
  };
}

/** The content-keyed generation cache shared by quick fixes and the workspace batch. */
export function altTextCachePath(context: vscode.ExtensionContext): string {
  return join(context.globalStorageUri.fsPath, 'alt-text-cache.json');
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

async function generateForImage(deps: AltTextFeatureDeps, context: vscode.ExtensionContext, uri: vscode.Uri, offset: number, task: Task): Promise<void> {
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
  const settings = altTextSettings(document);
  const title = task === 'alt-text' ? `Loupe: writing alt text for ${basename(file.path)}` : `Loupe: describing ${basename(file.path)}`;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (_progress, token) => {
    try {
      await generateAndApply(deps, context, { document, image, file: file.path, task, settings }, token);
    } catch (error) {
      // A cancelled job may end in an error; the user asked for that, so say nothing.
      if (!token.isCancellationRequested) throw error;
    }
  });
}

interface GenerationTarget {
  document: vscode.TextDocument;
  image: ImageOccurrence;
  file: string;
  task: Task;
  settings: { maxLength: number; language: string };
}

async function generateAndApply(deps: AltTextFeatureDeps, context: vscode.ExtensionContext, target: GenerationTarget, token: vscode.CancellationToken): Promise<void> {
  const { document, image, file, task, settings } = target;
  const request: AltGenerationRequest = {
    imageUri: vscode.Uri.file(file),
    documentContext: surroundingContext(document.getText(), image),
    language: settings.language,
    task,
  };
  const sha256 = await sha256File(file);
  let text: string;
  if (task === 'alt-text') {
    const cache = await AltTextCache.load(altTextCachePath(context));
    const cached = cache.get(sha256);
    text = cached ?? normalizeAltText(await deps.generateAlt(request, token), { maxLength: settings.maxLength });
    if (token.isCancellationRequested) return;
    if (!text) {
      void vscode.window.showWarningMessage(`Loupe: the model gave no usable alt text for ${basename(file)}. Try again, or write it yourself.`);
      return;
    }
    if (!cached) {
      cache.set(sha256, text);
      await cache.save();
    }
  } else {
    text = await deps.generateAlt(request, token);
    if (token.isCancellationRequested) return;
  }

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
  if (applied && task === 'alt-text' && rootDir) {
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
    vscode.commands.registerCommand(GENERATE_COMMAND, async (uri: vscode.Uri, offset: number, task: Task) => {
      try {
        await generateForImage(deps, context, uri, offset, task);
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
