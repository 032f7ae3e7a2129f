/**
 * What can go wrong talking to a server, each case with what the server said and what the user
 * can do. Callers add the action (the CLI names an environment variable, the editor a command)
 * by `kind`; the API key never appears in a message, whatever the server echoed back.
 */
import { classifyNetworkFailure } from '../network/networkFailure';
import { redactSecrets } from '../protocol/secretRedaction';
import { safeText } from '../protocol/safeText';

export const REMOTE_ERROR_KINDS = [
  'auth',
  'model-missing',
  'too-large',
  'rate-limited',
  'server',
  'timeout',
  'unreachable',
  'stream-cut',
  'bad-response',
] as const;
export type RemoteErrorKind = (typeof REMOTE_ERROR_KINDS)[number];

export class RemoteError extends Error {
  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; partialText?: string } = {},
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

const MAX_SERVER_MESSAGE = 300;

/**
 * The server's own words from an error body (OpenAI's `{error: {message}}`, `{error: "…"}`,
 * `{detail}`, or the text), as they may be shown: secrets redacted first, then made safe for a
 * terminal or a document, then shortened.
 */
export function serverMessage(body: string, secrets: readonly (string | undefined)[] = [], maxLength = MAX_SERVER_MESSAGE): string {
  let text = body.trim();
  try {
    const parsed = JSON.parse(text) as { error?: unknown; detail?: unknown; message?: unknown };
    const error = parsed.error;
    if (typeof error === 'string') text = error;
    else if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') text = (error as { message: string }).message;
    else if (typeof parsed.detail === 'string') text = parsed.detail;
    else if (typeof parsed.message === 'string') text = parsed.message;
  } catch {
    // Not JSON: an HTML error page or plain text, shown as it is (shortened).
  }
  text = safeText(redactSecrets(text, secrets)).replace(/\s+/g, ' ');
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** An HTTP error status as the user should read it. */
export function errorForStatus(
  status: number,
  body: string,
  context: { host: string; model: string; retryAfter: string | null; secrets?: readonly (string | undefined)[] },
): RemoteError {
  const said = serverMessage(body, context.secrets);
  const server = said ? ` The server said: ${said}` : '';
  if (status === 401 || status === 403) {
    return new RemoteError('auth', `${context.host} refused the request (${status}): the API key is missing, wrong or not allowed this model.${server}`, { status });
  }
  if (status === 404) {
    return new RemoteError('model-missing', `${context.host} does not serve the model "${context.model}" (404). Pick one the server lists.${server}`, { status });
  }
  if (status === 413) {
    return new RemoteError('too-large', `${context.host} refused the image as too large (413). Use a smaller image, or raise the server's request size limit.${server}`, { status });
  }
  if (status === 429) {
    const wait = retryAfterMs(context.retryAfter);
    const when = wait === undefined ? 'later' : `in ${Math.ceil(wait / 1000)} s`;
    return new RemoteError('rate-limited', `${context.host} is busy (429) and asks to try again ${when}.${server}`, { status, retryAfterMs: wait });
  }
  if (status >= 300 && status < 400) {
    // Following it would send the key and the image wherever the server points, past consent.
    return new RemoteError('bad-response', `${context.host} redirected the request (${status}); Loupe does not follow redirects. Put the server's final URL in the endpoint.`, { status });
  }
  if (status >= 500) {
    return new RemoteError('server', `${context.host} failed (${status}).${server || ' Check the server\'s log.'}`, { status });
  }
  return new RemoteError('bad-response', `${context.host} answered ${status}.${server}`, { status });
}

/** A failed connection in words: nothing listening, unknown host, TLS trouble, a proxy in the way. */
export function errorForNetwork(error: unknown, host: string): RemoteError {
  const failure = classifyNetworkFailure(error);
  switch (failure.kind) {
    case 'refused':
      return new RemoteError('unreachable', `Nothing is listening at ${host}. Start the server (ollama serve, vllm serve, LM Studio's server) or check the URL.`);
    case 'dns':
      return new RemoteError('unreachable', `The host ${host} was not found. Check the URL and the network.`);
    case 'reset':
      return new RemoteError('unreachable', `${host} closed the connection before answering.`);
    case 'tls':
      return new RemoteError('unreachable', `The TLS connection to ${host} failed (${failure.code}). Check the server's certificate.`);
    case 'proxy-auth':
    case 'proxy-refused':
      return new RemoteError('unreachable', `The proxy refused the connection to ${host} (it answered ${failure.proxyStatus}). Check the proxy settings.`);
    default: {
      const cause = (error as { cause?: { message?: string } }).cause ?? (error as { message?: string });
      return new RemoteError('unreachable', `Could not reach ${host}: ${cause?.message ?? String(error)}`);
    }
  }
}
