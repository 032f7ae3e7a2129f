/**
 * Ways an image reaches the Ask panel from VS Code: Explorer context commands (one per task), the
 * image preview's editor title button, the image reference under the cursor in Markdown / HTML /
 * JSX / TSX, and the OS clipboard. From the command palette, a task command without an image asks
 * for one and then runs the task.
 */
import * as vscode from 'vscode';
import { surroundingContext } from '../altText/altQuality';
import type { LoupeServices } from '../host/services';
import type { Task } from '../protocol/tasks';
import type { AskPanelController } from './askPanel/askPanel';
import { loadImageFromUri } from './askPanel/imageIntake';
import { loadImageFromBytes } from './askPanel/loadedImage';
import { chooseImage } from './chooseImage';
import { formatForFileName } from '../protocol/imageFormats';
import { ClipboardImageError, clipboardImageReaderAvailable, readClipboardImage } from './clipboardImage';
import { locateImage } from './imageLocation';
import { imageAt, imagePathOfSrc } from '../altText/imageReferences';
import { altTargetFor } from './insertion';

/** Explorer commands, the task each starts right away (none: the user chooses in the panel), and what the picker calls it. */
const FILE_COMMANDS: Record<string, { task?: Task; action: string }> = {
  'loupe.askAboutImage': { action: 'Ask About Image' },
  'loupe.explainScreenshot': { task: 'explain-screenshot', action: 'Explain Screenshot' },
  'loupe.describeDiagram': { task: 'describe-diagram', action: 'Describe Diagram' },
  'loupe.generateAltText': { task: 'alt-text', action: 'Generate Alt Text' },
  'loupe.extractText': { task: 'extract-text', action: 'Extract Text' },
};

/**
 * Context keys the walkthrough's steps complete on (package.json `completionEvents`): an image was
 * asked about, text was extracted. VS Code remembers a completed step, so they need not persist.
 */
function markWalkthroughStep(task: Task | undefined): void {
  void vscode.commands.executeCommand('setContext', task === 'extract-text' ? 'loupe.extractedText' : 'loupe.askedAboutImage', true);
}

export function registerImageCommands(context: vscode.ExtensionContext, services: LoupeServices, panel: AskPanelController): void {
  const guarded = (name: string, run: (...args: unknown[]) => Promise<void>) =>
    vscode.commands.registerCommand(name, async (...args: unknown[]) => {
      try {
        await run(...args);
      } catch (error) {
        services.log.warn(`${name}: ${String(error)}`);
        void vscode.window.showErrorMessage(`Loupe: ${error instanceof Error ? error.message : String(error)}`);
      }
    });

  for (const [command, { task, action }] of Object.entries(FILE_COMMANDS)) {
    context.subscriptions.push(
      guarded(command, async (clicked, selected) => {
        const uri = imageUriFrom(clicked, selected) ?? (await chooseImage(action));
        if (!uri) return;
        await panel.show({ image: await loadImageFromUri(uri), ask: task && { task } });
        markWalkthroughStep(task);
      }),
    );
  }

  context.subscriptions.push(
    // Two images selected in the Explorer are compared; with one, or from the palette, Loupe asks for the rest.
    guarded('loupe.compareImages', async (clicked, selected) => {
      const [chosen, other] = imageUrisFrom(clicked, selected);
      const first = chosen ?? (await chooseImage('Compare Images'));
      if (!first) return;
      const second = other ?? (await chooseImage('Compare With'));
      if (!second) return;
      await panel.show({ image: await loadImageFromUri(first), secondImage: await loadImageFromUri(second), compare: COMPARE_QUESTION });
    }),
    guarded('loupe.askAboutImageUnderCursor', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) throw new Error('Open a Markdown, HTML, JSX or TSX file and place the cursor on an image first.');
      await askAboutImageUnderCursor(editor, panel);
      markWalkthroughStep(undefined);
    }),
    vscode.commands.registerCommand('loupe.explainClipboardScreenshot', async () => {
      let bytes: Uint8Array;
      try {
        bytes = await readClipboardImage();
      } catch (error) {
        services.log.warn(`loupe.explainClipboardScreenshot: ${String(error)}`);
        const message = error instanceof ClipboardImageError ? error.message : 'Loupe could not read an image from the clipboard. Paste it into the Loupe panel with Ctrl/Cmd+V instead.';
        const answer = await vscode.window.showErrorMessage(`Loupe: ${message}`, 'Open Ask Panel');
        if (answer) await panel.show();
        return;
      }
      try {
        await panel.show({ image: loadImageFromBytes('clipboard.png', bytes, 'Clipboard'), ask: { task: 'explain-screenshot' } });
        markWalkthroughStep('explain-screenshot');
      } catch (error) {
        services.log.warn(`loupe.explainClipboardScreenshot: ${String(error)}`);
        void vscode.window.showErrorMessage(`Loupe: the clipboard image cannot be used: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  // The palette lists the clipboard command only where a clipboard can be read (package.json `when`).
  void clipboardImageReaderAvailable().then(
    (available) => vscode.commands.executeCommand('setContext', 'loupe.clipboardImageReader', available),
    (error: unknown) => services.log.warn(`Loupe: could not tell whether the clipboard can be read: ${String(error)}`),
  );
}

/** The question Compare Images asks of two images at once. */
const COMPARE_QUESTION = 'What changed between these two images?';

/** The image files among the Explorer's selected items in the order they were selected, else the clicked one; each once. */
function imageUrisFrom(clicked: unknown, selected: unknown): vscode.Uri[] {
  const items = Array.isArray(selected) && selected.length > 1 ? selected : [clicked, ...(Array.isArray(selected) ? selected : [])];
  const candidates = items.filter((candidate): candidate is vscode.Uri => candidate instanceof vscode.Uri);
  const unique = candidates.filter((uri, index) => candidates.findIndex((other) => other.toString() === uri.toString()) === index);
  return unique.filter((uri) => formatForFileName(uri.path));
}

/** The image a menu passed: the clicked resource, or the first image of a multi-selection. */
function imageUriFrom(clicked: unknown, selected: unknown): vscode.Uri | undefined {
  const candidates = [clicked, ...(Array.isArray(selected) ? selected : [])];
  return candidates.find((candidate): candidate is vscode.Uri => candidate instanceof vscode.Uri);
}

async function askAboutImageUnderCursor(editor: vscode.TextEditor, panel: AskPanelController): Promise<void> {
  const document = editor.document;
  const text = document.getText();
  const image = imageAt(text, document.offsetAt(editor.selection.active), document.uri.path, document.languageId);
  const name = vscode.workspace.asRelativePath(document.uri, false);
  if (!image) {
    throw new Error(`No image under the cursor in ${name}. Place the cursor on ![…](…), <img src="…"> or <Image src=…>.`);
  }
  const path = imagePathOfSrc(image.src, text);
  if (!path) {
    throw new Error(`Loupe cannot tell which file ${image.src} is (an expression, not an import or a path). Use "Ask About Image" on the file in the Explorer.`);
  }
  const location = locateImage(path, document.uri);
  const loaded =
    location.kind === 'uri'
      ? await loadImageFromUri(location.uri)
      : loadImageFromBytes(location.name, location.bytes, `inline image in ${name}`);
  await panel.show({ image: loaded, altTarget: altTargetFor(document, image), documentContext: surroundingContext(text, image) });
}
