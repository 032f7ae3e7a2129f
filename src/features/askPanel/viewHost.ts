/**
 * Owns the chat's webview VIEW in the side bar (the same page and webview code as the editor-tab
 * panel, src/features/askPanel/panelHost.ts): resolves it when VS Code first shows it, and tells
 * the connection when it is hidden (its webview is destroyed then: no retained context) or goes.
 * VS Code keeps the view's saved webview state across hiding and window reloads.
 */
import * as vscode from 'vscode';
import { webviewOptions, webviewPage } from './panelHost';
import type { PanelEvents } from './panelHost';
import type { WebviewConnection } from './webviewConnection';

/** The view's id in package.json `views`; VS Code derives the `loupe.chat.focus` command from it. */
export const CHAT_VIEW_ID = 'loupe.chat';

export class ViewHost implements vscode.Disposable {
  private view?: vscode.WebviewView;
  private viewSubscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extension: vscode.Uri,
    private readonly connection: WebviewConnection,
    private readonly events: PanelEvents,
  ) {}

  get visible(): boolean {
    return !!this.view?.visible;
  }

  /** Opens the side bar that holds the view and focuses it (creating it when it was never shown). */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  /** VS Code shows the view for the first time in this window: give it the page. */
  resolve(view: vscode.WebviewView): void {
    this.disposeViewSubscriptions();
    this.view = view;
    const { options } = webviewOptions(this.extension);
    view.webview.options = options;
    view.webview.html = webviewPage(this.extension, view.webview);
    this.connection.attach(view.webview);
    this.viewSubscriptions = [
      view.webview.onDidReceiveMessage((message: unknown) => this.events.onMessage(message)),
      view.onDidChangeVisibility(() => {
        if (!view.visible) this.connection.hidden();
      }),
      view.onDidDispose(() => {
        if (this.view !== view) return;
        this.view = undefined;
        this.disposeViewSubscriptions();
        this.connection.closed();
        this.events.onClosed();
      }),
    ];
  }

  private disposeViewSubscriptions(): void {
    for (const subscription of this.viewSubscriptions.splice(0)) subscription.dispose();
  }

  dispose(): void {
    this.disposeViewSubscriptions();
  }
}
