import { readFileSync, rmSync } from 'node:fs';
import * as vscode from 'vscode';

const MARKER = 'engine-loading.marker';

/** The engine writes this before loading a model and removes it after (src/engine/engineService.ts). */
export function loadMarkerPath(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.globalStorageUri, MARKER).fsPath;
}

/**
 * A marker left from a previous session means the extension host died while a model was loading:
 * a native crash in a worker thread takes the whole host down. From then on the engine runs in a
 * separate process, and the user is told why.
 */
export async function recoverFromCrashedLoad(context: vscode.ExtensionContext): Promise<void> {
  const marker = loadMarkerPath(context);
  const pid = markerOwner(marker);
  // Another VS Code window shares this storage and may be loading right now: not a crash.
  if (pid === undefined || isAlive(pid)) return;
  rmSync(marker, { force: true });
  const config = vscode.workspace.getConfiguration('loupe');
  if (config.get('engine.isolation') === 'process') return;
  await config.update('engine.isolation', 'process', vscode.ConfigurationTarget.Global);
  void vscode.window.showWarningMessage(
    'Loupe: VS Code stopped while a model was loading last time, probably a crash in the model runtime. ' +
      'Loupe now runs its engine in a separate process ("loupe.engine.isolation": "process") so this cannot ' +
      'take VS Code down again.',
  );
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
