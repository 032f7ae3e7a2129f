/**
 * One streamed chat completion from an OpenAI-compatible server (POST {base}/chat/completions with
 * `stream: true`), and the list of models it serves (GET {base}/models). Server-sent events are
 * parsed by eventsource-parser, so chunks split anywhere, comments and keep-alives are handled as
 * the SSE spec says.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request, type Dispatcher } from 'undici';
import { pinnedDispatcher, type OutboundTarget } from '../network/outboundGate';
import type { Sampling } from '../protocol/options';
import { endpointUrl, type Endpoint } from './endpoint';
import { RemoteError, errorForNetwork, errorForStatus, serverMessage } from './remoteErrors';

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
  /** The whole answer: a server that keeps streaming is stopped here. */
  totalMs: number;
  /** After the server's finish reason, how long its usage and [DONE] may take before the stream is closed. */
  afterFinishMs: number;
}
export const DEFAULT_TIMEOUTS: Timeouts = { firstByteMs: 180_000, idleMs: 60_000, totalMs: 600_000, afterFinishMs: 2_000 };

/** A server passed through the outbound gate (src/remote/serverConnection.ts): resolved, allowed, consented. */
export interface ServerRoute {
  target: OutboundTarget;
  dispatcher(timeouts: Timeouts): Dispatcher;
  close(): Promise<void>;
}

/** One dispatcher per route and timeouts, connecting to the addresses the gate resolved. */
export function routeTo(target: OutboundTarget): ServerRoute {
  const dispatchers = new Map<string, Dispatcher>();
  return {
    target,
    dispatcher: (timeouts) => {
      const key = `${timeouts.firstByteMs}:${timeouts.idleMs}`;
      let dispatcher = dispatchers.get(key);
      if (!dispatcher) {
        dispatcher = pinnedDispatcher(target, { headersTimeout: timeouts.firstByteMs, bodyTimeout: timeouts.idleMs });
        dispatchers.set(key, dispatcher);
      }
      return dispatcher;
    },
    close: async () => {
      await Promise.all([...dispatchers.values()].map((dispatcher) => dispatcher.close()));
      dispatchers.clear();
    },
  };
}

export interface ChatRequest {
  route: ServerRoute;
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
  /**
   * Why it ended: the server's reason (`stop`, `length`, …), or ours: `length` when the server sent
   * `max_tokens` deltas (counted here), `deadline` when it streamed past the total limit;
   * undefined when stopped by the user.
   */
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

function headersFor(endpoint: Endpoint, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...endpoint.headers, 'content-type': 'application/json', accept: 'text/event-stream' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return headers;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'AbortError' || (error as { code?: string }).code === 'UND_ERR_ABORTED';
}

function timeoutError(error: unknown, target: OutboundTarget, timeouts: Timeouts): RemoteError | undefined {
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

/**
 * Streams one answer; resolves with `cancelled: true` and the text so far when `signal` stops it.
 * The stream is bounded by the request's own limits: it is closed at `max_tokens` content deltas
 * (a server that ignores it is not read further), shortly after the server's finish reason, and at
 * the total deadline.
 */
export async function streamChat(chat: ChatRequest): Promise<ChatResult> {
  const { target } = chat.route;
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
  // Our own reasons to stop reading, besides the caller's Stop.
  const ours = new AbortController();
  const stopReading = (reason: string) => {
    finishReason ??= reason;
    done = true;
    ours.abort();
  };
  const deadline = setTimeout(() => stopReading('deadline'), timeouts.totalMs);
  let afterFinish: NodeJS.Timeout | undefined;
  const signal = chat.signal ? AbortSignal.any([chat.signal, ours.signal]) : ours.signal;
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
      streamError = new RemoteError('bad-response', `${target.host} sent a stream chunk that is not JSON: ${serverMessage(event.data, secrets, 80)}`);
      return;
    }
    if (chunk.error) {
      streamError = new RemoteError('server', `${target.host} stopped with an error: ${serverMessage(JSON.stringify(chunk.error), secrets)}`, { partialText: text });
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
      if (deltas >= chat.maxTokens && !choice.finish_reason) return stopReading('length');
    }
    if (choice.finish_reason && !finishReason) {
      finishReason = choice.finish_reason;
      // Usage and [DONE] follow at once from a well-behaved server; a stream left open is closed.
      afterFinish = setTimeout(() => stopReading(finishReason!), timeouts.afterFinishMs);
    }
  };

  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(endpointUrl(target, 'chat/completions'), {
        method: 'POST',
        dispatcher: chat.route.dispatcher(timeouts),
        signal,
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
      if (chat.signal?.aborted) return result(true);
      if (ours.signal.aborted) return result(false);
      if (isAbort(error)) return result(true);
      throw timeoutError(error, target, timeouts) ?? errorForNetwork(error, target.host);
    }

    if (response.statusCode !== 200) {
      const body = await boundedText(response.body, MAX_ERROR_BODY).catch(() => '');
      throw errorForStatus(response.statusCode, body, { host: target.host, model: chat.endpoint.model, retryAfter: headerValue(response.headers['retry-after']), secrets });
    }

    const parser = createParser({ onEvent });
    const decoder = new TextDecoder();
    // Deltas are counted, not their size: a server sending huge ones (or one endless line) is cut here.
    let budget = MAX_STREAM_BASE_BYTES + chat.maxTokens * MAX_BYTES_PER_TOKEN;
    try {
      for await (const bytes of response.body) {
        budget -= (bytes as Uint8Array).length;
        if (budget < 0) throw new RemoteError('bad-response', `${target.host} sent far more bytes than ${chat.maxTokens} tokens take; the answer was cut.`, { partialText: text });
        parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
        if (streamError) throw streamError;
        if (done) break;
      }
      parser.feed(decoder.decode());
    } catch (error) {
      response.body.destroy();
      if (error instanceof RemoteError) throw error;
      if (chat.signal?.aborted) return result(true);
      if (ours.signal.aborted) return result(false);
      if (isAbort(error)) return result(true);
      const timeout = timeoutError(error, target, timeouts);
      if (timeout) throw new RemoteError('timeout', timeout.message, { partialText: text });
      throw new RemoteError('stream-cut', `${target.host} closed the connection in the middle of the answer.`, { partialText: text });
    }
    response.body.destroy();
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
  } finally {
    clearTimeout(deadline);
    clearTimeout(afterFinish);
  }
}

/** Bytes a stream may carry: a base for roles, usage and keep-alives, and per token a generous bound (long tokens, JSON, escapes). */
const MAX_STREAM_BASE_BYTES = 1 << 20;
const MAX_BYTES_PER_TOKEN = 2048;
const MAX_ERROR_BODY = 64 << 10;
const MAX_MODEL_LIST = 4 << 20;
const LIST_DEADLINE_MS = 30_000;

/** A response body as text, refused past `limit` bytes (a hostile server can send without end). */
async function boundedText(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new RemoteError('bad-response', `The server's answer is larger than ${Math.round(limit / 1024)} KB; Loupe stopped reading it.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** The model ids the server offers, for the picker and for "model not found" messages. */
export async function listModels(route: ServerRoute, endpoint: Pick<Endpoint, 'headers' | 'model'>, apiKey?: string, signal?: AbortSignal): Promise<string[]> {
  const { target } = route;
  const timeouts = { ...DEFAULT_TIMEOUTS, firstByteMs: 15_000 };
  // A list that trickles in forever is as good as none.
  const deadline = AbortSignal.timeout(LIST_DEADLINE_MS);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(endpointUrl(target, 'models'), {
      method: 'GET',
      dispatcher: route.dispatcher(timeouts),
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      headers: { ...endpoint.headers, ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    });
  } catch (error) {
    throw timeoutError(error, target, timeouts) ?? errorForNetwork(error, target.host);
  }
  let body: string;
  try {
    body = await boundedText(response.body, MAX_MODEL_LIST);
  } catch (error) {
    if (error instanceof RemoteError) throw error;
    throw new RemoteError('timeout', `${target.host} did not send its model list within ${LIST_DEADLINE_MS / 1000} s.`);
  }
  if (response.statusCode !== 200) {
    throw errorForStatus(response.statusCode, body, { host: target.host, model: endpoint.model, retryAfter: headerValue(response.headers['retry-after']), secrets: [apiKey] });
  }
  try {
    const parsed = JSON.parse(body) as { data?: { id?: unknown }[] };
    return (parsed.data ?? []).map((entry) => entry.id).filter((id): id is string => typeof id === 'string');
  } catch {
    throw new RemoteError('bad-response', `${target.host}/models did not return the model list as JSON.`);
  }
}
