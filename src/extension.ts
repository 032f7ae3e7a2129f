/**
 * Activation wires features to services and returns: no model loads, no engine starts, nothing
 * is read beyond a marker file. The engine starts on the first job.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { registerAltTextBatch } from './features/altTextBatch';
import { registerAltTextDiagnostics } from './features/altTextDiagnostics';
import { registerAltTextQuickFixes } from './features/altTextQuickFixes';
import { registerAskPanel } from './features/askPanel';
import { registerImageSources } from './features/imageSources';
import { registerModelStatus } from './features/modelStatus';
import { registerModelCommands, resolveSelectedModelDir } from './features/models';
import { registerPresetPicker } from './features/presetPicker';
import { createAltGenerator } from './host/altGenerator';
import { loadMarkerPath, recoverFromCrashedLoad } from './host/crashRecovery';
import { EngineClient } from './host/engineClient';
import type { LoupeServices } from './host/services';
import { Settings } from './host/settings';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  mkdirSync(context.globalStorageUri.fsPath, { recursive: true });
  const log = vscode.window.createOutputChannel('Loupe', { log: true });
  const settings = new Settings(context.globalState);
  await recoverFromCrashedLoad(context, settings).catch((error: unknown) => log.warn(`Loupe: crash recovery skipped: ${String(error)}`));

  const engine = new EngineClient({
    enginePath: join(context.extensionPath, 'dist', 'engine.js'),
    isolation: settings.isolation,
    idleUnloadMs: settings.idleUnloadMs,
    loadMarkerPath: loadMarkerPath(context),
    onUnattributedError: (error) => log.error(`Loupe engine: ${error.message}`),
  });
  context.subscriptions.push(log, { dispose: () => void engine.dispose() });
  context.subscriptions.push(
    settings.onDidChange((change) => {
      if (change.restartsEngine) engine.setIsolation(settings.isolation);
      if (change.reconfiguresEngine) engine.setIdleUnloadMs(settings.idleUnloadMs);
    }),
  );

  const services: LoupeServices = { engine, log, settings, resolveModelDir: () => resolveSelectedModelDir(context) };
  const panel = registerAskPanel(context, services);
  registerImageSources(context, services, panel);
  registerModelStatus(context, services);
  registerPresetPicker(context, settings);
  registerModelCommands(context, { onModelChanged: () => engine.unload() });

  const generateAlt = createAltGenerator(services);
  registerAltTextDiagnostics(context);
  registerAltTextQuickFixes(context, { generateAlt });
  registerAltTextBatch(context, { generateAlt });
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
