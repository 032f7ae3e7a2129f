/**
 * Images as the Ask panel holds them: bytes plus where they came from. Files are read through
 * `vscode.workspace.fs`, so images in remote and virtual workspaces work too, and every image is
 * checked to be one before a model or the webview sees it.
 */
import * as vscode from 'vscode';
import type { ImageMimeType, PanelImage } from '../protocol/webview';
import { checkImageBytes, readImageFile } from './imageBytes';

export interface LoadedImage {
  name: string;
  bytes: Uint8Array;
  mime: ImageMimeType;
  /** Shown to the user: a workspace-relative path, "Clipboard", "Pasted image". */
  origin: string;
  /** The file it was read from, when it was one. */
  uri?: vscode.Uri;
}

export async function loadImageFromUri(uri: vscode.Uri): Promise<LoadedImage> {
  const name = uri.path.split('/').pop() || uri.toString();
  const origin = vscode.workspace.asRelativePath(uri, false);
  const cannotRead = (error: unknown) => {
    const reason = error instanceof vscode.FileSystemError && error.code === 'FileNotFound' ? 'it does not exist' : String((error as Error).message ?? error);
    return new Error(`Cannot read ${origin}: ${reason}.`);
  };
  const { bytes, mime } = await readImageFile(
    origin,
    () => Promise.resolve(vscode.workspace.fs.stat(uri)).catch((error: unknown) => Promise.reject(cannotRead(error))),
    () => Promise.resolve(vscode.workspace.fs.readFile(uri)).catch((error: unknown) => Promise.reject(cannotRead(error))),
  );
  return { name, bytes, mime, origin, uri };
}

export function loadImageFromBytes(name: string, bytes: Uint8Array, origin: string): LoadedImage {
  return { name, bytes, mime: checkImageBytes(name, bytes), origin };
}

/** Decodes a data URL the webview sent (already schema-checked) and checks the bytes. */
export function loadImageFromDataUrl(name: string, dataUrl: string, origin: string): LoadedImage {
  const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  return loadImageFromBytes(name, new Uint8Array(Buffer.from(base64, 'base64')), origin);
}

/** Encoded once per image: the panel gets it again on every reveal (its webview is not retained). */
const encoded = new WeakMap<LoadedImage, PanelImage>();

export function toPanelImage(image: LoadedImage): PanelImage {
  let panelImage = encoded.get(image);
  if (!panelImage) {
    panelImage = { name: image.name, origin: image.origin, dataUrl: `data:${image.mime};base64,${Buffer.from(image.bytes).toString('base64')}` };
    encoded.set(image, panelImage);
  }
  return panelImage;
}
