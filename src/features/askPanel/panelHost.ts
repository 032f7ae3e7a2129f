/**
 * Owns the panel's VS Code webview: creates it (or takes over one VS Code revived after a reload)
 * with its options and page, and tells the connection when the webview comes, goes hidden (it is
 * destroyed then: no retained context) or closes.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { panelHtml } from './panelHtml';
import type { WebviewConnection } from './webviewConnection';

export const ASK_PANEL_VIEW_TYPE = 'loupe.askPanel';

export interface PanelEvents {
  onMessage(raw: unknown): void;
  /** The user closed the panel. */
  onClosed(): void;
}

export class PanelHost implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private panelSubscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extension: vscode.Uri,
    private readonly connection: WebviewConnection,
    private readonly events: PanelEvents,
  ) {}

  get visible(): boolean {
    return !!this.panel?.visible;
  }

  /** The panel is the active editor tab (where a key pressed in the editor area goes). */
  get active(): boolean {
    return !!this.panel?.active;
  }

  /** Shows the panel, creating it beside the editor (so the editor the answer goes into stays visible). */
  reveal(): void {
    if (this.panel) return this.panel.reveal(this.panel.viewColumn, false);
    const { options, panelOptions } = webviewOptions(this.extension);
    this.adopt(
      vscode.window.createWebviewPanel(ASK_PANEL_VIEW_TYPE, 'Loupe', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { ...options, ...panelOptions }),
    );
  }

  /** Takes over a panel VS Code restored after a reload (or one just created). */
  adopt(panel: vscode.WebviewPanel): void {
    this.disposePanelSubscriptions();
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extension, 'media', 'icon.png');
    panel.webview.options = webviewOptions(this.extension).options;
    panel.webview.html = webviewPage(this.extension, panel.webview);
    this.connection.attach(panel.webview);
    this.panelSubscriptions = [
      panel.webview.onDidReceiveMessage((message: unknown) => this.events.onMessage(message)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.connection.hidden();
      }),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.disposePanelSubscriptions();
        this.connection.closed();
        this.events.onClosed();
      }),
    ];
  }

  private disposePanelSubscriptions(): void {
    for (const subscription of this.panelSubscriptions.splice(0)) subscription.dispose();
  }

  /** On deactivation: the panel goes without `onClosed`, so what it keeps for a window reload stays. */
  dispose(): void {
    this.disposePanelSubscriptions();
    this.panel?.dispose();
  }
}

/** The options both the panel and the side-bar view use. */
export function webviewOptions(extension: vscode.Uri): { options: vscode.WebviewOptions; panelOptions: vscode.WebviewPanelOptions } {
  return {
    options: {
      enableScripts: true,
      enableCommandUris: false,
      // Only the extension's own bundles and icons; never the workspace.
      localResourceRoots: [vscode.Uri.joinPath(extension, 'dist'), vscode.Uri.joinPath(extension, 'media')],
    },
    panelOptions: { retainContextWhenHidden: false },
  };
}

/** The page both surfaces show: the same webview code (webview-ui/) in either. */
export function webviewPage(extension: vscode.Uri, webview: vscode.Webview): string {
  return panelHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extension, 'dist', 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extension, 'dist', 'webview.css')).toString(),
    nonce: randomBytes(16).toString('base64'),
  });
}
