/**
 * Activation only registers, and reads nothing from disk: proxies for every command the manifest
 * contributes, the Ask panel's restorer, and a watch for documents Loupe checks for alt text. The
 * features bundle (src/features/activateFeatures.ts) loads right after activation returns, or at
 * once if one of those is used first; a command that triggered it is then run again by its real
 * handler. No engine starts until a job needs one.
 *
 * Why not later, on first use only: in code-server, loading the features while the Explorer was
 * in use left its context menu entries dead until the menu was rebuilt (seen in the e2e suite),
 * and the status bar should say whether a model is installed without waiting for a first use.
 * The price, in a window that never uses Loupe: about 115 ms of the extension host's time and
 * 38 MB (bench/results/featuresLoad.json); nothing in the bundle starts an engine or loads sharp.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Features } from './features/activateFeatures';
import { recoverFromCrashedLoad } from './host/crashRecovery';
import { Settings } from './host/settings';
import { isAltTextDocument } from './protocol/documentKinds';

const ASK_PANEL_VIEW_TYPE = 'loupe.askPanel';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Loupe', { log: true });
  const settings = new Settings(context.globalState);
  context.subscriptions.push(log);
  let features: Features | undefined;
  const proxies: vscode.Disposable[] = [];

  const load = (): Features => {
    if (features) return features;
    for (const proxy of proxies.splice(0)) proxy.dispose();
    // Its own bundle, required by path: esbuild must not inline it into this one.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle loaded on demand, by path
    const bundle = require(join(__dirname, 'features.js')) as typeof import('./features/activateFeatures');
    features = bundle.activateFeatures(context, settings, log);
    void recoverFromCrashedLoad(context, settings).catch((error: unknown) => log.warn(`Loupe: crash recovery skipped: ${String(error)}`));
    return features;
  };

  const commands = (context.extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands;
  for (const { command } of commands) {
    proxies.push(
      vscode.commands.registerCommand(command, (...args: unknown[]) => {
        load();
        return vscode.commands.executeCommand(command, ...args);
      }),
    );
  }
  const loadForDocument = (document: vscode.TextDocument) => isAltTextDocument(document.languageId, document.fileName) && load();
  proxies.push(
    vscode.workspace.onDidOpenTextDocument(loadForDocument),
    vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((editor) => loadForDocument(editor.document))),
  );
  context.subscriptions.push(
    { dispose: () => proxies.splice(0).forEach((proxy) => proxy.dispose()) },
    vscode.window.registerWebviewPanelSerializer(ASK_PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => load().adoptPanel(panel),
    }),
    // The side-bar chat (package.json `views`): the same webview as the panel, resolved when first shown.
    vscode.window.registerWebviewViewProvider('loupe.chat', { resolveWebviewView: (view) => load().adoptView(view) }),
  );
  const timer = setTimeout(load, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
