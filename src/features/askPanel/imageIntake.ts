/**
 * Image files into the panel from VS Code: read through `vscode.workspace.fs` (so remote and
 * virtual workspaces work), chosen in the file picker, or dropped from the Explorer or a tab. What
 * is offered and accepted is the formats table's.
 */
import * as vscode from 'vscode';
import { PANEL_EXTENSIONS, PANEL_FORMATS, formatForFileName, formatNames } from '../../protocol/imageFormats';
import { readImageFile } from '../imageBytes';
import { loadImageFromBytes, type LoadedImage } from './loadedImage';

export async function loadImageFromUri(uri: vscode.Uri): Promise<LoadedImage> {
  const name = uri.path.split('/').pop() || uri.toString();
  const origin = vscode.workspace.asRelativePath(uri, false);
  const cannotRead = (error: unknown) => {
    const reason = error instanceof vscode.FileSystemError && error.code === 'FileNotFound' ? 'it does not exist' : String((error as Error).message ?? error);
    return new Error(`Cannot read ${origin}: ${reason}.`);
  };
  const { bytes } = await readImageFile(
    origin,
    () => Promise.resolve(vscode.workspace.fs.stat(uri)).catch((error: unknown) => Promise.reject(cannotRead(error))),
    () => Promise.resolve(vscode.workspace.fs.readFile(uri)).catch((error: unknown) => Promise.reject(cannotRead(error))),
  );
  return loadImageFromBytes(name, bytes, origin, uri.toString());
}

/** The file the user picks, or undefined when they cancel. */
export async function pickImage(defaultUri: vscode.Uri | undefined, openLabel = 'Ask About Image'): Promise<LoadedImage | undefined> {
  const [uri] =
    (await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel,
      filters: { Images: [...PANEL_EXTENSIONS] },
      defaultUri: defaultUri ?? vscode.workspace.workspaceFolders?.[0]?.uri,
    })) ?? [];
  return uri && loadImageFromUri(uri);
}

/**
 * The first dropped file the formats table knows (one the panel cannot take is refused with the
 * reason when it is read); an error naming the files when none is an image.
 */
export async function loadDroppedImage(uris: string[]): Promise<LoadedImage> {
  const parsed = uris.map((uri) => vscode.Uri.parse(uri, true));
  const image = parsed.find((uri) => formatForFileName(uri.path));
  if (!image) {
    const names = parsed.map((uri) => uri.path.split('/').pop()).join(', ');
    throw new Error(`${names} ${parsed.length === 1 ? 'is not an image' : 'are not images'} Loupe can read. Use ${formatNames(PANEL_FORMATS)}.`);
  }
  return loadImageFromUri(image);
}
