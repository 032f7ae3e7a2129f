/**
 * The webview's side of the channel to the extension host: messages out, validated messages in,
 * and the saved state VS Code keeps while the panel is hidden or the window reloads.
 */
import { z } from 'zod';
import { HostToWebviewSchema, type ParsedHostToWebview, type WebviewToHost } from '../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// The CSP has no 'unsafe-eval'; zod must not try to compile validators with new Function.
z.config({ jitless: true });

const vscode = acquireVsCodeApi();

export function postToHost(message: WebviewToHost): void {
  vscode.postMessage(message);
}

export function onHostMessage(handler: (message: ParsedHostToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent) => {
    const parsed = HostToWebviewSchema.safeParse(event.data);
    if (!parsed.success) {
      console.error('Loupe: ignored an invalid message from the extension host', z.prettifyError(parsed.error));
      return;
    }
    handler(parsed.data);
  });
}

export const savedState = (): unknown => vscode.getState();
export const saveState = (state: unknown): void => vscode.setState(state);
