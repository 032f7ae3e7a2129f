/**
 * The quick fix for images Loupe cannot describe: a remote URL (Loupe downloads no images), an
 * inline `data:` image, a src computed by code. Offering "Generate alt text" there only led to
 * "not a local file"; this fix says why in its title and puts the cursor where the alt text goes:
 * the current alt text selected, or `alt=""` inserted with the cursor between the quotes.
 */
import * as vscode from 'vscode';
import { altTextSlot } from '../altText/altEdits';
import type { ImageOccurrence } from '../altText/findings';
import type { UnreadableSource } from '../altText/imageFiles';
import { findImage } from './altTextDiagnostics';

const WRITE_ALT_COMMAND = 'loupe.altText.writeAltYourself';

const TITLES: Record<UnreadableSource['kind'], string> = {
  remote: 'Write alt text for this remote image (Loupe does not download images)',
  inline: 'Write alt text for this inline image (Loupe describes image files only)',
  expression: 'Write alt text (Loupe cannot tell which file this src is)',
  empty: 'Write alt text (the image has no src)',
};

export function writeAltYourselfAction(uri: vscode.Uri, image: ImageOccurrence, source: UnreadableSource, diagnostics: vscode.Diagnostic[]): vscode.CodeAction {
  const action = new vscode.CodeAction(TITLES[source.kind], vscode.CodeActionKind.QuickFix);
  action.command = { command: WRITE_ALT_COMMAND, title: action.title, arguments: [uri, image.start.offset] };
  action.diagnostics = diagnostics;
  action.isPreferred = true;
  return action;
}

async function writeAltYourself(uri: vscode.Uri, offset: number): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri);
  const image = await findImage(document, offset);
  if (!image) {
    void vscode.window.showWarningMessage('Loupe: that image is no longer there; run the quick fix again on it.');
    return;
  }
  const editor = await vscode.window.showTextDocument(document);
  const { edit, select } = altTextSlot(image);
  if (edit) {
    const range = new vscode.Range(document.positionAt(edit.start), document.positionAt(edit.end));
    if (!(await editor.edit((builder) => builder.replace(range, edit.newText)))) return;
  }
  const selection = new vscode.Selection(document.positionAt(select.start), document.positionAt(select.end));
  editor.selection = selection;
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

export function registerWriteAltYourself(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(WRITE_ALT_COMMAND, async (uri: vscode.Uri, offset: number) => {
      try {
        await writeAltYourself(uri, offset);
      } catch (error) {
        void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
      }
    }),
  );
}
