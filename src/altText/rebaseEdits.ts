import { diffLines } from 'diff';
import type { TextEdit } from './altEdits';

/** Past this many changed lines the versions are too different to be worth diffing. */
const MAX_CHANGED_LINES = 5000;

/** A run of lines the two versions share: `[start, end)` in the old text, moved by `shift`. */
interface SharedRun {
  start: number;
  end: number;
  shift: number;
}

/**
 * Moves edits computed on `before` onto `after`, the same document as it is now (someone edited
 * it while the model worked). Each edit must lie on lines that are still there unchanged, else
 * it could land on text its author never saw: then the answer is undefined and nothing is applied.
 */
export function rebaseEdits(before: string, after: string, edits: readonly TextEdit[]): TextEdit[] | undefined {
  if (before === after) return [...edits];
  const changes = diffLines(before, after, { maxEditLength: MAX_CHANGED_LINES });
  if (!changes) return undefined;
  const shared: SharedRun[] = [];
  let oldOffset = 0;
  let newOffset = 0;
  for (const change of changes) {
    const length = change.value.length;
    if (!change.added && !change.removed) shared.push({ start: oldOffset, end: oldOffset + length, shift: newOffset - oldOffset });
    if (!change.added) oldOffset += length;
    if (!change.removed) newOffset += length;
  }
  const rebased: TextEdit[] = [];
  for (const edit of edits) {
    const lineStart = edit.start === 0 ? 0 : before.lastIndexOf('\n', edit.start - 1) + 1;
    const lineBreak = before.indexOf('\n', edit.end);
    const lineEnd = lineBreak < 0 ? before.length : lineBreak + 1;
    const run = runHolding(shared, lineStart);
    if (!run || lineEnd > run.end) return undefined;
    rebased.push({ ...edit, start: edit.start + run.shift, end: edit.end + run.shift });
  }
  return rebased;
}

/** The shared run that contains `offset` (runs are sorted and disjoint). */
function runHolding(runs: readonly SharedRun[], offset: number): SharedRun | undefined {
  let low = 0;
  let high = runs.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const run = runs[middle];
    if (offset < run.start) high = middle - 1;
    else if (offset >= run.end) low = middle + 1;
    else return run;
  }
  return undefined;
}
