import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { resolveOutbound } from '../../../src/network/outboundGate';
import { EndpointSchema, endpointLocation, type Endpoint } from '../../../src/remote/endpoint';
import { listModels, routeTo, streamChat, type ChatRequest, type ChatResult, type ServerRoute } from '../../../src/remote/openAiChat';
import { RemoteError } from '../../../src/remote/remoteErrors';
import { remoteError } from '../../support/remoteRejection';
import { startOpenAiServer, type OpenAiServer } from '../../support/openAiServer';

const greedy = {};
const KEY = 'sk-test-0123456789abcdef';

function endpointFor(server: OpenAiServer, extra: Partial<Endpoint> = {}): Endpoint {
  return EndpointSchema.parse({ name: 'test', baseUrl: server.baseUrl, model: 'lfm2-vl-test', ...extra });
}

async function routeFor(endpoint: Endpoint): Promise<ServerRoute> {
  return routeTo(await resolveOutbound(endpointLocation(endpoint).url));
}

/** One answer over the route the outbound gate opens (loopback here: no consent involved). */
async function chat(request: Omit<ChatRequest, 'route'>): Promise<ChatResult> {
  return streamChat({ ...request, route: await routeFor(request.endpoint) });
}

describe('streamChat against a loopback OpenAI-compatible server', () => {
  let server: OpenAiServer;
  before(async () => (server = await startOpenAiServer()));
  after(() => server.close());

  it('streams deltas split at awkward places, skips keep-alives, reads usage and the finish reason', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['Hello', ', ', 'wörld', ' ✓', ' 日本語'] });
    const seen: string[] = [];
    const result = await chat({
      endpoint: endpointFor(server, { headers: { 'x-team': 'docs' } }),
      apiKey: KEY,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'text', text: 'What is this?' }] }],
      maxTokens: 77,
      sampling: greedy,
      onToken: (text) => seen.push(text),
    });
    assert.deepEqual(seen, ['Hello', ', ', 'wörld', ' ✓', ' 日本語']);
    assert.equal(result.text, 'Hello, wörld ✓ 日本語');
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.cancelled, false);
    assert.equal(result.promptTokens, 42);
    assert.equal(result.completionTokens, 5);
    const request = server.requests.at(-1)!;
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.equal(request.headers['x-team'], 'docs');
    assert.equal(request.body.model, 'lfm2-vl-test');
    assert.equal(request.body.stream, true);
    assert.deepEqual(request.body.stream_options, { include_usage: true });
    assert.equal(request.body.max_tokens, 77);
    assert.equal(request.body.temperature, 0);
    assert.equal(request.body.messages[0].content[0].image_url.url, 'data:image/png;base64,AAAA');
  });

  it('reports an answer cut by the token limit', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['a', 'b'], finishReason: 'length' });
    const result = await chat({ endpoint: endpointFor(server), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy });
    assert.equal(result.finishReason, 'length');
  });

  it('counts deltas when the server sends no usage', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['a', 'b', 'c'], usage: false });
    const result = await chat({ endpoint: endpointFor(server), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy });
    assert.equal(result.completionTokens, undefined);
    assert.equal(result.deltas, 3);
  });

  it('Stop closes the connection within a token and keeps the text shown', async () => {
    server.reply = () => ({ kind: 'stream', tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), tokenDelayMs: 5 });
    const abort = new AbortController();
    let shown = '';
    let count = 0;
    const result = await chat({
      endpoint: endpointFor(server),
      messages: [{ role: 'user', content: 'hi' }],
      maxTokens: 400,
      sampling: greedy,
      signal: abort.signal,
      onToken: (text) => {
        shown += text;
        if (++count === 5) abort.abort();
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.text, shown);
    await waitUntil(() => server.requests.at(-1)!.closedAt !== undefined);
    const written = server.written[server.requests.length - 1]!;
    assert.ok(written <= 7, `the server wrote ${written} tokens before it saw the connection close`);
  });

  const errorCases: { status: number; kind: RemoteError['kind']; body: string; headers?: Record<string, string>; says: RegExp }[] = [
    { status: 401, kind: 'auth', body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }), says: /refused the request \(401\).*Incorrect API key provided: \[key\]/ },
    { status: 403, kind: 'auth', body: '{"error":"model not allowed for this key"}', says: /403.*not allowed for this key/ },
    { status: 404, kind: 'model-missing', body: '{"error":{"message":"model \\"lfm2-vl-test\\" not found, try pulling it first"}}', says: /does not serve the model "lfm2-vl-test".*try pulling it/ },
    { status: 413, kind: 'too-large', body: '<html><body>413 Request Entity Too Large</body></html>', says: /too large \(413\).*Request Entity Too Large/ },
    { status: 429, kind: 'rate-limited', body: '{"error":{"message":"slow down"}}', headers: { 'retry-after': '7' }, says: /busy \(429\).*again in 7 s.*slow down/ },
    { status: 500, kind: 'server', body: '{"detail":"CUDA out of memory"}', says: /failed \(500\).*CUDA out of memory/ },
    { status: 503, kind: 'server', body: '', says: /failed \(503\)\. Check the server's log/ },
  ];
  for (const { status, kind, body, headers, says } of errorCases) {
    it(`maps ${status} to "${kind}" with what the server said, never the key`, async () => {
      server.reply = () => ({ kind: 'status', status, body, headers });
      const error = await remoteError(chat({ endpoint: endpointFor(server), apiKey: KEY, messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy }));
      assert.equal(error.kind, kind);
      assert.equal(error.details.status, status);
      assert.match(error.message, says);
      assert.ok(!error.message.includes(KEY) && !error.stack?.includes(KEY), 'the key must not appear in the error');
      if (status === 429) assert.equal(error.details.retryAfterMs, 7000);
    });
  }

  it('a stream cut mid-answer is an error that keeps the text so far', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['one ', 'two ', 'three ', 'four '], cutAfter: 2 });
    const error = await remoteError(chat({ endpoint: endpointFor(server), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy }));
    assert.equal(error.kind, 'stream-cut');
    assert.equal(error.details.partialText, 'one two ');
  });

  it('a stream that ends without [DONE] or a finish reason was cut', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['one ', 'two '], finishReason: '', noDone: true });
    const error = await remoteError(chat({ endpoint: endpointFor(server), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy }));
    assert.equal(error.kind, 'stream-cut');
    assert.match(error.message, /after 2 tokens/);
  });

  it('an answer the server aborted is an error, not a short answer', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['one '], finishReason: 'abort' });
    const error = await remoteError(chat({ endpoint: endpointFor(server), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy }));
    assert.equal(error.kind, 'server');
    assert.match(error.message, /aborted the answer after 1 tokens/);
    assert.equal(error.details.partialText, 'one ');
  });

  it('times out a server that never answers, and one that goes silent mid-answer', async () => {
    server.reply = () => ({ kind: 'hang' });
    const first = await remoteError(chat({ endpoint: endpointFor(server), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy, timeouts: { firstByteMs: 300 } }));
    assert.equal(first.kind, 'timeout');
    assert.match(first.message, /did not start answering within 0.3 s/);
    server.reply = () => ({ kind: 'silence-after', tokens: ['a', 'b'] });
    const idle = await remoteError(chat({ endpoint: endpointFor(server), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy, timeouts: { idleMs: 300 } }));
    assert.equal(idle.kind, 'timeout');
    assert.match(idle.message, /went silent for 0.3 s/);
    assert.equal(idle.details.partialText, 'ab');
  });

  it('says nothing is listening when the port is closed', async () => {
    const port = await closedPort();
    const error = await remoteError(
      chat({ endpoint: EndpointSchema.parse({ name: 'x', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' }), messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, sampling: greedy }),
    );
    assert.equal(error.kind, 'unreachable');
    assert.match(error.message, new RegExp(`Nothing is listening at 127.0.0.1:${port}`));
  });

  it('lists the models the server offers', async () => {
    server.models = ['qwen2.5-vl-7b', 'lfm2-vl-1.6b'];
    const endpoint = endpointFor(server);
    assert.deepEqual(await listModels(await routeFor(endpoint), endpoint), ['qwen2.5-vl-7b', 'lfm2-vl-1.6b']);
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) assert.fail('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
