import fg, { type Entry } from 'fast-glob';
import { existsSync } from 'node:fs';
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ALT_TEXT_EXTENSIONS, ALT_TEXT_DOCUMENT_GLOB, documentKindOfFile } from '../protocol/documentKinds';
import { decodeDocument, type DecodedDocument } from './documentEncoding';
import { createGitignoreMatcher, type GitignoreFile } from './gitignoreMatcher';

const ALWAYS_SKIPPED = ['**/node_modules/**', '**/.git/**'];
/**
 * Walks never enter symlinked folders (as git, which stores the link): a link to `..` or two
 * links to each other's folders would otherwise make the walk endless.
 */
const WALK = { followSymbolicLinks: false, ignore: ALWAYS_SKIPPED } as const;

/**
 * The documents named by `patterns` (files, folders or globs, relative to `cwd`), absolute and
 * sorted. Folders and globs skip node_modules and whatever `.gitignore` excludes; a file named
 * explicitly is always checked. A pattern that names nothing checkable is an error, so a typo
 * does not pass as "no problems found". Symlinked files count once: a second path to the same
 * file would be fixed twice.
 */
export async function expandDocumentPatterns(patterns: readonly string[], cwd: string): Promise<string[]> {
  if (patterns.length === 0) throw new Error('No files given: name Markdown, MDX, HTML or JSX files, folders or globs.');
  const isIgnored = await loadGitignoreMatcher(cwd);
  const found = new Set<string>();
  for (const pattern of patterns) {
    const matches = await expandPattern(pattern, cwd, isIgnored);
    if (matches.length === 0) throw new Error(`${pattern}: no Markdown, MDX, HTML or JSX files match (outside node_modules and .gitignore).`);
    for (const file of matches) found.add(file);
  }
  const byTarget = new Map<string, string>();
  for (const file of [...found].sort()) {
    const target = await realpath(file);
    if (!byTarget.has(target)) byTarget.set(target, file);
  }
  return [...byTarget.values()];
}

async function expandPattern(pattern: string, cwd: string, isIgnored: (path: string) => boolean): Promise<string[]> {
  let glob = pattern;
  if (!fg.isDynamicPattern(pattern)) {
    const path = resolve(cwd, pattern);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => missingPathError(pattern, path, error));
    if (info.isFile()) {
      if (!documentKindOfFile(path)) {
        throw new Error(`${pattern}: Loupe cannot check alt text in this file type (supported: ${ALT_TEXT_EXTENSIONS.join(' ')}).`);
      }
      return [path];
    }
    glob = `${fg.convertPathToPattern(path)}/${ALT_TEXT_DOCUMENT_GLOB}`;
  }
  const entries = await fg(glob, { ...WALK, cwd, absolute: true, onlyFiles: false, objectMode: true });
  const files: string[] = [];
  for (const entry of entries) {
    const file = resolve(entry.path);
    if (!documentKindOfFile(file) || isIgnored(file)) continue;
    if (await isDocumentFile(entry)) files.push(file);
  }
  return files;
}

/** A regular file, or a symlink to one (a loop, a dangling link or a link to a folder is none). */
async function isDocumentFile(entry: Entry): Promise<boolean> {
  if (entry.dirent.isFile()) return true;
  if (!entry.dirent.isSymbolicLink()) return false;
  return (await stat(entry.path).catch(() => undefined))?.isFile() ?? false;
}

async function missingPathError(pattern: string, path: string, error: NodeJS.ErrnoException): Promise<never> {
  if (error.code === 'ELOOP') throw new Error(`${pattern}: is a symbolic link loop (it leads back to itself); fix or remove the link.`);
  const link = await lstat(path).catch(() => undefined);
  if (link?.isSymbolicLink()) throw new Error(`${pattern}: is a broken symbolic link (its target does not exist).`);
  throw new Error(`${pattern}: no such file or folder.`);
}

/**
 * Git's ignore rules for files under `cwd`: every `.gitignore` below it, plus those in the folders
 * between it and the repository root (when `cwd` is inside a git checkout).
 */
export async function loadGitignoreMatcher(cwd: string): Promise<(path: string) => boolean> {
  const root = resolve(cwd);
  const below = await fg('**/.gitignore', { ...WALK, cwd: root, absolute: true, dot: true });
  const files = new Set(below.map((file) => resolve(file)));
  const repositoryRoot = findRepositoryRoot(root);
  // findRepositoryRoot walked up from root, so this loop reaches repositoryRoot.
  for (let dir = root; repositoryRoot; dir = dirname(dir)) {
    if (existsSync(join(dir, '.gitignore'))) files.add(join(dir, '.gitignore'));
    if (dir === repositoryRoot) break;
  }
  const gitignores: GitignoreFile[] = await Promise.all(
    [...files].map(async (file) => ({ dir: dirname(file), content: await readFile(file, 'utf8') })),
  );
  return createGitignoreMatcher(gitignores);
}

function findRepositoryRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dir === dirname(dir)) return undefined;
  }
}

/** A document's text, with its encoding so a rewrite keeps it (see documentEncoding.ts). */
export async function readDocument(path: string): Promise<DecodedDocument> {
  return decodeDocument(await readFile(path), path);
}
