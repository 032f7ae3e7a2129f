/**
 * Ways an image reaches the Ask panel from VS Code: Explorer context commands (one per task), the
 * image preview's editor title button, the image reference under the cursor in Markdown / HTML /
 * JSX / TSX, and the OS clipboard.
 */
import * as vscode from 'vscode';
import { surroundingContext } from '../altText/altQuality';
import type { LoupeServices } from '../host/services';
import type { Task } from '../protocol/tasks';
import type { AskPanelController } from './askPanel/askPanel';
import { loadImageFromUri } from './askPanel/imageIntake';
import { loadImageFromBytes } from './askPanel/loadedImage';
import { readClipboardImage } from './clipboardImage';
import { locateImage } from './imageLocation';
import { imageAt, imagePathOfSrc } from './imageReferences';
import { altTargetFor } from './insertion';

/** Explorer commands and the task each starts right away (none: the user chooses in the panel). */
const FILE_COMMANDS: Record<string, Task | undefined> = {
  'loupe.askAboutImage': undefined,
  'loupe.explainScreenshot': 'explain-screenshot',
  'loupe.describeDiagram': 'describe-diagram',
  'loupe.generateAltText': 'alt-text',
  'loupe.extractText': 'extract-text',
};

const IMAGE_PREVIEW_VIEW_TYPE = 'imagePreview.previewEditor';

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

  for (const [command, task] of Object.entries(FILE_COMMANDS)) {
    context.subscriptions.push(
      guarded(command, async (clicked, selected) => {
        const uri = imageUriFrom(clicked, selected) ?? activeImagePreview();
        if (!uri) return panel.show();
        await panel.show({ image: await loadImageFromUri(uri), ask: task && { task } });
      }),
    );
  }

  context.subscriptions.push(
    guarded('loupe.askAboutImageUnderCursor', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) throw new Error('Open a Markdown, HTML, JSX or TSX file and place the cursor on an image first.');
      await askAboutImageUnderCursor(editor, panel);
    }),
    guarded('loupe.explainClipboardScreenshot', async () => {
      const bytes = await readClipboardImage();
      await panel.show({ image: loadImageFromBytes('clipboard.png', bytes, 'Clipboard'), ask: { task: 'explain-screenshot' } });
    }),
  );
}

/** The image a menu passed: the clicked resource, or the first image of a multi-selection. */
function imageUriFrom(clicked: unknown, selected: unknown): vscode.Uri | undefined {
  const candidates = [clicked, ...(Array.isArray(selected) ? selected : [])];
  return candidates.find((candidate): candidate is vscode.Uri => candidate instanceof vscode.Uri);
}

/** The image open in VS Code's built-in image preview, when that is the active tab. */
function activeImagePreview(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && input.viewType === IMAGE_PREVIEW_VIEW_TYPE ? input.uri : undefined;
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
