/**
 * A model server is untrusted: it may echo the key back, stream forever, keep the connection
 * open, redirect elsewhere, or send escape sequences. Each case runs against a real loopback
 * server that misbehaves in that way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LookupAddress } from 'node:dns';
import { EndpointRefused, EndpointSchema, type Endpoint } from '../../../src/remote/endpoint';
import { ConsentRefused, ServerConnection } from '../../../src/remote/serverConnection';
import { remoteError } from '../../support/remoteRejection';
import { startOpenAiServer, type OpenAiServer } from '../../support/openAiServer';

const KEY = 'sk-live-hostile-0123456789abcdef';
const hi = [{ role: 'user' as const, content: 'hi' }];

function endpointAt(baseUrl: string, extra: Partial<Endpoint> = {}): Endpoint {
  return EndpointSchema.parse({ name: 'hostile', baseUrl, model: 'm', ...extra });
}

function assertClean(text: string | undefined): void {
  assert.ok(text !== undefined);
  assert.ok(!text.includes(KEY), `the key leaked: ${text}`);
  assert.ok(!/[\u001b\u0007\u009b\u202e]/.test(text), `control characters leaked: ${JSON.stringify(text)}`);
}

describe('a hostile model server', () => {
  let server: OpenAiServer;
  let connection: ServerConnection;
  before(async () => {
    server = await startOpenAiServer();
    connection = new ServerConnection({ endpoint: endpointAt(server.baseUrl), apiKey: KEY, consent: async () => assert.fail('loopback needs no consent') });
  });
  after(() => server.close());

  it('a 401 echoing the key, the Authorization header and a hub token shows none of them', async () => {
    const body = JSON.stringify({ error: { message: `Invalid key ${KEY}; header was "Authorization: Bearer ${KEY}"; try hf_abcdefghijklmnop` } });
    server.reply = () => ({ kind: 'status', status: 401, body });
    const error = await remoteError(connection.chat({ messages: hi, maxTokens: 8, sampling: {} }));
    assert.equal(error.kind, 'auth');
    assertClean(error.message);
    assertClean(error.stack);
    assert.ok(!error.message.includes('hf_abcdefghijklmnop'));
    assert.match(error.message, /Invalid key \[key\]/);
  });

  it('an error chunk mid-answer echoing the key keeps the text so far and hides the key', async () => {
    const content = JSON.stringify({ choices: [{ index: 0, delta: { content: 'partial ' }, finish_reason: null }] });
    server.reply = () => ({ kind: 'events', data: [content, JSON.stringify({ error: { message: `quota exceeded for ${KEY}\u001b]52;c;SGVsbG8=\u0007` } })] });
    const error = await remoteError(connection.chat({ messages: hi, maxTokens: 8, sampling: {} }));
    assert.equal(error.kind, 'server');
    assert.equal(error.details.partialText, 'partial ');
    assertClean(error.message);
    assert.match(error.message, /quota exceeded for \[key\]/);
  });

  it('a chunk that is not JSON, carrying the key and escape sequences, is a clean error', async () => {
    server.reply = () => ({ kind: 'events', data: [`<html>\u001b[2J\u001b[31m${KEY}\u202e</html>`] });
    const error = await remoteError(connection.chat({ messages: hi, maxTokens: 8, sampling: {} }));
    assert.equal(error.kind, 'bad-response');
    assertClean(error.message);
  });

  it('escape sequences and bidi overrides in an error page never reach the message', async () => {
    server.reply = () => ({ kind: 'status', status: 500, body: '\u001b]0;pwned\u0007\u001b[2JGPU \u202edied\u009b31m' });
    const error = await remoteError(connection.chat({ messages: hi, maxTokens: 8, sampling: {} }));
    assertClean(error.message);
    assert.match(error.message, /failed \(500\)\. The server said: GPU died/);
  });

  it('a server ignoring max_tokens is read no further than max_tokens, and the connection is closed', async () => {
    server.reply = () => ({ kind: 'endless', token: 'la ' });
    const result = await connection.chat({ messages: hi, maxTokens: 20, sampling: {} });
    assert.equal(result.finishReason, 'length');
    assert.equal(result.text, 'la '.repeat(20));
    await waitUntil(() => server.requests.at(-1)!.closedAt !== undefined);
    assert.ok(server.written.at(-1)! < 200, `the server wrote ${server.written.at(-1)} tokens`);
  });

  it('a stream of a few huge deltas is cut by its size, keeping the text so far', async () => {
    const delta = (text: string) => JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
    server.reply = () => ({ kind: 'events', data: [delta('start '), delta('x'.repeat(3 << 20))] });
    const error = await remoteError(connection.chat({ messages: hi, maxTokens: 8, sampling: {} }));
    assert.equal(error.kind, 'bad-response');
    assert.match(error.message, /far more bytes than 8 tokens take/);
    assert.equal(error.details.partialText, 'start ');
  });

  it('a stream left open after its finish reason is closed shortly after', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['done'], keepOpen: true });
    const started = Date.now();
    const result = await connection.chat({ messages: hi, maxTokens: 8, sampling: {}, timeouts: { afterFinishMs: 200 } });
    assert.equal(result.text, 'done');
    assert.equal(result.finishReason, 'stop');
    assert.ok(Date.now() - started < 5_000);
    await waitUntil(() => server.requests.at(-1)!.closedAt !== undefined);
  });

  it('a slow endless stream stops at the total deadline with the text so far', async () => {
    server.reply = () => ({ kind: 'endless', token: 'x', tokenDelayMs: 20 });
    const result = await connection.chat({ messages: hi, maxTokens: 100_000, sampling: {}, timeouts: { totalMs: 400 } });
    assert.equal(result.finishReason, 'deadline');
    assert.ok(result.text.length > 0 && /^x+$/.test(result.text));
  });

  it('a redirect elsewhere is not followed: neither the key nor the image travel', async () => {
    const elsewhere = await startOpenAiServer();
    try {
      server.reply = () => ({ kind: 'status', status: 307, body: '', headers: { location: `${elsewhere.baseUrl}/chat/completions` } });
      const error = await remoteError(connection.chat({ messages: hi, maxTokens: 8, sampling: {} }));
      assert.match(error.message, /redirected the request \(307\); Loupe does not follow redirects/);
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('a name that is not what it seems', () => {
  let server: OpenAiServer;
  before(async () => (server = await startOpenAiServer()));
  after(() => server.close());
  const port = () => new URL(server.url).port;

  it('a *.localhost name resolving elsewhere is a remote host: plain http refused, consent asked, nothing sent', async () => {
    const resolver = async (): Promise<LookupAddress[]> => [{ address: '10.255.255.1', family: 4 }];
    let asked = 0;
    const consent = async () => (asked++, false);
    const plain = new ServerConnection({ endpoint: endpointAt(`http://api.localhost:${port()}/v1`), consent, resolver });
    await assert.rejects(plain.listModels(), (error: Error) => error instanceof EndpointRefused && /plain http/.test(error.message));
    assert.equal(asked, 0, 'no consent is asked for what is refused anyway');
    const allowed = new ServerConnection({ endpoint: endpointAt(`http://api.localhost:${port()}/v1`, { allowHttp: true }), consent, resolver });
    await assert.rejects(allowed.chat({ messages: hi, maxTokens: 8, sampling: {} }), ConsentRefused);
    assert.equal(asked, 1);
    assert.equal(server.requests.length, 0);
  });

  it('the API key never crosses to another machine over plain http, even where images may', async () => {
    const resolver = async (): Promise<LookupAddress[]> => [{ address: '10.255.255.1', family: 4 }];
    const endpoint = endpointAt(`http://gpu.localhost:${port()}/v1`, { allowHttp: true });
    const keyed = new ServerConnection({ endpoint, apiKey: KEY, consent: async () => true, resolver });
    await assert.rejects(keyed.listModels(), (error: Error) => error instanceof EndpointRefused && /API key would cross the network to gpu\.localhost:\d+ over plain http/.test(error.message) && !error.message.includes(KEY));
    await assert.rejects(keyed.chat({ messages: hi, maxTokens: 8, sampling: {} }), EndpointRefused);
    assert.equal(server.requests.length, 0);
  });

  it('the name is resolved once: a later DNS answer cannot move the connection', async () => {
    const answers = ['127.0.0.1', '10.255.255.1'];
    let lookups = 0;
    const resolver = async (): Promise<LookupAddress[]> => [{ address: answers[Math.min(lookups++, 1)]!, family: 4 }];
    const connection = new ServerConnection({ endpoint: endpointAt(`http://model.localhost:${port()}/v1`), consent: async () => assert.fail('loopback needs no consent'), resolver });
    server.reply = () => ({ kind: 'stream', tokens: ['ok'] });
    assert.deepEqual(await connection.listModels(), ['lfm2-vl-test']);
    assert.equal((await connection.chat({ messages: hi, maxTokens: 8, sampling: {} })).text, 'ok');
    assert.equal(lookups, 1);
    assert.equal(server.requests.length, 2);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) assert.fail('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
