/**
 * Whether the editor writes the workspace's alt text records (`.loupe/alt-text.json`,
 * staleAlt.ts) now, leaves them alone, or asks first. The file goes into the author's repository,
 * so Loupe does not create it unasked: the first time it would, it asks (once per workspace
 * folder), and the answer is kept in the editor's workspace state. A value of
 * `loupe.altText.recordWrittenAlt` set in the workspace or folder is an explicit choice there and
 * wins over the answer. The CLI writes records unless `--no-records` says otherwise.
 */

/** The author's answer to "Create .loupe/alt-text.json?". */
export type RecordsAnswer = 'create' | 'declined';

export interface RecordsState {
  /** `loupe.altText.recordWrittenAlt` as it applies to the folder (default on). */
  enabled: boolean;
  /** The setting has a value in this workspace or folder, not only the user's or the default. */
  setInWorkspace: boolean;
  /** The records file exists already (written before, or committed by a teammate). */
  fileExists: boolean;
  answer?: RecordsAnswer;
}

export function recordsAction(state: RecordsState): 'write' | 'skip' | 'ask' {
  if (!state.enabled) return 'skip';
  // The answer was about creating the file: one that exists (a teammate committed it) is kept up to date.
  if (state.setInWorkspace || state.fileExists) return 'write';
  if (state.answer === 'declined') return 'skip';
  return state.answer === 'create' ? 'write' : 'ask';
}
