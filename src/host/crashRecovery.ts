import { readFileSync, rmSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Settings } from './settings';

const MARKER = 'engine-loading.marker';

/** The engine writes this before loading a model and removes it after (src/engine/engineService.ts). */
export function loadMarkerPath(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.globalStorageUri, MARKER).fsPath;
}

/**
 * A marker left from a previous session means the extension host died while a model was loading:
 * a native crash in a worker thread takes the whole host down. From then on this machine runs the
 * engine in a separate process, and the user is told why. The fact is kept in the extension's
 * global state, not written into (synced) user settings, and nothing here can fail activation.
 */
export async function recoverFromCrashedLoad(context: vscode.ExtensionContext, settings: Settings): Promise<void> {
  const marker = loadMarkerPath(context);
  const pid = markerOwner(marker);
  // Another VS Code window shares this storage and may be loading right now: not a crash.
  if (pid === undefined || isAlive(pid)) return;
  rmSync(marker, { force: true });
  if (settings.isolation === 'process') return;
  await settings.rememberCrashInThread(true);
  void vscode.window
    .showWarningMessage(
      'Loupe: VS Code stopped while a model was loading last time, probably a crash in the model runtime. ' +
        'Loupe now runs its engine in a separate process on this machine, so this cannot take VS Code down again.',
      'Use a thread again',
    )
    .then((choice) => choice && settings.rememberCrashInThread(false));
}

function markerOwner(marker: string): number | undefined {
  try {
    const { pid } = JSON.parse(readFileSync(marker, 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' ? pid : -1;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : -1;
  }
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
