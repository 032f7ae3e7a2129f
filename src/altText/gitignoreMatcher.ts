import ignore, { type Ignore } from 'ignore';
import { relative, sep } from 'node:path';

export interface GitignoreFile {
  /** Absolute directory holding the `.gitignore`; its rules are relative to it. */
  dir: string;
  content: string;
}

/**
 * A predicate "is this absolute path ignored by git?" from the `.gitignore` files given, with
 * git's precedence: deeper files override shallower ones (a `!pattern` can re-include), and a
 * file inside an ignored directory stays ignored. Free of I/O so the CLI (node:fs) and the
 * extension (workspace.fs) can each collect the files their own way.
 */
export function createGitignoreMatcher(files: readonly GitignoreFile[]): (path: string) => boolean {
  const rules: Array<{ dir: string; rules: Ignore }> = [...files]
    .sort((a, b) => a.dir.length - b.dir.length)
    .map((file) => ({ dir: file.dir, rules: ignore().add(file.content) }));
  return (path) => {
    let ignored = false;
    for (const { dir, rules: matcher } of rules) {
      const inside = relative(dir, path);
      if (!inside || inside.startsWith('..') || inside.startsWith(sep) || /^[a-zA-Z]:/.test(inside)) continue;
      const result = matcher.test(inside.split(sep).join('/'));
      if (result.ignored) ignored = true;
      else if (result.unignored) ignored = false;
    }
    return ignored;
  };
}
