import { createHash } from 'node:crypto';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where root-relative sources (`/img/a.png`) may live: the site root, Next.js `public/`, Docusaurus `static/`. */
const ROOT_FOLDERS = ['', 'public', 'static'];

export type ImageFileCandidates = { files: string[] } | { problem: string };

/** Why a src names no file Loupe can read, told from the text alone: a URL, inline data, code, nothing. */
export type UnreadableSource = { kind: 'remote' | 'inline' | 'expression' | 'empty'; problem: string };

/**
 * The sources Loupe never describes, whatever is on disk: remote URLs (Loupe downloads no images:
 * nothing leaves the machine for a document's links, docs/privacy.md), inline `data:` images (the
 * pipeline describes, caches and records files), JavaScript expressions, and an empty src.
 * Undefined for a path or a `file:` URL.
 */
export function unreadableSource(src: string): UnreadableSource | undefined {
  const written = src.trim();
  if (!written) return { kind: 'empty', problem: 'the image has no src' };
  if (written.startsWith('{')) return { kind: 'expression', problem: `its src ${written} is a JavaScript expression, so Loupe cannot tell which file it is` };
  if (/^data:/i.test(written)) return { kind: 'inline', problem: 'it is an inline data: image; save it as a file to describe it' };
  if (/^file:/i.test(written)) return undefined;
  if (/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(written)) return { kind: 'remote', problem: `${written} is not a local file (Loupe works offline)` };
  return undefined;
}

/**
 * The local files an image source may refer to, most likely first: relative to the document, or
 * for `/…` to the workspace root. Remote, inline and computed sources are explained, not guessed.
 */
export function imageFileCandidates(src: string, documentPath: string, rootDir: string): ImageFileCandidates {
  const unreadable = unreadableSource(src);
  if (unreadable) return { problem: unreadable.problem };
  const written = src.trim();
  if (/^file:/i.test(written)) {
    try {
      return { files: [fileURLToPath(written)] };
    } catch {
      return { problem: `${written} is not a file URL of this machine` };
    }
  }
  let path = written.split(/[?#]/)[0];
  try {
    path = decodeURI(path);
  } catch {
    // Not percent-encoded after all: use it as written.
  }
  if (path.startsWith('/')) return { files: ROOT_FOLDERS.map((folder) => join(rootDir, folder, path)) };
  return { files: [join(dirname(documentPath), path)] };
}

/**
 * The image file for `src`, or why there is none: the one rule for the quick fixes, the batch,
 * the CLI, stale checks and "Ask About Image Under Cursor". An image is read (and possibly sent
 * to a model server) only when it really lies inside the workspace root, or a folder the user
 * named (`extraFolders`): a document's `../../secret.png`, a `file://` URL or a symlink out of
 * the workspace cannot make Loupe read what the user did not point it at.
 */
export async function resolveImageFile(src: string, documentPath: string, rootDir: string, extraFolders: readonly string[] = []): Promise<{ path: string } | { problem: string }> {
  const source = imageFileCandidates(src, documentPath, rootDir);
  if ('problem' in source) return source;
  for (const file of source.files) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const real = await realpath(file);
    const roots = await Promise.all([rootDir, ...extraFolders].map((folder) => realpath(folder).catch(() => folder)));
    return insideAny(real, roots) ? { path: file } : outside(real);
  }
  return notFound(source.files, rootDir);
}

/** resolveImageFile for a command that picks its file as it runs (a few stat calls, no reads). */
export function resolveImageFileSync(src: string, documentPath: string, rootDir: string, extraFolders: readonly string[] = []): { path: string } | { problem: string } {
  const source = imageFileCandidates(src, documentPath, rootDir);
  if ('problem' in source) return source;
  const found = source.files.find((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
  if (!found) return notFound(source.files, rootDir);
  const real = realpathSync(found);
  const roots = [rootDir, ...extraFolders].map((folder) => (statSync(folder, { throwIfNoEntry: false }) ? realpathSync(folder) : folder));
  return insideAny(real, roots) ? { path: found } : outside(real);
}

function insideAny(path: string, folders: readonly string[]): boolean {
  return folders.some((folder) => isInside(folder, path));
}

/** Whether `path` lies under `folder` (by name: callers pass real paths where links matter). */
export function isInside(folder: string, path: string): boolean {
  const rest = relative(folder, path);
  return rest !== '' && !isAbsolute(rest) && rest !== '..' && !rest.startsWith(`..${sep}`);
}

function outside(path: string): { problem: string } {
  return { problem: `${path} is outside the workspace, and Loupe reads no image from outside it (the CLI takes --allow-images-from <folder>)` };
}

function notFound(files: string[], rootDir: string): { problem: string } {
  const tried = files.map((file) => relative(rootDir, file).split(sep).join('/')).join(', ');
  return { problem: `image file not found (looked for ${tried})` };
}

/** Hex SHA-256 of a file's bytes: the key for cached and recorded alt text. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', (error) => reject(new Error(`Cannot read image ${path}: ${error.message}`)))
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Hashes images, remembering each file's hash until its size or modification time changes, so
 * repeated scans (diagnostics on every edit) do not re-read unchanged images.
 */
export class ImageHasher {
  private readonly known = new Map<string, { stamp: string; sha256: string }>();

  async hash(path: string): Promise<string> {
    const info = await stat(path);
    const stamp = `${info.size}:${info.mtimeMs}`;
    const cached = this.known.get(path);
    if (cached?.stamp === stamp) return cached.sha256;
    const sha256 = await sha256File(path);
    this.known.set(path, { stamp, sha256 });
    return sha256;
  }
}
