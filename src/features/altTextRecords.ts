/**
 * The workspace's alt text records (`.loupe/alt-text.json`, src/altText/staleAlt.ts) as the
 * editor writes them. The file goes into the author's repository, so the first time Loupe would
 * create it in a workspace folder it asks (Create / Not in This Workspace) and keeps the answer
 * in the workspace state (altText/recordsConsent.ts has the rule). Not as a workspace setting:
 * writing one creates `.vscode/settings.json`, a second file in the repository nobody asked for.
 * A setting in the workspace still wins over the answer, so setting
 * `loupe.altText.recordWrittenAlt` to true there turns recording back on.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { recordsAction, type RecordsAnswer } from '../altText/recordsConsent';
import { AltTextRecords, DEFAULT_ALT_RECORDS_PATH } from '../altText/staleAlt';
import { recordWrittenAltSetting } from '../host/settings';

/** workspaceState key: the answers given, by workspace folder path. */
const ANSWERS_KEY = 'loupe.altText.recordsAnswers';
const CREATE = 'Create';
const DECLINE = 'Not in This Workspace';

type RecordsChange = (records: AltTextRecords) => void;

export function altRecordsPath(rootDir: string): string {
  return join(rootDir, DEFAULT_ALT_RECORDS_PATH);
}

export class AltTextRecordsWriter implements vscode.Disposable {
  private readonly written = new vscode.EventEmitter<void>();
  /** Fires after the records were saved. Not left to a file watcher, which can miss a file in a folder just created (`.loupe/`). */
  readonly onDidWrite = this.written.event;
  /** Changes waiting for the answer to the question, by folder: one question per folder at a time. */
  private readonly waiting = new Map<string, RecordsChange[]>();

  constructor(private readonly workspaceState: vscode.Memento) {}

  /**
   * Loads the folder's records fresh, applies `change`, and saves them, unless recording is off
   * there. When the file would be created unasked, it asks and returns at once: the change is
   * written on Create, dropped on Not in This Workspace or when the question is closed unanswered
   * (it is asked again next time).
   */
  async update(rootDir: string, change: RecordsChange): Promise<void> {
    const path = altRecordsPath(rootDir);
    const action = recordsAction({ ...recordWrittenAltSetting(vscode.Uri.file(rootDir)), fileExists: existsSync(path), answer: this.answers()[rootDir] });
    if (action === 'skip') return;
    if (action === 'write') return this.write(rootDir, [change]);
    const waiting = this.waiting.get(rootDir);
    if (waiting) {
      waiting.push(change);
      return;
    }
    this.waiting.set(rootDir, [change]);
    void this.ask(rootDir);
  }

  dispose(): void {
    this.written.dispose();
  }

  private async ask(rootDir: string): Promise<void> {
    const name = vscode.workspace.asRelativePath(altRecordsPath(rootDir));
    const choice = await vscode.window.showInformationMessage(
      `Loupe wrote alt text. Create ${name} to record it? The file lists which alt text Loupe wrote for which image, so whoever changes one of those images later (you or a teammate) is warned that its alt text may be stale; it is meant to be committed. Loupe's cache of answers is per user, outside the workspace.`,
      CREATE,
      DECLINE,
    );
    const changes = this.waiting.get(rootDir) ?? [];
    this.waiting.delete(rootDir);
    if (choice === undefined) return;
    await this.workspaceState.update(ANSWERS_KEY, { ...this.answers(), [rootDir]: choice === CREATE ? 'create' : 'declined' });
    if (choice !== CREATE) return;
    await this.write(rootDir, changes).catch((error: Error) => vscode.window.showWarningMessage(`Loupe: alt text written, but not recorded for stale checks: ${error.message}`));
  }

  private async write(rootDir: string, changes: readonly RecordsChange[]): Promise<void> {
    const records = await AltTextRecords.load(altRecordsPath(rootDir), rootDir);
    for (const change of changes) change(records);
    await records.save();
    this.written.fire();
  }

  private answers(): Record<string, RecordsAnswer> {
    return this.workspaceState.get<Record<string, RecordsAnswer>>(ANSWERS_KEY, {});
  }
}

export function registerAltTextRecords(context: vscode.ExtensionContext): AltTextRecordsWriter {
  const writer = new AltTextRecordsWriter(context.workspaceState);
  context.subscriptions.push(writer);
  return writer;
}
