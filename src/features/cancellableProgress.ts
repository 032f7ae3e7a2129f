import * as vscode from 'vscode';

export interface ProgressControl {
  /** Aborted when the user presses Cancel; for work that takes an AbortSignal. */
  signal: AbortSignal;
  /** The same cancellation as VS Code's token, for VS Code APIs that take one (findFiles). */
  token: vscode.CancellationToken;
  /** Percent done (never goes backwards) and what is happening; either may be left out. */
  report(percentDone: number | undefined, message?: string): void;
}

/**
 * The one cancellable progress notification of Loupe's long operations (model download and
 * import, alt text quick fixes and the workspace batch): Cancel aborts the signal, and progress
 * is a percentage that never goes backwards.
 */
export function withCancellableProgress<T>(title: string, work: (control: ProgressControl) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    let reported = 0;
    try {
      return await work({
        signal: controller.signal,
        token,
        report: (percentDone, message) => {
          const increment = percentDone === undefined ? undefined : Math.max(0, percentDone - reported);
          progress.report({ message, increment });
          if (percentDone !== undefined) reported = Math.max(reported, percentDone);
        },
      });
    } finally {
      subscription.dispose();
    }
  });
}
