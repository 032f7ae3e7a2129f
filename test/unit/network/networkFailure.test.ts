import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { classifyNetworkFailure } from '../../../src/network/networkFailure';
import { startLoopbackProxy, type LoopbackProxy } from '../../support/loopbackHub';

/** The error a real request fails with: nothing here is made up. */
async function failure(url: string, dispatcher: Dispatcher): Promise<unknown> {
  try {
    const response = await request(url, { dispatcher });
    await response.body.dump();
  } catch (error) {
    return error;
  } finally {
    await dispatcher.close();
  }
  return assert.fail(`${url} answered`);
}

async function listen<T extends Server | TcpServer>(server: T): Promise<T & { port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(server, { port: (server.address() as { port: number }).port });
}

/** A port that was just free: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = await listen(createTcpServer());
  await new Promise((resolve) => server.close(resolve));
  return server.port;
}

describe('network failures, sorted from real errors', () => {
  const servers: Array<Server | TcpServer> = [];
  const proxies: LoopbackProxy[] = [];
  after(async () => {
    for (const server of servers) {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const proxy of proxies) await proxy.close();
  });

  it('a name that does not resolve is a DNS failure naming the host', async () => {
    const sorted = classifyNetworkFailure(await failure('http://hub.invalid/api', new Agent()));
    assert.equal(sorted.kind, 'dns');
    assert.ok(sorted.code === 'ENOTFOUND' || sorted.code === 'EAI_AGAIN', sorted.technical);
    assert.equal(sorted.target, 'hub.invalid');
    assert.match(sorted.technical, /getaddrinfo/);
  });

  it('a closed port is a refused connection, worth retrying by itself', async () => {
    const port = await closedPort();
    const sorted = classifyNetworkFailure(await failure(`http://127.0.0.1:${port}/`, new Agent()));
    assert.deepEqual([sorted.kind, sorted.code, sorted.target, sorted.transient], ['refused', 'ECONNREFUSED', `127.0.0.1:${port}`, true]);
    assert.match(sorted.technical, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  });

  it('a server that never answers is a timeout', async () => {
    const silent = await listen(createServer(() => undefined));
    servers.push(silent);
    const sorted = classifyNetworkFailure(await failure(`http://127.0.0.1:${silent.port}/`, new Agent({ headersTimeout: 200 })));
    assert.deepEqual([sorted.kind, sorted.code, sorted.transient], ['timeout', 'UND_ERR_HEADERS_TIMEOUT', true]);
  });

  it('a connection closed mid-answer is a cut connection', async () => {
    const closing = await listen(createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      res.socket?.destroy();
    }));
    servers.push(closing);
    const dispatcher = new Agent();
    const error = await request(`http://127.0.0.1:${closing.port}/`, { dispatcher }).then((response) => response.body.text()).then(
      () => assert.fail('the body arrived whole'),
      (e: unknown) => e,
    );
    await dispatcher.close();
    const sorted = classifyNetworkFailure(error);
    assert.equal(sorted.kind, 'reset', sorted.technical);
    assert.equal(sorted.transient, true);
  });

  it('https spoken to a plain http server is a TLS failure, not retried', async () => {
    const plain = await listen(createServer((_req, res) => res.end('not tls')));
    servers.push(plain);
    const sorted = classifyNetworkFailure(await failure(`https://127.0.0.1:${plain.port}/`, new Agent()));
    assert.equal(sorted.kind, 'tls', sorted.technical);
    assert.equal(sorted.transient, false);
  });

  it('a proxy that wants credentials (407) or refuses (403) is told apart from the destination', async () => {
    const wantsCredentials = await startLoopbackProxy({ refuseWith: 407 });
    const refuses = await startLoopbackProxy({ refuseWith: 403 });
    proxies.push(wantsCredentials, refuses);
    const through = (proxy: LoopbackProxy) => new EnvHttpProxyAgent({ httpProxy: proxy.url, httpsProxy: proxy.url, noProxy: '' });
    const auth = classifyNetworkFailure(await failure('https://hub.example/api', through(wantsCredentials)));
    assert.deepEqual([auth.kind, auth.proxyStatus, auth.transient], ['proxy-auth', 407, false]);
    assert.equal(wantsCredentials.tunnels[0], 'hub.example:443', 'the request went to the proxy');
    const refused = classifyNetworkFailure(await failure('https://hub.example/api', through(refuses)));
    assert.deepEqual([refused.kind, refused.proxyStatus], ['proxy-refused', 403]);
  });

  it('something else is "other" with its words kept for the details', () => {
    const sorted = classifyNetworkFailure(Object.assign(new Error('fetch failed'), { cause: new Error('something odd') }));
    assert.deepEqual([sorted.kind, sorted.code, sorted.transient], ['other', undefined, false]);
    assert.equal(sorted.technical, 'fetch failed <- something odd');
  });
});
