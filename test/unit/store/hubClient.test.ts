import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { isModelError, type ModelError } from '../../../src/modelFolder/modelErrors';
import { HubClient, defaultAllowedHosts, isHostAllowed } from '../../../src/store/hubClient';
import { placeName } from '../../../src/store/hubReach';
import { startLoopbackHub, startLoopbackProxy, type LoopbackHub } from '../../support/loopbackHub';

const COMMIT = 'c'.repeat(40);
const files = new Map<string, Buffer>([
  ['config.json', Buffer.from('{"model_type":"lfm2_vl"}')],
  ['onnx/decoder_model_merged_q4.onnx', Buffer.from('graph bytes')],
  ['onnx/decoder_model_merged_q4.onnx_data', Buffer.alloc(5000, 7)],
  ['dir with space/ünïcode.json', Buffer.from('{}')],
]);

/** A port that was just free: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function networkFailure(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(() => assert.fail('the hub answered'), (e: unknown) => e);
  assert.ok(isModelError(error, 'NETWORK'), String((error as Error)?.stack ?? error));
  return error;
}

describe('hub client', () => {
  let hub: LoopbackHub;
  let client: HubClient;
  before(async () => {
    hub = await startLoopbackHub({ repos: [{ repo: 'org/model-ONNX', commit: COMMIT, branches: ['main'], files }] });
    client = new HubClient({ endpoint: hub.endpoint, allowedHosts: hub.allowedHosts });
  });
  after(async () => {
    await client.close();
    await hub.close();
  });

  it('matches redirect hosts against the allow list', () => {
    const allowed = defaultAllowedHosts('https://huggingface.co');
    for (const ok of ['https://huggingface.co/x', 'https://cdn-lfs.hf.co/x', 'https://cdn-lfs-us-1.hf.co/x', 'https://cas-bridge.xethub.hf.co/x', 'https://cdn-lfs.huggingface.co/x', 'https://CDN-LFS.HF.CO/x']) {
      assert.ok(isHostAllowed(new URL(ok), allowed), ok);
    }
    for (const bad of ['https://evil.example/x', 'https://hf.co.evil.example/x', 'https://evilhf.co/x', 'https://huggingface.co.evil/x']) {
      assert.ok(!isHostAllowed(new URL(bad), allowed), bad);
    }
    assert.ok(isHostAllowed(new URL('http://127.0.0.1:8080/'), ['127.0.0.1:8080']));
    assert.ok(!isHostAllowed(new URL('http://127.0.0.1:8081/'), ['127.0.0.1:8080']), 'a pinned port is exact');
    assert.ok(defaultAllowedHosts('https://hf-mirror.example').includes('hf-mirror.example'));
  });

  it('builds resolve URLs with every path segment encoded', () => {
    assert.equal(client.resolveUrl('org/model-ONNX', COMMIT, 'dir with space/ünïcode.json'), `${hub.endpoint}/org/model-ONNX/resolve/${COMMIT}/dir%20with%20space/%C3%BCn%C3%AFcode.json`);
  });

  it('resolves a branch to its commit and lists sizes and hashes', async () => {
    const revision = await client.getRevision('org/model-ONNX', 'main');
    assert.equal(revision.commit, COMMIT);
    const data = revision.files.get('onnx/decoder_model_merged_q4.onnx_data');
    assert.equal(data?.size, 5000);
    assert.equal(data?.sha256, createHash('sha256').update(Buffer.alloc(5000, 7)).digest('hex'));
    const config = revision.files.get('config.json');
    assert.equal(config?.sha256, undefined, 'small git files have no LFS hash');
    assert.equal(config?.gitOid, createHash('sha1').update(`blob ${config?.size}\0`).update(files.get('config.json') as Buffer).digest('hex'));
  });

  it('follows the storage redirect and serves a range', async () => {
    const response = await client.open(client.resolveUrl('org/model-ONNX', COMMIT, 'onnx/decoder_model_merged_q4.onnx_data'), { range: 'bytes=4990-', label: 'data' });
    assert.equal(response.status, 206);
    assert.equal(response.headers['content-range'], 'bytes 4990-4999/5000');
    assert.equal(response.hubHeaders['x-linked-size'], '5000');
    assert.equal(response.hubHeaders['x-repo-commit'], COMMIT);
    assert.equal((await response.body.arrayBuffer()).byteLength, 10);
    assert.ok(response.url.startsWith(hub.storageOrigin));
  });

  it('turns hub errors into coded errors that name what was missing', async () => {
    await assert.rejects(client.getRevision('org/model-ONNX', 'v9'), (e: unknown) => isModelError(e, 'HUB_NOT_FOUND') && /revision not found/.test(e.message));
    await assert.rejects(client.getRevision('org/missing', 'main'), (e: unknown) => isModelError(e, 'HUB_NOT_FOUND') && /repository not found/.test(e.message));
  });

  it('says in plain words that the hub is out of reach; the request and error code are details', async () => {
    const port = await closedPort();
    const unreachable = new HubClient({ endpoint: `http://127.0.0.1:${port}`, allowedHosts: ['127.0.0.1'], noProxy: '' });
    const error = await networkFailure(unreachable.getRevision('org/model-ONNX', COMMIT));
    await unreachable.close();
    assert.equal(error.message, `Could not reach the model hub (127.0.0.1:${port}): the connection was refused. This machine may be offline, or a proxy or firewall is in the way.`);
    assert.match(error.details ?? '', new RegExp(`^Request: GET http://127\\.0\\.0\\.1:${port}/api/models/org/model-ONNX/revision/${COMMIT}\\?blobs=true\nError: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\nProxy: none$`));
  });

  it('a hub name that does not resolve: offline words, the errno only in the details, the token nowhere', async () => {
    const token = 'hf_secret_token_123456';
    const offline = new HubClient({ endpoint: 'https://hub.invalid', token, noProxy: '' });
    const error = await networkFailure(offline.getRevision('org/model-ONNX', COMMIT));
    await offline.close();
    assert.equal(error.message, "Could not find the model hub (hub.invalid): this machine seems to be offline or a proxy is needed, or the hub's address is wrong.");
    assert.doesNotMatch(error.message, /ENOTFOUND|EAI_AGAIN|getaddrinfo|[0-9a-f]{40}/);
    assert.match(error.details ?? '', /(ENOTFOUND|EAI_AGAIN) hub\.invalid/);
    assert.ok(!`${error.message}${error.details}`.includes(token));
    assert.equal(placeName(new URL('https://huggingface.co/api/models'), 'https://huggingface.co'), 'the Hugging Face hub (huggingface.co)');
    assert.equal(placeName(new URL('https://cas-bridge.xethub.hf.co/x'), 'https://huggingface.co'), 'the download server (cas-bridge.xethub.hf.co)');
  });

  it('a proxy that wants credentials, or cannot be reached, is named as the problem, its password nowhere', async () => {
    const proxy = await startLoopbackProxy({ refuseWith: 407 });
    const withPassword = proxy.url.replace('http://', 'http://me:proxy-pass-123@');
    const behindProxy = new HubClient({ endpoint: hub.endpoint, allowedHosts: hub.allowedHosts, proxy: withPassword, noProxy: '' });
    const auth = await networkFailure(behindProxy.getRevision('org/model-ONNX', 'main'));
    await behindProxy.close();
    await proxy.close();
    assert.equal(
      auth.message,
      `The proxy asks for a user name and password before Loupe can reach the model hub (${new URL(hub.endpoint).host}). Put them in the proxy settings (VS Code's http.proxy, or HTTPS_PROXY, as http://user:password@host:port).`,
    );
    assert.match(auth.details ?? '', new RegExp(`Proxy: http://\\[key\\]@${new URL(proxy.url).host.replace(/\./g, '\\.')}`));
    assert.ok(!`${auth.message}${auth.details}`.includes('proxy-pass-123'));

    const port = await closedPort();
    const deadProxy = new HubClient({ endpoint: hub.endpoint, allowedHosts: hub.allowedHosts, proxy: `http://127.0.0.1:${port}`, noProxy: '' });
    const gone = await networkFailure(deadProxy.getRevision('org/model-ONNX', 'main'));
    await deadProxy.close();
    assert.equal(gone.message, `Could not reach the proxy (127.0.0.1:${port}) on the way to the model hub (${new URL(hub.endpoint).host}). Check the proxy settings (VS Code's http.proxy, or HTTPS_PROXY).`);
  });

  it('sends the token over plain http only to a hub on this machine, and nothing at all to one elsewhere', async () => {
    const port = new URL(hub.endpoint).port;
    const before = hub.requests.length;
    const elsewhere = async () => [{ address: '10.255.255.1', family: 4 }];
    const remote = new HubClient({ endpoint: `http://hub.localhost:${port}`, token: 'hf_secret_token_123456', allowedHosts: hub.allowedHosts, resolver: elsewhere });
    await assert.rejects(remote.getRevision('org/model-ONNX', 'main'), (e: unknown) => isModelError(e, 'HOST_NOT_ALLOWED') && /only over https/.test(e.message) && !e.message.includes('hf_secret'));
    await remote.close();
    assert.equal(hub.requests.length, before, 'nothing may be sent');

    const here = async () => [{ address: '127.0.0.1', family: 4 }];
    const local = new HubClient({ endpoint: `http://hub.localhost:${port}`, token: 'hf_secret_token_123456', allowedHosts: [...hub.allowedHosts, 'hub.localhost'], resolver: here });
    assert.equal((await local.getRevision('org/model-ONNX', 'main')).commit, COMMIT);
    assert.equal(hub.requests.at(-1)?.authorization, 'Bearer hf_secret_token_123456');
    await local.close();
  });
});
