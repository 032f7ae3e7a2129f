/**
 * Everything Loupe does in the editor, wired to its services. Its own bundle (dist/features.js),
 * loaded by the activation shell (src/extension.ts) on the tick after activation returns, or at
 * once on a first use before that; src/extension.ts says why not later. Loading it costs about
 * 240 ms and 40 MB in a window that never uses Loupe (bench/featuresLoad.bench.ts); no engine,
 * model or native image library is loaded with it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { registerAltTextBatch } from './altTextBatch';
import { registerAltTextDiagnostics } from './altTextDiagnostics';
import { registerAltTextQuickFixes } from './altTextQuickFixes';
import { registerAltTextRecords } from './altTextRecords';
import { registerAskPanel } from './askPanel/askPanel';
import { registerImageCommands } from './imageCommands';
import { registerNotebookPlotCommands } from './notebookPlots';
import { languageModelTools, type LanguageModelTools } from './languageModelTools';
import { modelStatusSource, registerModelStatus } from './modelStatus';
import { registerModelCommands, resolveSelectedModelDir } from './models';
import { registerPresetPicker } from './presetPicker';
import { registerRestrictedSettingsNotice } from './restrictedSettingsNotice';
import { registerWelcome } from './welcome';
import { createAltGenerator } from '../host/altGenerator';
import { EndpointKeys } from '../host/endpointKeys';
import { VisionModels } from '../host/visionModels';
import { registerModelServerCommands } from './modelServers';
import { loadMarkerPath } from '../host/crashRecovery';
import { EngineClient } from '../client/engineClient';
import type { LoupeServices } from '../host/services';
import type { Settings } from '../host/settings';

export interface Features {
  /** Restores an Ask panel VS Code kept across a reload. */
  adoptPanel(panel: vscode.WebviewPanel): void;
  /** Gives the side-bar chat view its page. */
  adoptView(view: vscode.WebviewView): void;
  /** The language-model tools' work, behind the shell's registrations. */
  tools: LanguageModelTools;
  /** The local model the editor loads, for the `loupe mcp` server VS Code starts (src/extension.ts). */
  resolveModelDir(): Promise<string | undefined>;
}

export function activateFeatures(context: vscode.ExtensionContext, settings: Settings, log: vscode.LogOutputChannel): Features {
  mkdirSync(context.globalStorageUri.fsPath, { recursive: true });
  const engine = new EngineClient({
    enginePath: join(context.extensionPath, 'dist', 'engine.js'),
    isolation: settings.isolation,
    idleUnloadMs: settings.idleUnloadMs,
    optimizeModels: settings.optimizeModels,
    loadMarkerPath: loadMarkerPath(context),
    onUnattributedError: (error) => log.error(`Loupe engine: ${error.message}`),
  });
  context.subscriptions.push({ dispose: () => void engine.dispose() });
  context.subscriptions.push(
    settings.onDidChange((change) => {
      if (change.restartsEngine) engine.setIsolation(settings.isolation);
      if (change.reconfiguresEngine) engine.reconfigure({ idleUnloadMs: settings.idleUnloadMs, optimizeModels: settings.optimizeModels });
    }),
  );

  const resolveModelDir = () => resolveSelectedModelDir(context);
  const endpointKeys = new EndpointKeys(context.secrets);
  const visionModels = new VisionModels(engine, resolveModelDir, endpointKeys, context.globalState);
  const services: LoupeServices = { engine, log, settings, resolveModelDir, visionModels };
  const panel = registerAskPanel(context, services);
  registerImageCommands(context, services, panel);
  registerNotebookPlotCommands(context, panel);
  registerModelStatus(context, services);
  registerPresetPicker(context, settings);
  registerModelCommands(context, {
    onModelChanged: () => engine.unload(),
    onInstalledModelsChanged: () => modelStatusSource(context, services).refresh(),
    endpointKeys,
    optimizeModels: () => settings.optimizeModels,
    log,
  });
  registerModelServerCommands(context, endpointKeys);
  registerRestrictedSettingsNotice(context);
  registerWelcome(context);

  const generateAlt = createAltGenerator(services);
  const altRecords = registerAltTextRecords(context);
  registerAltTextDiagnostics(context, altRecords);
  registerAltTextQuickFixes(context, { generateAlt, altRecords });
  registerAltTextBatch(context, { generateAlt, altRecords });
  return {
    adoptPanel: (webviewPanel) => panel.adopt(webviewPanel),
    adoptView: (view) => panel.adoptView(view),
    tools: languageModelTools(services),
    resolveModelDir,
  };
}
