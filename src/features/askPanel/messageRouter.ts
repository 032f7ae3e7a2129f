/**
 * Messages from the webview: validated (the webview is a sandbox the host does not trust), then
 * handed to the handler for their type. A message that does not parse is logged and answered with
 * `refused` (a dropped `ask` once left the chat waiting for good); a handler that fails is logged
 * and told to the user. No VS Code API here.
 */
import type { z } from 'zod';
import { WEBVIEW_MESSAGE_TYPES, WebviewToHostSchema, type HostToWebview, type WebviewToHost } from '../../protocol/webview';

/** One handler per message type: adding a message to the protocol without one does not compile. */
export type PanelHandlers = {
  [Type in WebviewToHost['type']]: (message: Extract<WebviewToHost, { type: Type }>) => Promise<void> | void;
};

export interface RouterLog {
  warn(message: string): void;
  error(message: string): void;
}

/** Returns the receiver for raw webview messages; `reply` posts the webview what went wrong. */
export function messageRouter(handlers: PanelHandlers, log: RouterLog, reply: (message: HostToWebview) => void): (raw: unknown) => Promise<void> {
  return async (raw) => {
    const parsed = WebviewToHostSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn(`Ask panel: refused an invalid message from the webview: ${parsed.error.message}`);
      reply(refusal(raw, parsed.error));
      return;
    }
    const message = parsed.data;
    try {
      await (handlers[message.type] as (message: WebviewToHost) => Promise<void> | void)(message);
    } catch (error) {
      log.error(`Ask panel: ${message.type} failed: ${String(error)}`);
      reply({ type: 'failed', message: error instanceof Error ? error.message : String(error), actions: [] });
    }
  };
}

/** The refusal in words, naming the first thing wrong ("history.1.text: Too big: …"). */
function refusal(raw: unknown, error: z.ZodError): Extract<HostToWebview, { type: 'refused' }> {
  const type = (raw as { type?: unknown } | null)?.type;
  const of = WEBVIEW_MESSAGE_TYPES.find((known) => known === type);
  const issue = error.issues[0];
  const what = issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid';
  const request = of === 'ask' ? 'the question' : of ? `the request (${of})` : 'a request';
  return { type: 'refused', of, message: `Loupe could not take ${request} from the chat (${what}). Nothing was done with it.`.slice(0, 4_000) };
}
