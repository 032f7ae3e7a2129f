/**
 * A loopback server that speaks OpenAI's chat-completions streaming format byte for byte, as the
 * API reference documents it: a first chunk with the assistant role, one chunk per content delta,
 * a chunk with `finish_reason`, a usage chunk with empty `choices` when `stream_options.include_usage`
 * asks for it, then `data: [DONE]`. Bytes are written in small pieces that split lines, JSON and
 * UTF-8 characters, with keep-alive comments between events, the way proxies and servers deliver them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whichever JSON fields they check
  body: any;
  receivedAt: number;
  /** When the client closed the connection (Stop), if it did before the answer ended. */
  closedAt?: number;
}

/** What the server does with one chat request. */
export type Reply =
  | { kind: 'stream'; tokens: string[]; finishReason?: string; tokenDelayMs?: number; usage?: boolean; cutAfter?: number; noDone?: boolean; keepOpen?: boolean }
  /** A server that ignores max_tokens and never finishes. */
  | { kind: 'endless'; token: string; tokenDelayMs?: number }
  /** `data:` lines written as given (error chunks, non-JSON), then [DONE]. */
  | { kind: 'events'; data: string[] }
  | { kind: 'status'; status: number; body: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'silence-after'; tokens: string[] };

export interface OpenAiServer {
  url: string;
  /** Base URL with /v1, as users configure it. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Tokens written to the socket per request, in order. */
  written: number[];
  models: string[];
  /** Chat requests being answered now, and the most at once. */
  inFlight: number;
  peakInFlight: number;
  reply: (request: RecordedRequest, index: number) => Reply | Promise<Reply>;
  close(): Promise<void>;
}

const WRITE_PIECE = 7;

function chunk(model: string, choices: unknown[], extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-loupe-test', object: 'chat.completion.chunk', created: 1_764_000_000, model, choices, ...extra })}\n\n`;
}

/** Writes `text` in pieces of a few bytes, so events, JSON and multi-byte characters are split. */
async function writeSplit(res: ServerResponse, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let start = 0; start < bytes.length; start += WRITE_PIECE) {
    if (res.destroyed) return;
    res.write(bytes.subarray(start, start + WRITE_PIECE));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stream(res: ServerResponse, reply: Extract<Reply, { kind: 'stream' | 'silence-after' }>, request: RecordedRequest, server: OpenAiServer, index: number): Promise<void> {
  const model = request.body.model as string;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  await writeSplit(res, ': keep-alive\n\n');
  await writeSplit(res, chunk(model, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
  for (const [i, token] of reply.tokens.entries()) {
    if (res.destroyed) return;
    if (reply.kind === 'stream' && reply.cutAfter === i) {
      res.socket?.destroy();
      return;
    }
    if (reply.kind === 'stream' && reply.tokenDelayMs) await sleep(reply.tokenDelayMs);
    if (res.destroyed) return;
    await writeSplit(res, chunk(model, [{ index: 0, delta: { content: token }, logprobs: null, finish_reason: null }]));
    server.written[index] = (server.written[index] ?? 0) + 1;
    if (i % 3 === 1) await writeSplit(res, ': ping\n\n');
  }
  if (reply.kind === 'silence-after') return; // the client's idle timeout must end it
  await writeSplit(res, chunk(model, [{ index: 0, delta: {}, logprobs: null, finish_reason: reply.finishReason ?? 'stop' }]));
  if (reply.usage !== false && request.body.stream_options?.include_usage) {
    await writeSplit(res, chunk(model, [], { usage: { prompt_tokens: 42, completion_tokens: reply.tokens.length, total_tokens: 42 + reply.tokens.length } }));
  }
  if (reply.keepOpen) return; // a server that never closes: the client must stop reading
  if (!reply.noDone) await writeSplit(res, 'data: [DONE]\n\n');
  res.end();
}

async function endless(res: ServerResponse, reply: Extract<Reply, { kind: 'endless' }>, request: RecordedRequest, server: OpenAiServer, index: number): Promise<void> {
  const model = request.body.model as string;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  while (!res.destroyed) {
    await writeSplit(res, chunk(model, [{ index: 0, delta: { content: reply.token }, finish_reason: null }]));
    server.written[index] = (server.written[index] ?? 0) + 1;
    await sleep(reply.tokenDelayMs ?? 1);
  }
}

async function events(res: ServerResponse, reply: Extract<Reply, { kind: 'events' }>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const data of reply.data) await writeSplit(res, `data: ${data}\n\n`);
  await writeSplit(res, 'data: [DONE]\n\n');
  res.end();
}

export async function startOpenAiServer(options: { models?: string[]; host?: string } = {}): Promise<OpenAiServer> {
  const state: OpenAiServer = {
    url: '',
    baseUrl: '',
    requests: [],
    written: [],
    models: options.models ?? ['lfm2-vl-test'],
    inFlight: 0,
    peakInFlight: 0,
    reply: () => ({ kind: 'stream', tokens: ['Hello', ', ', 'wörld', ' ✓'] }),
    close: async () => undefined,
  };
  const server: Server = createServer(async (req, res) => {
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (data: string) => (text += data));
      req.on('end', () => resolve(text));
    });
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: body ? JSON.parse(body) : undefined,
      receivedAt: Date.now(),
    };
    const index = state.requests.push(recorded) - 1;
    res.on('close', () => {
      if (!res.writableFinished) recorded.closedAt = Date.now();
    });
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: state.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'test' })) }));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end('{"error":{"message":"no such route"}}');
      return;
    }
    state.inFlight += 1;
    state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
    res.on('close', () => (state.inFlight -= 1));
    const reply = await state.reply(recorded, index);
    if (reply.kind === 'status') {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body);
    } else if (reply.kind === 'hang') {
      // Never answers: the client's first-byte timeout must end it.
    } else if (reply.kind === 'endless') {
      await endless(res, reply, recorded, state, index);
    } else if (reply.kind === 'events') {
      await events(res, reply);
    } else {
      await stream(res, reply, recorded, state, index);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.baseUrl = `${state.url}/v1`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
