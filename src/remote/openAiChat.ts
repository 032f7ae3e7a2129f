/**
 * One streamed chat completion from an OpenAI-compatible server (POST {base}/chat/completions with
 * `stream: true`), and the list of models it serves (GET {base}/models). Server-sent events are
 * parsed by eventsource-parser, so chunks split anywhere, comments and keep-alives are handled as
 * the SSE spec says.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import type { Sampling } from '../protocol/options';
import { endpointTarget, endpointUrl, type Endpoint, type EndpointTarget } from './endpoint';
import { RemoteError, errorForNetwork, errorForStatus, redactSecrets } from './remoteErrors';

export type OpenAiContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface OpenAiMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | OpenAiContentPart[];
}

export interface Timeouts {
  /** Until the response headers arrive: a server may load the model first (Ollama does, cold). */
  firstByteMs: number;
  /** Longest silence between two chunks of a streamed answer. */
  idleMs: number;
}
export const DEFAULT_TIMEOUTS: Timeouts = { firstByteMs: 180_000, idleMs: 60_000 };

export interface ChatRequest {
  endpoint: Endpoint;
  apiKey?: string;
  messages: OpenAiMessage[];
  maxTokens: number;
  sampling: Sampling;
  signal?: AbortSignal;
  onToken?(text: string): void;
  timeouts?: Partial<Timeouts>;
}

export interface ChatResult {
  text: string;
  /** The server's reason: `stop`, `length` (the token limit cut it), … ; undefined when stopped by the user. */
  finishReason?: string;
  cancelled: boolean;
  promptTokens?: number;
  completionTokens?: number;
  timeToFirstTokenMs: number;
  /** From the first content token to the last. */
  decodeMs: number;
  totalMs: number;
  /** Content deltas received: the token count when the server reports no usage. */
  deltas: number;
}

const dispatchers = new Map<string, Dispatcher>();

/** Loopback never goes through a proxy; other hosts honour HTTPS_PROXY / NO_PROXY like the downloads. */
function dispatcherFor(target: EndpointTarget, timeouts: Timeouts): Dispatcher {
  const key = `${target.loopback}:${timeouts.firstByteMs}:${timeouts.idleMs}`;
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    const options = { headersTimeout: timeouts.firstByteMs, bodyTimeout: timeouts.idleMs };
    dispatcher = target.loopback ? new Agent(options) : new EnvHttpProxyAgent(options);
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

function headersFor(endpoint: Endpoint, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...endpoint.headers, 'content-type': 'application/json', accept: 'text/event-stream' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return headers;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'AbortError' || (error as { code?: string }).code === 'UND_ERR_ABORTED';
}

function timeoutError(error: unknown, target: EndpointTarget, timeouts: Timeouts): RemoteError | undefined {
  const code = (error as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new RemoteError('timeout', `${target.host} did not start answering within ${timeouts.firstByteMs / 1000} s.`);
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new RemoteError('timeout', `${target.host} went silent for ${timeouts.idleMs / 1000} s in the middle of the answer.`);
  }
  return undefined;
}

/**
 * What is sent: the server's model is unknown, so no model card applies; greedy unless the user
 * chose a temperature, and min_p, repetition_penalty and seed (which vLLM, SGLang, llama.cpp and
 * Ollama accept) only when the user set them: a strict server refuses fields it does not know.
 */
export function samplingFields(sampling: Sampling): Record<string, number> {
  return {
    temperature: sampling.temperature ?? 0,
    ...(sampling.minP !== undefined && { min_p: sampling.minP }),
    ...(sampling.repetitionPenalty !== undefined && { repetition_penalty: sampling.repetitionPenalty }),
    ...(sampling.seed !== undefined && { seed: sampling.seed }),
  };
}

interface StreamChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

/** Streams one answer; resolves with `cancelled: true` and the text so far when `signal` stops it. */
export async function streamChat(chat: ChatRequest): Promise<ChatResult> {
  const target = endpointTarget(chat.endpoint);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...chat.timeouts };
  const secrets = [chat.apiKey];
  const started = performance.now();
  let text = '';
  let deltas = 0;
  let firstTokenAt = 0;
  let lastTokenAt = 0;
  let finishReason: string | undefined;
  let usage: StreamChunk['usage'];
  let done = false;
  let streamError: RemoteError | undefined;
  const result = (cancelled: boolean): ChatResult => ({
    text,
    finishReason: cancelled ? undefined : finishReason,
    cancelled,
    promptTokens: usage?.prompt_tokens,
    completionTokens: usage?.completion_tokens,
    timeToFirstTokenMs: (firstTokenAt || performance.now()) - started,
    decodeMs: lastTokenAt - firstTokenAt,
    totalMs: performance.now() - started,
    deltas,
  });

  const onEvent = (event: EventSourceMessage): void => {
    if (done || streamError) return;
    if (event.data.trim() === '[DONE]') {
      done = true;
      return;
    }
    let chunk: StreamChunk;
    try {
      chunk = JSON.parse(event.data) as StreamChunk;
    } catch {
      streamError = new RemoteError('bad-response', `${target.host} sent a stream chunk that is not JSON: ${event.data.slice(0, 80)}`);
      return;
    }
    if (chunk.error) {
      streamError = new RemoteError('server', redactSecrets(`${target.host} stopped with an error: ${JSON.stringify(chunk.error).slice(0, 300)}`, secrets), { partialText: text });
      return;
    }
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta?.content;
    if (delta) {
      lastTokenAt = performance.now();
      if (!firstTokenAt) firstTokenAt = lastTokenAt;
      deltas += 1;
      text += delta;
      chat.onToken?.(delta);
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  };

  let response: Dispatcher.ResponseData;
  try {
    response = await request(endpointUrl(target, 'chat/completions'), {
      method: 'POST',
      dispatcher: dispatcherFor(target, timeouts),
      signal: chat.signal,
      headers: headersFor(chat.endpoint, chat.apiKey),
      body: JSON.stringify({
        model: chat.endpoint.model,
        messages: chat.messages,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: chat.maxTokens,
        ...samplingFields(chat.sampling),
      }),
    });
  } catch (error) {
    if (isAbort(error) || chat.signal?.aborted) return result(true);
    throw timeoutError(error, target, timeouts) ?? errorForNetwork(error, target.host);
  }

  if (response.statusCode !== 200) {
    const body = await response.body.text().catch(() => '');
    const error = errorForStatus(response.statusCode, body, { host: target.host, model: chat.endpoint.model, retryAfter: headerValue(response.headers['retry-after']) });
    throw new RemoteError(error.kind, redactSecrets(error.message, secrets), error.details);
  }

  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  try {
    for await (const bytes of response.body) {
      parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
      if (streamError) throw streamError;
      if (done) break;
    }
    parser.feed(decoder.decode());
  } catch (error) {
    response.body.destroy();
    if (error instanceof RemoteError) throw error;
    if (isAbort(error) || chat.signal?.aborted) return result(true);
    const timeout = timeoutError(error, target, timeouts);
    if (timeout) throw new RemoteError('timeout', timeout.message, { partialText: text });
    throw new RemoteError('stream-cut', `${target.host} closed the connection in the middle of the answer.`, { partialText: text });
  }
  if (streamError) throw streamError;
  // A stream that ends without [DONE] or a finish reason was cut: by a proxy, a crash, a restart.
  if (!done && !finishReason) {
    throw new RemoteError('stream-cut', `${target.host} ended the answer without finishing it (the stream was cut after ${deltas} tokens).`, { partialText: text });
  }
  // SGLang ends a request it dropped (out of memory, a limit) with finish_reason "abort".
  if (finishReason === 'abort') {
    throw new RemoteError('server', `${target.host} aborted the answer after ${deltas} tokens; its log says why.`, { partialText: text });
  }
  return result(false);
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** The model ids the server offers, for the picker and for "model not found" messages. */
export async function listModels(endpoint: Pick<Endpoint, 'baseUrl' | 'allowHttp' | 'headers' | 'model'>, apiKey?: string, signal?: AbortSignal): Promise<string[]> {
  const target = endpointTarget(endpoint);
  const timeouts = { ...DEFAULT_TIMEOUTS, firstByteMs: 15_000 };
  let response: Dispatcher.ResponseData;
  try {
    response = await request(endpointUrl(target, 'models'), {
      method: 'GET',
      dispatcher: dispatcherFor(target, timeouts),
      signal,
      headers: { ...endpoint.headers, ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    });
  } catch (error) {
    throw timeoutError(error, target, timeouts) ?? errorForNetwork(error, target.host);
  }
  const body = await response.body.text();
  if (response.statusCode !== 200) {
    const error = errorForStatus(response.statusCode, body, { host: target.host, model: endpoint.model, retryAfter: headerValue(response.headers['retry-after']) });
    throw new RemoteError(error.kind, redactSecrets(error.message, [apiKey]), error.details);
  }
  try {
    const parsed = JSON.parse(body) as { data?: { id?: unknown }[] };
    return (parsed.data ?? []).map((entry) => entry.id).filter((id): id is string => typeof id === 'string');
  } catch {
    throw new RemoteError('bad-response', `${target.host}/models did not return the model list as JSON.`);
  }
}
