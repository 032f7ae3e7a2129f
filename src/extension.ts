/**
 * Activation only registers, and reads nothing from disk: proxies for every command and
 * language-model tool the manifest contributes, the MCP server definition, the Ask panel's
 * restorer, and a watch for documents Loupe checks for alt text. The
 * features bundle (src/features/activateFeatures.ts) loads right after activation returns, or at
 * once if one of those is used first; a command that triggered it is then run again by its real
 * handler. No engine starts until a job needs one.
 *
 * Why not later, on first use only: in code-server, loading the features while the Explorer was
 * in use left its context menu entries dead until the menu was rebuilt (seen in the e2e suite),
 * and the status bar should say whether a model is installed without waiting for a first use.
 * The price, in a window that never uses Loupe: about 240 ms of the extension host's time and
 * 40 MB (bench/results/featuresLoad.json); nothing in the bundle starts an engine or loads sharp.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Features } from './features/activateFeatures';
import { recoverFromCrashedLoad } from './host/crashRecovery';
import { Settings } from './host/settings';
import { isAltTextDocument } from './protocol/documentKinds';

const ASK_PANEL_VIEW_TYPE = 'loupe.askPanel';
/** package.json `mcpServerDefinitionProviders`. */
const MCP_PROVIDER_ID = 'loupe.mcpServer';

/** The parts of package.json the shell registers proxies for. */
interface Contributions {
  commands: { command: string }[];
  languageModelTools: { name: string }[];
}

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

  const { commands, languageModelTools } = (context.extension.packageJSON as { contributes: Contributions }).contributes;
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
  // Language-model tools are looked up as soon as their activation returns, so they are registered
  // here, for good (no proxy to swap): their work is in the features bundle (src/features/languageModelTools.ts).
  for (const { name } of languageModelTools) {
    context.subscriptions.push(
      vscode.lm.registerTool(name, {
        prepareInvocation: (options) => load().tools.prepareInvocation(name, options),
        invoke: (options, token) => load().tools.invoke(name, options, token),
      }),
    );
  }
  registerMcpServer(context, () => load().resolveModelDir());
  const timer = setTimeout(load, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
}

/** The few parts of VS Code's MCP API (1.101 and later) used here; @types/vscode 1.95 has none of it. */
interface StdioServerDefinition {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly version?: string;
}
type StdioServerDefinitionClass = new (label: string, command: string, args: string[], env: Record<string, string>, version?: string) => StdioServerDefinition;
interface ServerDefinitionProvider {
  provideMcpServerDefinitions(): StdioServerDefinition[];
  resolveMcpServerDefinition(server: StdioServerDefinition): Promise<StdioServerDefinition>;
}
type RegisterProvider = (id: string, provider: ServerDefinitionProvider) => vscode.Disposable;

/**
 * `loupe mcp` (dist/cli.js) offered to VS Code's MCP support as a server (package.json
 * `mcpServerDefinitionProviders`), so agents that speak MCP get Loupe's tools with the model the
 * editor uses. The API is newer than the VS Code versions package.json's engines allow, so it is
 * looked up at run time. Registered here because VS Code asks for the servers as soon as
 * `onMcpCollection:` activation returns; `resolveModelDir` (the features bundle) runs only when
 * a server starts, and undefined leaves the CLI its own default model.
 */
function registerMcpServer(context: vscode.ExtensionContext, resolveModelDir: () => Promise<string | undefined>): void {
  const register = (vscode.lm as { registerMcpServerDefinitionProvider?: RegisterProvider }).registerMcpServerDefinitionProvider;
  const Definition = (vscode as { McpStdioServerDefinition?: StdioServerDefinitionClass }).McpStdioServerDefinition;
  if (!register || !Definition) return;
  const cli = join(context.extensionPath, 'dist', 'cli.js');
  const version = (context.extension.packageJSON as { version: string }).version;
  // Inside VS Code process.execPath is Electron; ELECTRON_RUN_AS_NODE makes it a plain Node.
  const env = { ELECTRON_RUN_AS_NODE: '1' };
  const provider: ServerDefinitionProvider = {
    provideMcpServerDefinitions: () => [new Definition('Loupe', process.execPath, [cli, 'mcp'], env, version)],
    // Looked up when the server starts, so it is the model chosen then.
    resolveMcpServerDefinition: async (server) => {
      const modelDir = await resolveModelDir();
      if (!modelDir) return server;
      return new Definition(server.label, server.command, [...server.args, '--model', modelDir], env, server.version);
    },
  };
  context.subscriptions.push(register.call(vscode.lm, MCP_PROVIDER_ID, provider));
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
