/**
 * Where the panel's insert buttons would write: the last text editor (focus moving to the panel
 * keeps it) and the image reference whose alt text to fill. Sent to the webview when they change,
 * a moment after typing settles, so the buttons' labels stay true.
 */
import * as vscode from 'vscode';
import type { InsertTargets } from '../../protocol/webview';
import { LastTextEditor, describeTargets, type AltTextTarget, type NotebookCellTarget } from '../insertion';

const SETTLE_MS = 150;

export class InsertTargetsTracker implements vscode.Disposable {
  readonly lastEditor = new LastTextEditor();
  private timer?: ReturnType<typeof setTimeout>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly altTarget: () => AltTextTarget | undefined,
    private readonly cellTarget: () => NotebookCellTarget | undefined,
    private readonly send: (targets: InsertTargets) => void,
  ) {
    this.subscriptions = [
      this.lastEditor,
      this.lastEditor.onDidChange(() => this.schedule()),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === this.lastEditor.current?.document) this.schedule();
      }),
    ];
  }

  describe(): InsertTargets {
    return describeTargets(this.lastEditor, this.altTarget(), this.cellTarget());
  }

  post(): void {
    this.send(this.describe());
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.post(), SETTLE_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
