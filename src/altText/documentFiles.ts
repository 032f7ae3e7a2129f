import fg from 'fast-glob';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { createGitignoreMatcher, type GitignoreFile } from './gitignoreMatcher';
import { SCANNED_EXTENSIONS } from './scanDocument';

const ALWAYS_SKIPPED = ['**/node_modules/**', '**/.git/**'];
const EXTENSION_GLOB = `*.{${SCANNED_EXTENSIONS.map((extension) => extension.slice(1)).join(',')}}`;

/**
 * The documents named by `patterns` (files, folders or globs, relative to `cwd`), absolute and
 * sorted. Folders and globs skip node_modules and whatever `.gitignore` excludes; a file named
 * explicitly is always checked. A pattern that names nothing checkable is an error, so a typo
 * does not pass as "no problems found".
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
  return [...found].sort();
}

async function expandPattern(pattern: string, cwd: string, isIgnored: (path: string) => boolean): Promise<string[]> {
  let glob = pattern;
  if (!fg.isDynamicPattern(pattern)) {
    const path = resolve(cwd, pattern);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new Error(`${pattern}: no such file or folder.`);
    if (info.isFile()) {
      if (!SCANNED_EXTENSIONS.includes(extname(path).toLowerCase())) {
        throw new Error(`${pattern}: Loupe cannot check alt text in this file type (supported: ${SCANNED_EXTENSIONS.join(' ')}).`);
      }
      return [path];
    }
    glob = `${fg.convertPathToPattern(path)}/**/${EXTENSION_GLOB}`;
  }
  const files = await fg(glob, { cwd, absolute: true, onlyFiles: true, ignore: ALWAYS_SKIPPED });
  return files
    .map((file) => resolve(file))
    .filter((file) => SCANNED_EXTENSIONS.includes(extname(file).toLowerCase()) && !isIgnored(file));
}

/**
 * Git's ignore rules for files under `cwd`: every `.gitignore` below it, plus those in the folders
 * between it and the repository root (when `cwd` is inside a git checkout).
 */
export async function loadGitignoreMatcher(cwd: string): Promise<(path: string) => boolean> {
  const root = resolve(cwd);
  const below = await fg('**/.gitignore', { cwd: root, absolute: true, dot: true, ignore: ALWAYS_SKIPPED });
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

/**
 * A document's text without its byte order mark (editors do not count it in columns), and the
 * mark itself so a rewrite can put it back.
 */
export async function readDocument(path: string): Promise<{ text: string; bom: string }> {
  const raw = await readFile(path, 'utf8');
  return raw.charCodeAt(0) === 0xfeff ? { text: raw.slice(1), bom: '\ufeff' } : { text: raw, bom: '' };
}
