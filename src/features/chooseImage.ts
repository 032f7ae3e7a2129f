/**
 * Which image a task command is about when the command palette gave it none: the image open in
 * the image preview when that is the active tab, else the user picks one, from the workspace's
 * images or with the file dialog, in the formats the Ask panel takes (src/protocol/imageFormats.ts).
 */
import * as vscode from 'vscode';
import { PANEL_EXTENSIONS, PANEL_FORMATS, formatNames } from '../protocol/imageFormats';

const IMAGE_PREVIEW_VIEW_TYPE = 'imagePreview.previewEditor';
// Enough to pick from; a larger workspace is searched by typing, or through Browse.
const MAX_LISTED = 500;

/** The image open in VS Code's built-in image preview, when that is the active tab. */
export function activeImagePreview(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && input.viewType === IMAGE_PREVIEW_VIEW_TYPE ? input.uri : undefined;
}

type Item = vscode.QuickPickItem & { uri?: vscode.Uri };

/** The image to use, or undefined when the user cancels. `action` names what happens next ("Extract Text"). */
export async function chooseImage(action: string): Promise<vscode.Uri | undefined> {
  const preview = activeImagePreview();
  if (preview) return preview;
  const images = await workspaceImages();
  if (images.length === 0) return browse(action);
  const browseItem: Item = { label: '$(folder-opened) Browse…', detail: `Another ${formatNames(PANEL_FORMATS)} file` };
  const items: Item[] = [
    browseItem,
    { label: 'In this workspace', kind: vscode.QuickPickItemKind.Separator },
    ...images.map((uri) => ({ label: `$(file-media) ${uri.path.split('/').pop()}`, description: vscode.workspace.asRelativePath(uri, true), uri })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Loupe: ${action}: which image?`, placeHolder: 'Type to search the workspace\'s images', matchOnDescription: true });
  if (!picked) return undefined;
  return picked.uri ?? browse(action);
}

async function workspaceImages(): Promise<vscode.Uri[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  // Globs are case-sensitive: SHOT.PNG is an image too.
  const extensions = [...new Set(PANEL_EXTENSIONS.flatMap((extension) => [extension, extension.toUpperCase()]))];
  // A string exclude adds to files.exclude; dependencies' images are not what anyone asks about.
  const found = await vscode.workspace.findFiles(`**/*.{${extensions.join(',')}}`, '**/node_modules/**', MAX_LISTED);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

async function browse(action: string): Promise<vscode.Uri | undefined> {
  const [uri] =
    (await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: action,
      title: `Loupe: ${action}: which image?`,
      filters: { Images: [...PANEL_EXTENSIONS] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    })) ?? [];
  return uri;
}
