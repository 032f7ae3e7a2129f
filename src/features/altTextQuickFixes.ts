/**
 * Quick fixes on images: "Generate alt text (local model)", "Refine alt text (local model)" (or the model server's name; the
 * current alt text is the model's starting point), "Mark as decorative", "Describe diagram" (a
 * long description, and alt text when the image has none), and for stale alt text "Keep alt text
 * (image reviewed)". Generated alt text is reviewed before it is written, in the batch's review
 * (altTextReview.ts) with the image beside the document: Apply writes it, Cancel writes nothing.
 * The proposals come from the batch's pipeline and cache (altProposals.ts). The edit is computed
 * again after the review, since the document may have changed meanwhile. Images Loupe cannot read
 * (remote URLs, inline data) get no model fixes, but one that puts the cursor in their alt text
 * and says why (altTextWriteYourself.ts).
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { AltTextCache, defaultAltCachePath } from '../altText/altCache';
import { decorativeEdit, describeDiagramEdits, fillAltEdit, type TextEdit } from '../altText/altEdits';
import { AltTextProposer, describeRequest, type AltTextGenerator } from '../altText/altProposals';
import { altTextLanguage } from '../altText/documentLanguage';
import { classifyOccurrence, type ImageOccurrence } from '../altText/findings';
import { sha256File, unreadableSource } from '../altText/imageFiles';
import { altTextSettings } from '../host/settings';
import { answerSourceLabel, proposerName } from '../host/visionModels';
import { ALT_TEXT_SELECTOR, DIAGNOSTIC_CODES, DIAGNOSTIC_SOURCE, findImage, imagesInDocument, rangeOf, resolveDocumentImage, workspaceRootOf } from './altTextDiagnostics';
import { ensureAltTextModel, showAltTextError } from './altTextErrors';
import type { AltTextRecordsWriter } from './altTextRecords';
import { reviewProposals } from './altTextReview';
import { registerWriteAltYourself, writeAltYourselfAction } from './altTextWriteYourself';
import { withCancellableProgress } from './cancellableProgress';

/** What a quick fix asks the model for. */
type QuickFixTask = 'alt-text' | 'refine' | 'describe-diagram';

export interface AltTextFeatureDeps {
  generateAlt: AltTextGenerator;
  altRecords: AltTextRecordsWriter;
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
    // The model that would answer: "local model" or the server's name.
    const source = answerSourceLabel();
    for (const image of images) {
      const imageRange = rangeOf(image.start, image.end);
      if (!imageRange.intersection(range)) continue;
      const kind = classifyOccurrence(image);
      const diagnostics = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.range.isEqual(imageRange));
      const stale = diagnostics.some((d) => d.code === DIAGNOSTIC_CODES.stale);
      const args = [document.uri, image.start.offset];
      const unreadable = unreadableSource(image.src);
      if (unreadable) {
        // Generate would only fail ("not a local file"): say why instead, and help write it by hand.
        if (kind) actions.push(writeAltYourselfAction(document.uri, image, unreadable, diagnostics), decorativeAction(document, image, diagnostics));
        continue;
      }

      const hasAlt = image.altState === 'text' && Boolean(image.alt?.trim());
      if (hasAlt) {
        // Placeholder and file-name alt texts are findings: refining them fixes the finding.
        const refine = new vscode.CodeAction(`Refine alt text (${source})`, kind ? vscode.CodeActionKind.QuickFix : vscode.CodeActionKind.RefactorRewrite);
        refine.command = { command: GENERATE_COMMAND, title: refine.title, arguments: [...args, 'refine'] };
        if (kind) refine.diagnostics = diagnostics;
        actions.push(refine);
      }
      if (kind || stale) {
        const generate = new vscode.CodeAction(`${stale ? 'Regenerate' : 'Generate'} alt text (${source})`, vscode.CodeActionKind.QuickFix);
        generate.command = { command: GENERATE_COMMAND, title: generate.title, arguments: [...args, 'alt-text'] };
        generate.diagnostics = diagnostics;
        generate.isPreferred = true;
        actions.push(generate);
      }
      if (kind) actions.push(decorativeAction(document, image, diagnostics));
      if (stale) {
        const keep = new vscode.CodeAction('Keep alt text (image reviewed)', vscode.CodeActionKind.QuickFix);
        keep.command = { command: KEEP_COMMAND, title: keep.title, arguments: args };
        keep.diagnostics = diagnostics;
        actions.push(keep);
      }
      if (image.describe) {
        const describe = new vscode.CodeAction(`Describe diagram (${source})`, kind ? vscode.CodeActionKind.QuickFix : vscode.CodeActionKind.RefactorRewrite);
        describe.command = { command: GENERATE_COMMAND, title: describe.title, arguments: [...args, 'describe-diagram'] };
        // It writes alt text too when the image lacks it, so it fixes the finding.
        if (kind) describe.diagnostics = diagnostics;
        actions.push(describe);
      }
    }
    return actions;
  }
}

function decorativeAction(document: vscode.TextDocument, image: ImageOccurrence, diagnostics: vscode.Diagnostic[]): vscode.CodeAction {
  const title = image.syntax === 'markdown' ? 'Mark as decorative (as <img alt="">)' : 'Mark as decorative (alt="")';
  const decorative = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
  decorative.edit = workspaceEditFor(document, [decorativeEdit(image)]);
  decorative.diagnostics = diagnostics;
  return decorative;
}

/** What a quick fix needs besides the model: where the review's page comes from, and the records. */
interface QuickFixContext extends AltTextFeatureDeps {
  extensionUri: vscode.Uri;
}

async function generateForImage(deps: QuickFixContext, uri: vscode.Uri, offset: number, task: QuickFixTask): Promise<void> {
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
  if (!(await ensureAltTextModel(deps.generateAlt))) return;
  const target: GenerationTarget = { document, image, file: file.path, task };
  const title = task === 'describe-diagram' ? `Loupe: describing ${basename(file.path)}` : `Loupe: writing alt text for ${basename(file.path)}`;
  const generated = await withCancellableProgress(title, async ({ signal }) => {
    try {
      return await generateTexts(deps, target, signal);
    } catch (error) {
      // A cancelled job may end in an error; the user asked for that, so say nothing.
      if (signal.aborted) return undefined;
      throw error;
    }
  });
  if (!generated) return;
  if ('skip' in generated) {
    void vscode.window.showWarningMessage(`Loupe: no alt text for ${basename(file.path)}: ${generated.skip}. Try again, or write it yourself.`);
    return;
  }
  let alt: string | undefined;
  // Alt text and its image's hash come together (generateTexts).
  if (generated.alt !== undefined && generated.sha256 !== undefined) {
    alt = await reviewAlt(deps.extensionUri, target, { alt: generated.alt, sha256: generated.sha256, fromCache: generated.fromCache });
    if (alt === undefined) return;
  }
  await writeTexts(deps.altRecords, target, { ...generated, alt });
}

interface GenerationTarget {
  document: vscode.TextDocument;
  image: ImageOccurrence;
  file: string;
  task: QuickFixTask;
}

interface GeneratedTexts {
  /** Alt text to write (from the cache or the model), when the task writes alt text. */
  alt?: string;
  /** What Loupe proposed, to tell an edited alt text (the author's, not recorded) from Loupe's. */
  proposed?: string;
  sha256?: string;
  fromCache: boolean;
  /** "Describe diagram": the long description. */
  description?: string;
}

/**
 * Alt text through the shared pipeline (cache, length, failure rules): for "Describe diagram" too
 * when the image has no useful alt text, so the finding goes away with the description.
 */
async function generateTexts(deps: AltTextFeatureDeps, target: GenerationTarget, signal: AbortSignal): Promise<GeneratedTexts | { skip: string }> {
  const { document, image, file, task } = target;
  const text = document.getText();
  const prompt = altTextPrompt(document.uri, text);
  const result: GeneratedTexts = { fromCache: false };
  if (task !== 'describe-diagram' || classifyOccurrence(image)) {
    const proposer = new AltTextProposer(deps.generateAlt, await loadAltTextCache());
    const rootDir = workspaceRootOf(document.uri) ?? dirname(document.uri.fsPath);
    const refine = task === 'refine' ? image.alt : undefined;
    const outcome = await proposer.propose(image, { path: document.uri.fsPath, text, rootDir }, { ...prompt, refine }, signal);
    await proposer.save();
    if ('skip' in outcome) return outcome;
    Object.assign(result, { alt: outcome.proposal.alt, proposed: outcome.proposal.alt, sha256: outcome.proposal.sha256, fromCache: outcome.fromCache });
  }
  if (task === 'describe-diagram') result.description = await deps.generateAlt.generate(describeRequest(image, file, text, prompt), signal);
  return result;
}

/**
 * The proposal in the batch's review, for this one image: the image, the text in full and
 * editable, its length against the limit; Apply writes it, Cancel or closing writes nothing.
 * The input box it replaces showed neither the image nor the limit.
 */
async function reviewAlt(extensionUri: vscode.Uri, target: GenerationTarget, generated: { alt: string; sha256: string; fromCache: boolean }): Promise<string | undefined> {
  const { document, image, file, task } = target;
  const decisions = await reviewProposals(
    extensionUri,
    [
      {
        item: {
          id: 0,
          location: `${vscode.workspace.asRelativePath(document.uri)}:${image.start.line}`,
          src: image.src,
          imageHash: generated.sha256,
          proposal: generated.alt,
          currentAlt: task === 'refine' && image.alt?.trim() ? image.alt.trim() : undefined,
          fromCache: generated.fromCache,
        },
        imagePath: file,
        uri: document.uri,
        line: image.start.line,
        column: image.start.column,
      },
    ],
    {
      mode: 'single',
      skipped: 0,
      maxLength: altTextSettings(document.uri).maxLength,
      proposedBy: proposerName(),
      note: task === 'describe-diagram' ? 'The diagram description is written with it.' : undefined,
    },
  );
  const decision = decisions?.find((candidate) => candidate.id === 0 && candidate.accepted);
  return decision ? decision.alt.replace(/\s+/g, ' ').trim() || undefined : undefined;
}

async function writeTexts(altRecords: AltTextRecordsWriter, target: GenerationTarget, texts: GeneratedTexts): Promise<void> {
  const { document, image, file } = target;
  const current = await findImage(document, image.start.offset, image.src);
  if (!current) {
    void vscode.window.showWarningMessage(`Loupe: image "${image.src}" was removed meanwhile; nothing changed.`);
    return;
  }
  let edits: TextEdit[];
  try {
    edits = [
      ...(texts.alt !== undefined ? [fillAltEdit(current, texts.alt)] : []),
      ...(texts.description !== undefined ? describeDiagramEdits(document.getText(), current, texts.description) : []),
    ];
  } catch (error) {
    void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
    return;
  }
  if (!(await vscode.workspace.applyEdit(workspaceEditFor(document, edits)))) return;
  const rootDir = workspaceRootOf(document.uri);
  // Only Loupe's own words are recorded for stale checks; an edited alt text is the author's.
  if (texts.alt !== undefined && texts.alt === texts.proposed && texts.sha256 && rootDir) {
    const { alt, sha256 } = texts;
    await altRecords.update(rootDir, (records) => records.record(file, sha256, alt)).catch((error: Error) =>
      vscode.window.showWarningMessage(`Loupe: alt text written, but not recorded for stale checks: ${error.message}`),
    );
  }
  if (texts.description !== undefined) await showDescription(document, edits, texts.alt !== undefined);
}

/**
 * The description was written without a separate review (it is long, Markdown, and reads best in
 * place): it is selected in the editor, and one Undo takes it back (with the alt text).
 */
async function showDescription(document: vscode.TextDocument, edits: TextEdit[], withAlt: boolean): Promise<void> {
  const version = document.version;
  // Where the last edit's text ended up: earlier edits moved it by their change in length.
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const last = sorted[sorted.length - 1];
  const shift = sorted.slice(0, -1).reduce((sum, edit) => sum + edit.newText.length - (edit.end - edit.start), 0);
  const start = document.positionAt(last.start + shift);
  const end = document.positionAt(last.start + shift + last.newText.length);
  const editor = await vscode.window.showTextDocument(document, { selection: new vscode.Range(start, end) });
  editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  const undo = 'Undo';
  const choice = await vscode.window.showInformationMessage(
    `Loupe wrote ${withAlt ? 'alt text and ' : ''}a diagram description (selected). Review it; Undo takes ${withAlt ? 'both' : 'it'} back.`,
    undo,
  );
  // Only when nothing else changed the document since: Undo must not take back someone else's edit.
  if (choice === undo && document.version === version) {
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
  }
}

async function keepAltText(altRecords: AltTextRecordsWriter, uri: vscode.Uri, offset: number): Promise<void> {
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
  await altRecords.update(rootDir, (records) => records.record(file.path, sha256, alt));
}

export function registerAltTextQuickFixes(context: vscode.ExtensionContext, deps: AltTextFeatureDeps): void {
  const quickFix: QuickFixContext = { ...deps, extensionUri: context.extensionUri };
  registerWriteAltYourself(context);
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(ALT_TEXT_SELECTOR, new AltTextActionProvider(), {
      providedCodeActionKinds: AltTextActionProvider.kinds,
    }),
    vscode.commands.registerCommand(GENERATE_COMMAND, async (uri: vscode.Uri, offset: number, task: QuickFixTask) => {
      try {
        await generateForImage(quickFix, uri, offset, task);
      } catch (error) {
        await showAltTextError(error);
      }
    }),
    vscode.commands.registerCommand(KEEP_COMMAND, async (uri: vscode.Uri, offset: number) => {
      try {
        await keepAltText(deps.altRecords, uri, offset);
      } catch (error) {
        void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
      }
    }),
  );
}
