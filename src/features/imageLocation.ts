/**
 * Where an image reference written in a document points: a URI to read with `workspace.fs`, the
 * bytes of a data: URI, or an error that says why Loupe cannot read it. Paths in local documents
 * follow the alt-text resolver (altText/imageFiles.ts), so `/img/a.png` finds `public/img/a.png`
 * here as the quick fix does.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { resolveImageFileSync } from '../altText/imageFiles';

export type ImageLocation = { kind: 'uri'; uri: vscode.Uri } | { kind: 'bytes'; name: string; bytes: Uint8Array };

export function locateImage(src: string, document: vscode.Uri): ImageLocation {
  const trimmed = src.trim();
  const dataUri = /^data:(image\/[a-z+.-]+)?(;[^,]*)?,(.*)$/is.exec(trimmed);
  if (dataUri) {
    const isBase64 = /;base64/i.test(dataUri[2] ?? '');
    const bytes = isBase64 ? Buffer.from(dataUri[3]!, 'base64') : Buffer.from(decodeURIComponent(dataUri[3]!), 'utf8');
    return { kind: 'bytes', name: 'inline image', bytes: new Uint8Array(bytes) };
  }
  if (/^https?:\/\//i.test(trimmed)) {
    throw new Error(`${trimmed} is a web address; Loupe only reads images that are on this machine or in the workspace, so it never downloads anything.`);
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(trimmed)) return { kind: 'uri', uri: vscode.Uri.parse(trimmed) };
  // Query strings and fragments (`logo.png?v=2#dark`) are not part of the file name.
  const path = safeDecode(trimmed.replace(/[?#].*$/, ''));
  if (!path) throw new Error(`The image reference "${src}" has no path.`);
  if (document.scheme === 'file') return localImage(trimmed, document);
  // Remote and virtual workspaces cannot be probed synchronously: the folder root is the guess.
  if (path.startsWith('/')) {
    const folder = vscode.workspace.getWorkspaceFolder(document);
    return { kind: 'uri', uri: folder ? vscode.Uri.joinPath(folder.uri, path) : document.with({ path }) };
  }
  return { kind: 'uri', uri: vscode.Uri.joinPath(document, '..', path) };
}

function localImage(src: string, document: vscode.Uri): ImageLocation {
  const folder = vscode.workspace.getWorkspaceFolder(document);
  const rootDir = folder?.uri.scheme === 'file' ? folder.uri.fsPath : dirname(document.fsPath);
  const resolved = resolveImageFileSync(src, document.fsPath, rootDir);
  if ('problem' in resolved) throw new Error(`${src}: ${resolved.problem}.`);
  return { kind: 'uri', uri: vscode.Uri.file(resolved.path) };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Same file, ignoring how the path was spelled. */
export function sameResource(a: vscode.Uri, b: vscode.Uri): boolean {
  return a.with({ fragment: '', query: '' }).toString() === b.with({ fragment: '', query: '' }).toString();
}
