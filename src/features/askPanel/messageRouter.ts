/**
 * Messages from the webview: validated (the webview is a sandbox the host does not trust), then
 * handed to the handler for their type. A message that does not parse is logged and ignored; a
 * handler that fails is logged and told to the user as a notice. No VS Code API here.
 */
import { WebviewToHostSchema, type WebviewToHost } from '../../protocol/webview';

/** One handler per message type: adding a message to the protocol without one does not compile. */
export type PanelHandlers = {
  [Type in WebviewToHost['type']]: (message: Extract<WebviewToHost, { type: Type }>) => Promise<void> | void;
};

export interface RouterLog {
  warn(message: string): void;
  error(message: string): void;
}

/** Returns the receiver for raw webview messages; `notify` shows a failure in the panel. */
export function messageRouter(handlers: PanelHandlers, log: RouterLog, notify: (text: string) => void): (raw: unknown) => Promise<void> {
  return async (raw) => {
    const parsed = WebviewToHostSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn(`Ask panel: ignored an invalid message from the webview: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    try {
      await (handlers[message.type] as (message: WebviewToHost) => Promise<void> | void)(message);
    } catch (error) {
      log.error(`Ask panel: ${message.type} failed: ${String(error)}`);
      notify(error instanceof Error ? error.message : String(error));
    }
  };
}
