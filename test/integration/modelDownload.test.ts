/**
 * Model download and import against real HTTP servers on loopback (test/support/loopbackHub.ts)
 * serving the generated tiny LFM2-VL model with the hub's API shapes, redirects and headers.
 * Nothing here mocks http or fs; faults are injected into the servers' real responses.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { downloadModel, type DownloadModelOptions } from '../../src/store/download';
import { lockPath } from '../../src/store/downloadLock';
import { isModelError, type ModelError, type ModelErrorCode } from '../../src/modelFolder/modelErrors';
import { importModelFolder } from '../../src/store/importFolder';
import { readInstalledMarker } from '../../src/modelFolder/installedMarker';
import type { ModelManifest } from '../../src/catalog/manifest';
import type { DownloadProgress } from '../../src/store/progress';
import { listInstalled, resolveInstalledModelDir } from '../../src/store/store';
import { runModelsCli } from '../support/modelsCli';
import { hubFixturesDir } from '../support/generatedFixtures';
import { fp32Manifest, repoFromFolder, startLoopbackHub, startLoopbackProxy, type HubRepo, type LoopbackHub } from '../support/loopbackHub';
import { EngineClient } from '../../src/client/engineClient';
import { resolveOptions } from '../../src/protocol/options';
import { enginePath, imageFixture, repoRoot, tinyModelDir } from '../support/paths';
import { suiteScratchDir } from '../support/scratchDir';
import { embedTokensWithExternalTable } from '../unit/modelFolder/onnxWriter';

const REPO = 'test-org/LFM2-VL-tiny-ONNX';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const DECODER = 'onnx/decoder_model_merged.onnx';
/** The largest file: the decoder's weights, as in the real export (faults are injected here). */
const DECODER_DATA = 'onnx/decoder_model_merged.onnx_data';
const SHARED = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'processor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

function tinyManifest(overrides: Record<string, unknown> = {}): ModelManifest {
  return fp32Manifest({ id: 'lfm2-vl-tiny', repo: REPO, sharedFiles: SHARED, overrides });
}

async function rejection(promise: Promise<unknown>, code: ModelErrorCode): Promise<Error> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isModelError(error, code), `expected ModelError ${code}, got ${String((error as Error)?.stack ?? error)}`);
  return error;
}

async function size(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

describe('model download from a loopback hub', () => {
  let fixture: HubRepo;
  let scratch: string;
  const hubs: LoopbackHub[] = [];

  before(async () => {
    fixture = await repoFromFolder(tinyModelDir, REPO, COMMIT, { branches: ['main'] });
    scratch = await mkdtemp(join(tmpdir(), 'loupe-models-'));
  });
  after(async () => {
    await Promise.all(hubs.map((hub) => hub.close()));
    await rm(scratch, { recursive: true, force: true });
  });

  async function hub(options: Partial<Parameters<typeof startLoopbackHub>[0]> = {}): Promise<LoopbackHub> {
    const started = await startLoopbackHub({ repos: [fixture], ...options });
    hubs.push(started);
    return started;
  }

  let storageCount = 0;
  function storage(): string {
    return join(scratch, `storage-${++storageCount}`);
  }

  function options(server: LoopbackHub, storageDir: string, extra: Partial<DownloadModelOptions> = {}): DownloadModelOptions {
    return { manifest: tinyManifest(), storageDir, endpoint: server.endpoint, allowedHosts: server.allowedHosts, retryDelayMs: 10, ...extra };
  }

  const fileSize = (path: string) => (fixture.files.get(path) as Buffer).length;
  const totalSize = () => [...fixture.files.values()].reduce((sum, data) => sum + data.length, 0);

  it('downloads every file once, verifies it, and marks the model installed last', async () => {
    const server = await hub();
    const storageDir = storage();
    const progress: DownloadProgress[] = [];
    const outcome = await downloadModel(options(server, storageDir, { onProgress: (p) => progress.push(p), progressIntervalMs: 0 }));

    assert.equal(outcome.dir, join(storageDir, 'lfm2-vl-tiny', COMMIT), 'the branch is stored under the commit it resolved to');
    for (const [path, data] of fixture.files) assert.deepEqual(await readFile(join(outcome.dir, path)), data, path);
    assert.equal(outcome.receivedBytes, totalSize());
    for (const path of fixture.files.keys()) assert.equal(server.bytesServed(path), fileSize(path), `${path} served exactly once`);
    assert.ok(server.requests.some((r) => r.server === 'storage'), 'ONNX files came through the storage redirect');

    const marker = await readInstalledMarker(outcome.dir);
    assert.equal(marker?.hub?.commit, COMMIT);
    assert.equal(marker?.hub?.requestedRevision, 'main');
    assert.deepEqual(marker?.dtype, { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' });
    assert.equal(marker?.files.length, fixture.files.size);
    assert.equal(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'), outcome.dir);

    const phases = progress.map((p) => p.phase);
    assert.equal(phases[0], 'listing');
    assert.equal(phases.at(-1), 'done');
    const downloading = progress.filter((p) => p.phase === 'downloading');
    for (let i = 1; i < downloading.length; i++) assert.ok((downloading[i] as DownloadProgress).bytesDone >= (downloading[i - 1] as DownloadProgress).bytesDone, 'progress never goes backwards');
    assert.equal(progress.at(-1)?.bytesDone, totalSize());

    // The downloaded decoder is a real graph onnxruntime loads with the contract's inputs.
    const session = await ort.InferenceSession.create(join(outcome.dir, DECODER));
    assert.equal(session.inputNames.length, 24);
    await session.release();

    // Downloading again fetches nothing but the file list.
    const before = server.requests.length;
    const again = await downloadModel(options(server, storageDir));
    assert.equal(again.receivedBytes, 0);
    assert.deepEqual(server.requests.slice(before).map((r) => r.url.split('?')[0]), [`/api/models/${REPO}/revision/main`]);
  });

  it('the engine loads the downloaded model and answers', async () => {
    const server = await hub();
    const outcome = await downloadModel(options(server, storage()));
    await server.close();
    // Offline from here on: the hub is gone and the engine reads only the installed folder.
    const engine = new EngineClient({ enginePath });
    try {
      const { text, stats } = await engine.generate({
        modelDir: outcome.dir,
        task: 'question',
        question: 'What is this?',
        image: { kind: 'path', path: imageFixture('screenshot-256x384.png') },
        options: resolveOptions('fast', { maxNewTokens: 6 }),
      }).result;
      assert.equal(stats.imageTokens, 96);
      assert.ok(stats.generatedTokens > 0);
      assert.equal(typeof text, 'string');
    } finally {
      await engine.dispose();
    }
  });

  it('resumes after the connection drops half-way, without fetching the bytes it already has', async () => {
    const server = await hub();
    const storageDir = storage();
    const decoderSize = fileSize(DECODER_DATA);
    server.setFault(DECODER_DATA, { dropAtOffset: Math.floor(decoderSize / 2), times: 1 });

    const error = await rejection(downloadModel(options(server, storageDir, { retries: 0 })), 'NETWORK');
    assert.match(error.message, /decoder_model_merged\.onnx_data was interrupted\. The connection was cut off\. [\d.]+ [kM]?B of [\d.]+ [kM]?B are kept; run the download again to resume\.$/);
    // The transport's own words are details, not the message.
    assert.doesNotMatch(error.message, /terminated|other side closed|UND_ERR/);
    assert.match((error as ModelError).details ?? '', /^Request: GET http:\/\/127\.0\.0\.1:\d+\/.*decoder_model_merged\.onnx_data\nError: .*(UND_ERR_SOCKET|other side closed|terminated)/);
    const part = join(storageDir, 'lfm2-vl-tiny', COMMIT, `${DECODER_DATA}.part`);
    const kept = (await size(part)) as number;
    assert.ok(kept > 0 && kept <= decoderSize / 2, `a partial file is kept (${kept} bytes)`);
    assert.equal(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'), undefined, 'not installed');
    assert.equal(await readInstalledMarker(join(storageDir, 'lfm2-vl-tiny', COMMIT)), undefined);

    const before = server.requests.length;
    await downloadModel(options(server, storageDir, { retries: 0 }));
    const resumed = server.requests.slice(before).filter((r) => r.server === 'storage' && r.path === DECODER_DATA);
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0]?.range, `bytes=${kept}-`);
    assert.equal(resumed[0]?.status, 206);
    assert.equal(resumed[0]?.bytes, decoderSize - kept, 'only the missing bytes were fetched');
    assert.deepEqual(await readFile(join(storageDir, 'lfm2-vl-tiny', COMMIT, DECODER_DATA)), fixture.files.get(DECODER_DATA));
    assert.equal(await size(part), undefined, 'the part file was renamed into place');
  });

  it('retries a dropped connection by itself, resuming with a Range request', async () => {
    const server = await hub();
    const storageDir = storage();
    const decoderSize = fileSize(DECODER_DATA);
    server.setFault(DECODER_DATA, { dropAtOffset: Math.floor(decoderSize / 3), times: 1 });
    const outcome = await downloadModel(options(server, storageDir, { retries: 2 }));
    const decoderRequests = server.requests.filter((r) => r.server === 'storage' && r.path === DECODER_DATA);
    assert.equal(decoderRequests.length, 2);
    assert.match(decoderRequests[1]?.range ?? '', /^bytes=\d+-$/);
    assert.equal(Number(/\d+/.exec(decoderRequests[1]?.range ?? '')?.[0]) + (decoderRequests[1]?.bytes ?? 0), decoderSize);
    assert.deepEqual(await readFile(join(outcome.dir, DECODER_DATA)), fixture.files.get(DECODER_DATA));
  });

  it('rejects a file whose SHA-256 does not match, deletes it and installs nothing', async () => {
    const server = await hub();
    const storageDir = storage();
    server.setFault('onnx/embed_tokens.onnx', { corrupt: true });
    const error = await rejection(downloadModel(options(server, storageDir)), 'CHECKSUM_MISMATCH');
    assert.match(error.message, /onnx\/embed_tokens\.onnx failed verification: its SHA-256 is [0-9a-f]{64}, expected [0-9a-f]{64}/);
    assert.match(error.message, /deleted/);
    const target = join(storageDir, 'lfm2-vl-tiny', COMMIT, 'onnx/embed_tokens.onnx');
    assert.equal(await size(target), undefined);
    assert.equal(await size(`${target}.part`), undefined);
    assert.deepEqual(await listInstalled(storageDir), []);
  });

  it('verifies small git-stored files by their git blob id', async () => {
    const server = await hub();
    const storageDir = storage();
    server.setFault('tokenizer.json', { corrupt: true });
    const error = await rejection(downloadModel(options(server, storageDir)), 'CHECKSUM_MISMATCH');
    assert.match(error.message, /tokenizer\.json failed verification: its git blob id/);
    assert.equal(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'), undefined);
  });

  it('reports a missing file (404) with its name and installs nothing', async () => {
    const server = await hub();
    const storageDir = storage();
    server.setFault('onnx/vision_encoder.onnx', { status: 404 });
    const error = await rejection(downloadModel(options(server, storageDir)), 'HUB_NOT_FOUND');
    assert.match(error.message, /onnx\/vision_encoder\.onnx was not found/);
    assert.equal(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'), undefined);

    const unknown = tinyManifest({ hub: { repo: 'test-org/does-not-exist', revision: 'main', revisionKind: 'branch' } });
    const repoError = await rejection(downloadModel({ ...options(server, storage()), manifest: unknown }), 'HUB_NOT_FOUND');
    assert.match(repoError.message, /test-org\/does-not-exist@main was not found .*repository not found/);
  });

  it('lists the files a revision lacks instead of downloading part of a model', async () => {
    const server = await hub();
    const storageDir = storage();
    const manifest = tinyManifest();
    (manifest.precisions[0] as ModelManifest['precisions'][number]).graphs.vision_encoder = 'fp16';
    const error = await rejection(downloadModel({ ...options(server, storageDir), manifest }), 'MISSING_FILES');
    assert.match(error.message, /looked for onnx\/vision_encoder_fp16\.onnx or onnx\/embed_images_fp16\.onnx\); ONNX files present: onnx\/decoder_model_merged\.onnx, onnx\/embed_tokens\.onnx, onnx\/vision_encoder\.onnx/);
    assert.equal(server.requests.filter((r) => r.url.includes('/resolve/')).length, 0, 'no file was fetched');

    const noTokenizer = tinyManifest({ sharedFiles: [...SHARED, 'vocab.txt'] });
    const sharedError = await rejection(downloadModel({ ...options(server, storage()), manifest: noTokenizer }), 'MISSING_FILES');
    assert.match(sharedError.message, /does not have the files Test model lfm2-vl-tiny \(fp32\) needs: vocab\.txt\. Nothing was downloaded/);
  });

  it('needs a token for a gated repository and never sends it to storage', async () => {
    const server = await hub({ token: 'hf_test_token' });
    const storageDir = storage();
    const error = await rejection(downloadModel(options(server, storageDir)), 'HUB_UNAUTHORIZED');
    assert.match(error.message, /HTTP 401/);
    assert.match(error.message, /token/);

    await downloadModel(options(server, storageDir, { token: 'hf_test_token' }));
    assert.ok(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'));
    const storageRequests = server.requests.filter((r) => r.server === 'storage');
    assert.ok(storageRequests.length > 0);
    assert.ok(storageRequests.every((r) => r.authorization === undefined), 'the token stays on the hub');
    assert.ok(server.requests.filter((r) => r.server === 'hub' && r.status === 200).every((r) => r.authorization === 'Bearer hf_test_token'));
  });

  it('refuses a redirect to a host that is not on the allow list', async () => {
    const server = await hub();
    const storageDir = storage();
    server.setFault(DECODER_DATA, { redirectTo: `${server.otherOrigin}/blobs/elsewhere` });
    const error = await rejection(downloadModel(options(server, storageDir)), 'HOST_NOT_ALLOWED');
    assert.ok(error.message.includes(new URL(server.otherOrigin).host), error.message);
    assert.equal(server.requests.filter((r) => r.server === 'other').length, 0, 'nothing was requested from the other host');
    assert.equal(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'), undefined);
  });

  it('stops at the listed size when a server sends more, fails clearly and does not loop', async () => {
    const server = await hub();
    const storageDir = storage();
    server.setFault(DECODER_DATA, { extraBytes: 64 * 1024 * 1024 });
    const error = await rejection(downloadModel(options(server, storageDir, { retries: 3 })), 'CHECKSUM_MISMATCH');
    assert.match(error.message, /sent more than the .* listed for .*onnx\/decoder_model_merged\.onnx_data; the download was stopped/);
    assert.equal(server.requests.filter((r) => r.path === DECODER_DATA && r.server === 'storage').length, 1, 'one request, no retry loop');
    assert.ok(server.bytesServed(DECODER_DATA) < fileSize(DECODER_DATA) + 16 * 1024 * 1024, `served ${server.bytesServed(DECODER_DATA)} bytes`);
    const parts = await readdir(storageDir, { recursive: true });
    for (const part of parts.filter((name) => String(name).endsWith('.part'))) {
      assert.ok(((await size(join(storageDir, String(part)))) ?? 0) <= fileSize(DECODER_DATA), `${part} grew past the listed size`);
    }
  });

  it('downloads a 0-byte file in the revision', async () => {
    const withEmpty: HubRepo = { ...fixture, files: new Map([...fixture.files, ['LICENSE', Buffer.alloc(0)]]) };
    const server = await hub({ repos: [withEmpty] });
    const storageDir = storage();
    const outcome = await downloadModel({ ...options(server, storageDir), manifest: tinyManifest({ optionalFiles: ['LICENSE'] }) });
    assert.equal(await size(join(outcome.dir, 'LICENSE')), 0);
  });

  it('refuses a file-list page link that leads off the hub', async () => {
    const server = await hub({ siblingsWithoutSizes: true, treePageSize: 3 });
    const offHub = await hub({ siblingsWithoutSizes: true, treePageSize: 3, treeNextOrigin: server.otherOrigin });
    const error = await rejection(downloadModel(options(offHub, storage())), 'HOST_NOT_ALLOWED');
    assert.match(error.message, /next page of .* file list: it points to/);
    assert.equal(offHub.requests.filter((r) => r.server === 'other').length, 0, 'nothing was requested off the hub');
    await downloadModel(options(server, storage()));
  });

  it('cancels on request, keeps the partial file, and a later download completes it', async () => {
    const server = await hub();
    const storageDir = storage();
    const decoderSize = fileSize(DECODER_DATA);
    server.setFault(DECODER_DATA, { chunkDelayMs: 5 });
    const controller = new AbortController();
    const onProgress = (p: DownloadProgress) => {
      if (p.file === DECODER_DATA && p.phase === 'downloading' && p.bytesDone > totalSize() - decoderSize + 200_000) controller.abort();
    };
    const error = await rejection(downloadModel(options(server, storageDir, { signal: controller.signal, onProgress, progressIntervalMs: 0 })), 'CANCELLED');
    assert.match(error.message, /kept to resume later/);
    const part = join(storageDir, 'lfm2-vl-tiny', COMMIT, `${DECODER_DATA}.part`);
    const kept = (await size(part)) as number;
    assert.ok(kept >= 200_000 && kept < decoderSize, `partial decoder kept (${kept} bytes)`);
    assert.equal(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'), undefined, 'not installed');

    server.clearFaults();
    const before = server.requests.length;
    await downloadModel(options(server, storageDir));
    const resumed = server.requests.slice(before).filter((r) => r.server === 'storage' && r.path === DECODER_DATA);
    assert.equal(resumed[0]?.range, `bytes=${kept}-`);
    assert.equal(resumed[0]?.bytes, decoderSize - kept);
    assert.ok(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'));
  });

  it('checks free disk space before fetching anything', async () => {
    const server = await hub();
    const storageDir = storage();
    const error = await rejection(downloadModel(options(server, storageDir, { freeSpace: async () => 1_000 })), 'NO_SPACE');
    assert.match(error.message, /Not enough disk space/);
    assert.match(error.message, /only 1 KB is free/);
    assert.equal(server.requests.filter((r) => r.url.includes('/resolve/')).length, 0);
  });

  it('never runs two downloads of the same model at once', async () => {
    const server = await hub();
    const storageDir = storage();
    const results = await Promise.allSettled([downloadModel(options(server, storageDir)), downloadModel(options(server, storageDir))]);
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 1);
    assert.ok(isModelError((refused[0] as PromiseRejectedResult).reason, 'LOCKED'));
    assert.ok(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'));
    assert.equal(await size(lockPath(join(storageDir, 'lfm2-vl-tiny'))), undefined, 'the lock is released');
  });

  it('respects a lock file held by another live process and takes over a stale one', async () => {
    const server = await hub();
    const storageDir = storage();
    const modelDir = join(storageDir, 'lfm2-vl-tiny');
    await mkdir(modelDir, { recursive: true });
    // The parent of this test process stands in for "another process that is downloading".
    await writeFile(lockPath(modelDir), JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: new Date().toISOString() }));
    const error = await rejection(downloadModel(options(server, storageDir)), 'LOCKED');
    assert.match(error.message, new RegExp(`process ${process.ppid}`));

    const exited = spawnSync(process.execPath, ['-e', '']);
    await writeFile(lockPath(modelDir), JSON.stringify({ pid: exited.pid, host: hostname(), startedAt: new Date().toISOString() }));
    await downloadModel(options(server, storageDir));
    assert.ok(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'));
  });

  it('lists files through the tree API when the revision API gives no sizes (paginated)', async () => {
    const server = await hub({ siblingsWithoutSizes: true, treePageSize: 3 });
    const storageDir = storage();
    await downloadModel(options(server, storageDir));
    const treePages = server.requests.filter((r) => r.url.includes('/tree/'));
    assert.equal(treePages.length, Math.ceil(fixture.files.size / 3));
    assert.ok(await resolveInstalledModelDir(storageDir, 'lfm2-vl-tiny'));
  });

  it('goes through an explicit proxy, or HTTP_PROXY, unless NO_PROXY exempts the host', async () => {
    const server = await hub();
    const proxy = await startLoopbackProxy();
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      await downloadModel(options(server, storage(), { proxy: proxy.url }));
      const hubHost = new URL(server.endpoint).host;
      const storageHost = new URL(server.storageOrigin).host;
      assert.ok(proxy.tunnels.includes(hubHost), `hub reached through the proxy (${proxy.tunnels.join(', ')})`);
      assert.ok(proxy.tunnels.includes(storageHost), 'storage reached through the proxy');

      process.env.HTTP_PROXY = proxy.url;
      delete process.env.NO_PROXY;
      const before = proxy.tunnels.length;
      await downloadModel(options(server, storage()));
      assert.ok(proxy.tunnels.length > before, 'HTTP_PROXY from the environment is used');

      process.env.NO_PROXY = '127.0.0.1';
      const exempt = proxy.tunnels.length;
      await downloadModel(options(server, storage()));
      assert.equal(proxy.tunnels.length, exempt, 'NO_PROXY hosts go direct');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await proxy.close();
    }
  });
});

describe('repository layouts on a loopback hub', () => {
  const scratch = suiteScratchDir('loupe-layouts-');
  const hubs: LoopbackHub[] = [];
  after(() => Promise.all(hubs.map((h) => h.close())));
  let count = 0;

  /** The tiny model as `repo` lays it out: graphs renamed, files added or rewritten. */
  async function serve(repo: string, layout: { rename?: Record<string, string>; extra?: Record<string, Buffer>; tokenizerConfig?: (config: Record<string, unknown>) => Record<string, unknown> }) {
    const tokenizerConfig = JSON.parse(await readFile(join(tinyModelDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const extra = { ...layout.extra, ...(layout.tokenizerConfig && { 'tokenizer_config.json': Buffer.from(JSON.stringify(layout.tokenizerConfig(tokenizerConfig))) }) };
    const files = await repoFromFolder(tinyModelDir, repo, COMMIT, { branches: ['main'], rename: (path) => layout.rename?.[path] ?? path, extra });
    const server = await startLoopbackHub({ repos: [files] });
    hubs.push(server);
    return server;
  }

  const download = (server: LoopbackHub, manifest: ModelManifest, precision?: string) =>
    downloadModel({ manifest, precision, storageDir: join(scratch(), `store-${++count}`), endpoint: server.endpoint, allowedHosts: server.allowedHosts, retryDelayMs: 10 });

  const manifestWith = (precisions: Array<{ id: string; graphs: Record<string, string> }>) =>
    tinyManifest({ defaultPrecision: precisions[0]?.id, precisions: precisions.map((p) => ({ ...p, label: p.id, description: p.id, approxDownloadBytes: 4_000_000 })) });

  it("stores Liquid AI's _q8 graphs under transformers.js's _quantized name and fetches exactly the weights the graph refers to", async () => {
    const server = await serve('test-org/q8', {
      rename: { 'onnx/vision_encoder.onnx': 'onnx/vision_encoder_q8.onnx' },
      // Listed beside the graph by name, but the graph's own protobuf refers to vision_encoder.onnx_data.
      extra: { 'onnx/vision_encoder_q8.onnx_data': Buffer.alloc(4096, 6), 'onnx/vision_encoder_q8.onnx_data_1': Buffer.alloc(4096, 7) },
    });
    const outcome = await download(server, { ...manifestWith([{ id: 'q8-vision', graphs: { vision_encoder: 'q8', embed_tokens: 'fp32', decoder_model_merged: 'fp32' } }]), hub: { repo: 'test-org/q8', revision: 'main', revisionKind: 'branch' } });
    const onnx = (await readdir(join(outcome.dir, 'onnx'))).sort();
    assert.deepEqual(onnx, ['decoder_model_merged.onnx', 'decoder_model_merged.onnx_data', 'embed_tokens.onnx', 'vision_encoder.onnx_data', 'vision_encoder_quantized.onnx']);
    assert.deepEqual(await readFile(join(outcome.dir, 'onnx/vision_encoder_quantized.onnx')), await readFile(join(tinyModelDir, 'onnx/vision_encoder.onnx')), 'the graph keeps its bytes');
    assert.equal(server.bytesServed('onnx/vision_encoder_q8.onnx_data_1'), 0, 'a listed file no graph refers to is not fetched');
    assert.deepEqual(outcome.marker.dtype, { vision_encoder: 'q8', embed_tokens: 'fp32', decoder_model_merged: 'fp32' });
    assert.ok(outcome.marker.files.some((f) => f.path === 'onnx/vision_encoder_quantized.onnx'), 'the marker lists the stored name');
  });

  it('writes a chat template that lives only in chat_template.jinja into tokenizer_config.json', async () => {
    const template = (JSON.parse(await readFile(join(tinyModelDir, 'tokenizer_config.json'), 'utf8')) as { chat_template: string }).chat_template;
    const server = await serve('test-org/jinja', { extra: { 'chat_template.jinja': Buffer.from(template) }, tokenizerConfig: ({ chat_template: _moved, ...rest }) => rest });
    const outcome = await download(server, { ...tinyManifest(), hub: { repo: 'test-org/jinja', revision: 'main', revisionKind: 'branch' } });
    const stored = JSON.parse(await readFile(join(outcome.dir, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
    assert.equal(stored.chat_template, template);
    const listed = outcome.marker.files.find((f) => f.path === 'tokenizer_config.json');
    assert.equal(listed?.size, (await stat(join(outcome.dir, 'tokenizer_config.json'))).size, 'the marker describes the file as stored');
    assert.ok(await resolveInstalledModelDir(join(outcome.dir, '..', '..'), 'lfm2-vl-tiny'));
  });

  it("installs Liquid AI's embed_images / decoder layout; refuses an onnxruntime-genai one before fetching a byte", async () => {
    const liquid = await serve('test-org/liquid-1.6b', {
      rename: { 'onnx/vision_encoder.onnx': 'onnx/embed_images_fp16.onnx', 'onnx/embed_tokens.onnx': 'onnx/embed_tokens_fp16.onnx', [DECODER]: 'onnx/decoder_q4.onnx' },
    });
    const q4 = [{ id: 'q4', graphs: { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' } }];
    const installed = await download(liquid, { ...manifestWith(q4), hub: { repo: 'test-org/liquid-1.6b', revision: 'main', revisionKind: 'branch' } });
    const onnx = (await readdir(join(installed.dir, 'onnx'))).sort();
    assert.deepEqual(onnx, ['decoder_model_merged.onnx_data', 'decoder_model_merged_q4.onnx', 'embed_tokens_fp16.onnx', 'vision_encoder.onnx_data', 'vision_encoder_fp16.onnx']);

    const genai = await serve('test-org/genai', {
      rename: { 'onnx/embed_tokens.onnx': 'onnx/embeddings_fp16.onnx', [DECODER]: 'onnx/decoder_q4.onnx', 'onnx/vision_encoder.onnx': 'onnx/vision_encoder_fp16.onnx' },
      extra: { 'genai_config.json': Buffer.from('{}') },
    });
    const error = await rejection(download(genai, { ...manifestWith(q4), hub: { repo: 'test-org/genai', revision: 'main', revisionKind: 'branch' } }), 'MISSING_FILES');
    assert.match(error.message, /test-org\/genai@main \(commit 0123456789ab\) has no q4 precision/);
    assert.match(error.message, /onnxruntime-genai export/);
    assert.equal(genai.requests.filter((r) => r.url.includes('/resolve/')).length, 0, 'no file was requested');
    assert.equal(genai.requests.reduce((sum, r) => sum + r.bytes, 0), 0, 'the hub served 0 file bytes');
  });

  it('refuses graphs that break the contract after fetching only the graph files, no weights', async () => {
    const path = join(tinyModelDir, 'onnx/vision_encoder.onnx');
    const renamedInput = Buffer.from((await readFile(path)).toString('latin1').replaceAll('pixel_values', 'pixel_valuez'), 'latin1');
    const server = await serve('test-org/wrong-io', { extra: { 'onnx/vision_encoder.onnx': renamedInput } });
    const error = await rejection(download(server, { ...tinyManifest(), hub: { repo: 'test-org/wrong-io', revision: 'main', revisionKind: 'branch' } }), 'INVALID_MODEL');
    assert.match(error.message, /onnx\/vision_encoder\.onnx: input "pixel_values" is missing \(the graph has "pixel_valuez" instead\)/);
    assert.match(error.message, /Only the graph files were downloaded, no weights/);
    for (const data of ['onnx/vision_encoder.onnx_data', 'onnx/decoder_model_merged.onnx_data']) assert.equal(server.bytesServed(data), 0, data);
  });

  it('adds a second precision to an install and selects it; the first stays installed', async () => {
    const server = await serve('test-org/two', {
      extra: {
        'onnx/vision_encoder_fp16.onnx': await readFile(join(tinyModelDir, 'onnx/vision_encoder.onnx')),
        'onnx/decoder_model_merged_q4.onnx': await readFile(join(tinyModelDir, DECODER)),
        'onnx/decoder_model_merged_fp16.onnx': await readFile(join(tinyModelDir, DECODER)),
      },
    });
    const manifest = {
      ...manifestWith([
        { id: 'q4', graphs: { vision_encoder: 'fp16', embed_tokens: 'fp32', decoder_model_merged: 'q4' } },
        { id: 'fp16', graphs: { vision_encoder: 'fp16', embed_tokens: 'fp32', decoder_model_merged: 'fp16' } },
      ]),
      hub: { repo: 'test-org/two', revision: 'main', revisionKind: 'branch' as const },
    };
    const storageDir = join(scratch(), 'two');
    const options = { manifest, storageDir, endpoint: server.endpoint, allowedHosts: server.allowedHosts };
    await downloadModel(options);
    const second = await downloadModel({ ...options, precision: 'fp16' });
    assert.equal(second.marker.precision, 'fp16');
    assert.deepEqual(second.marker.dtype.decoder_model_merged, 'fp16');
    assert.deepEqual(second.marker.precisions.map((p) => p.id), ['q4', 'fp16']);
    assert.ok(second.marker.files.some((f) => f.path === 'onnx/decoder_model_merged_q4.onnx'), 'the q4 files stay listed');
    assert.equal(second.receivedBytes, (await stat(join(second.dir, 'onnx/decoder_model_merged_fp16.onnx'))).size, 'only the new decoder was fetched');
    assert.equal((await listInstalled(storageDir))[0]?.marker.precision, 'fp16');
  });
});

describe('offline import of a model folder', () => {
  const scratch = suiteScratchDir('loupe-import-');

  async function copyOfFixture(name: string): Promise<string> {
    const dir = join(scratch(), name, 'model');
    await cp(tinyModelDir, dir, { recursive: true });
    return dir;
  }

  it('imports a valid folder and makes it resolvable', async () => {
    const source = await copyOfFixture('valid');
    const storageDir = join(scratch(), 'valid', 'storage');
    const outcome = await importModelFolder({ source, storageDir, modelId: 'tiny-import' });
    assert.equal(outcome.marker.source, 'import');
    assert.equal(outcome.marker.architecture, 'lfm2-vl');
    assert.equal(outcome.alreadyImported, false);
    assert.equal((await stat(join(outcome.dir, DECODER))).nlink, 1, 'copied, not hard-linked to the source');
    assert.equal(await resolveInstalledModelDir(storageDir, 'tiny-import'), outcome.dir);
    assert.deepEqual(await readFile(join(outcome.dir, DECODER)), await readFile(join(tinyModelDir, DECODER)));
    const again = await importModelFolder({ source, storageDir, modelId: 'tiny-import' });
    assert.equal(again.dir, outcome.dir, 'importing the same folder twice is a no-op');
    assert.equal(again.alreadyImported, true);
  });

  it('rejects a graph whose inputs do not match the architecture, naming the input', async () => {
    const source = await copyOfFixture('wrong-graph');
    const path = join(source, 'onnx/vision_encoder.onnx');
    // Same-length rename keeps the protobuf valid: a real graph, just not the one the engine expects.
    const bytes = await readFile(path);
    await writeFile(path, Buffer.from(bytes.toString('latin1').replaceAll('pixel_values', 'pixel_valuez'), 'latin1'));
    const session = await ort.InferenceSession.create(path);
    assert.ok(session.inputNames.includes('pixel_valuez'), 'onnxruntime accepts the renamed graph');
    await session.release();

    const storageDir = join(scratch(), 'wrong-graph', 'storage');
    const error = await rejection(importModelFolder({ source, storageDir, modelId: 'tiny-wrong' }), 'INVALID_MODEL');
    assert.match(error.message, /onnx\/vision_encoder\.onnx \(vision_encoder\): input "pixel_values" is missing \(the graph has "pixel_valuez" instead\)/);
    assert.deepEqual(await listInstalled(storageDir), []);
  });

  it('rejects external data that points outside the folder', async () => {
    const source = await copyOfFixture('escape');
    // The file the graph points at really exists, one level up.
    const outside = embedTokensWithExternalTable('../embed_table.bin');
    await writeFile(join(source, 'embed_table.bin'), outside.data);
    await writeFile(join(source, 'onnx/embed_tokens.onnx'), outside.graph);
    const storageDir = join(scratch(), 'escape', 'storage');
    const error = await rejection(importModelFolder({ source, storageDir, modelId: 'tiny-escape' }), 'INVALID_MODEL');
    assert.match(error.message, /onnx\/embed_tokens\.onnx: tensor "embed_weight" has external data at a location with "\.\." \("\.\.\/embed_table\.bin"\); external data must stay inside the model folder/);

    const absolute = embedTokensWithExternalTable(join(source, 'embed_table.bin'));
    await writeFile(join(source, 'onnx/embed_tokens.onnx'), absolute.graph);
    const absoluteError = await rejection(importModelFolder({ source, storageDir, modelId: 'tiny-escape' }), 'INVALID_MODEL');
    assert.match(absoluteError.message, /an absolute location/);
    assert.deepEqual(await listInstalled(storageDir), []);

    // Control: the same graph with its table next to it imports, so the path alone was the problem.
    const inside = embedTokensWithExternalTable('embed_tokens.onnx_data');
    await writeFile(join(source, 'onnx/embed_tokens.onnx'), inside.graph);
    await writeFile(join(source, 'onnx/embed_tokens.onnx_data'), inside.data);
    const outcome = await importModelFolder({ source, storageDir, modelId: 'tiny-escape' });
    assert.deepEqual(await readFile(join(outcome.dir, 'onnx/embed_tokens.onnx_data')), inside.data);
  });

  /** Every file under the storage folder (none when it does not exist). */
  async function storedFiles(storageDir: string): Promise<string[]> {
    const entries = await readdir(storageDir, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
  }

  it('refuses a file link that leads out of the folder, at any depth, and stores nothing', async () => {
    const source = await copyOfFixture('link-out');
    const storageDir = join(scratch(), 'link-out', 'storage');
    await symlink('/etc/passwd', join(source, 'notes.txt'));
    const error = await rejection(importModelFolder({ source, storageDir, modelId: 'tiny-link' }), 'INVALID_MODEL');
    assert.match(error.message, /notes\.txt/);
    assert.match(error.message, /\/etc\/passwd/);
    assert.deepEqual(await storedFiles(storageDir), [], 'nothing placed in the store');

    // Deeper, and to a file beside the folder rather than a system file.
    await rm(join(source, 'notes.txt'));
    const outside = join(scratch(), 'link-out', 'secret.txt');
    await writeFile(outside, 'not part of the model');
    await mkdir(join(source, 'extras', 'deep'), { recursive: true });
    await symlink('../../../secret.txt', join(source, 'extras', 'deep', 'notes.txt'));
    const deepError = await rejection(importModelFolder({ source, storageDir, modelId: 'tiny-link' }), 'INVALID_MODEL');
    assert.match(deepError.message, /extras\/deep\/notes\.txt/);
    assert.ok(deepError.message.includes(outside), deepError.message);
    assert.deepEqual(await storedFiles(storageDir), []);

    // Control: a link that stays inside the folder imports, as a real file.
    await rm(join(source, 'extras'), { recursive: true });
    await symlink('generation_config.json', join(source, 'notes.txt'));
    const outcome = await importModelFolder({ source, storageDir, modelId: 'tiny-link' });
    assert.deepEqual(await readFile(join(outcome.dir, 'notes.txt')), await readFile(join(source, 'generation_config.json')));
  });

  it('refuses a linked folder that leads out of the folder and stores nothing', async () => {
    const source = await copyOfFixture('dir-out');
    const storageDir = join(scratch(), 'dir-out', 'storage');
    // Nothing is kept from this folder, but the link leaves the folder all the same.
    await mkdir(join(source, 'extras'));
    await symlink('/etc', join(source, 'extras', 'system'));
    const extrasError = await rejection(importModelFolder({ source, storageDir, modelId: 'tiny-dir-link' }), 'INVALID_MODEL');
    assert.match(extrasError.message, /- extras\/system is a link to \/etc$/m);
    assert.deepEqual(await storedFiles(storageDir), [], 'nothing placed in the store');

    // The graphs' folder itself, linked to a folder beside the model.
    await rm(join(source, 'extras'), { recursive: true });
    const outside = join(scratch(), 'dir-out', 'elsewhere');
    await rename(join(source, 'onnx'), outside);
    await symlink('../elsewhere', join(source, 'onnx'));
    const error = await rejection(importModelFolder({ source, storageDir, modelId: 'tiny-dir-link' }), 'INVALID_MODEL');
    assert.ok(error.message.includes(`- onnx is a link to ${outside}`), error.message);
    assert.deepEqual(await storedFiles(storageDir), []);
  });

  it('a same-size edit (new file, same mtime) is imported again, with the new bytes', async () => {
    const source = await copyOfFixture('same-size');
    const storageDir = join(scratch(), 'same-size', 'storage');
    const first = await importModelFolder({ source, storageDir, modelId: 'tiny-edit' });
    const path = join(source, DECODER_DATA);
    const times = await stat(path);
    const edited = await readFile(path);
    edited.fill(0x3c, edited.length - 64);
    // As editors save: a new file renamed over the old one, then the old timestamps put back.
    await writeFile(`${path}.tmp`, edited);
    await rename(`${path}.tmp`, path);
    await utimes(path, times.atime, times.mtime);
    const second = await importModelFolder({ source, storageDir, modelId: 'tiny-edit' });
    assert.notEqual(second.dir, first.dir, 'different content is a different import');
    assert.deepEqual(await readFile(join(second.dir, DECODER_DATA)), edited);
    const sha256 = createHash('sha256').update(edited).digest('hex');
    assert.equal(second.marker.files.find((f) => f.path === DECODER_DATA)?.sha256, sha256);
    assert.equal(await resolveInstalledModelDir(storageDir, 'tiny-edit'), second.dir);
  });

  it("names an import without a catalog id after its family and folder, a Hugging Face snapshot after its repository", async () => {
    const plain = join(scratch(), 'named', 'My tiny model');
    await cp(tinyModelDir, plain, { recursive: true });
    const storageDir = join(scratch(), 'named', 'storage');
    const outcome = await importModelFolder({ source: plain, storageDir });
    assert.equal(outcome.marker.label, 'LFM2-VL from My tiny model');
    assert.equal(outcome.marker.modelId, 'local-my-tiny-model');

    // A snapshot folder is named by a commit hash, which means nothing to a person.
    const snapshot = join(scratch(), 'named', 'hub', 'models--test-org--LFM2-VL-tiny-ONNX', 'snapshots', COMMIT);
    await cp(tinyModelDir, snapshot, { recursive: true });
    const fromCache = await importModelFolder({ source: snapshot, storageDir });
    assert.equal(fromCache.marker.label, 'LFM2-VL from LFM2-VL-tiny-ONNX');
    assert.equal(fromCache.marker.modelId, 'local-lfm2-vl-tiny-onnx');
  });

  it('editing the source in place after an import leaves the stored copy as imported', async () => {
    const source = await copyOfFixture('in-place');
    const storageDir = join(scratch(), 'in-place', 'storage');
    const outcome = await importModelFolder({ source, storageDir, modelId: 'tiny-in-place' });
    const original = await readFile(join(tinyModelDir, DECODER_DATA));
    const handle = await open(join(source, DECODER_DATA), 'r+');
    await handle.write(Buffer.alloc(64, 0x5a), 0, 64, original.length - 64);
    await handle.close();
    assert.notDeepEqual(await readFile(join(source, DECODER_DATA)), original, 'the source did change');
    assert.deepEqual(await readFile(join(outcome.dir, DECODER_DATA)), original);
    assert.equal((await stat(join(outcome.dir, DECODER_DATA))).nlink, 1, 'the stored file shares no inode');
  });
});

describe('loupe models download (CLI) against a loopback hub, then loupe ask', () => {
  const LFM = { repo: 'LiquidAI/LFM2.5-VL-450M-ONNX', commit: '95c283d4497a56477a83177079fa6b7121abb1b1' };
  let server: LoopbackHub;
  let home: string;

  before(async () => {
    // The default model's repository as its manifest's evidence lists it (scripts/gen_hub_fixtures.py).
    const lfm = await repoFromFolder(join(hubFixturesDir(), 'lfm2.5-vl-450m'), LFM.repo, LFM.commit, { branches: ['main'] });
    server = await startLoopbackHub({ repos: [lfm] });
    home = await mkdtemp(join(tmpdir(), 'loupe-cli-dl-'));
  });
  after(async () => {
    await server.close();
    await rm(home, { recursive: true, force: true });
  });

  const cli = (args: string[]) => runModelsCli(args, { LOUPE_HOME: home });

  /** `loupe ask` from the built bundle, as a user runs it: the model by id from $LOUPE_HOME. */
  function ask(model: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolvePromise) => {
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'ask', imageFixture('screenshot-256x384.png'), 'What is this?', '--model', model, '--no-ocr', '--max-new-tokens', '4', '--json'], {
        env: { ...process.env, LOUPE_HOME: home },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    });
  }

  it('downloads the default model with a progress bar, answers with it, lists it, and removes it', async () => {
    const download = await cli(['models', 'download', '--accept-license', '--endpoint', server.endpoint]);
    assert.equal(download.code, 0, download.err);
    assert.match(download.err, /Downloading LFM2\.5-VL 450M from LiquidAI\/LFM2\.5-VL-450M-ONNX \(commit 95c283d4497a\)/);
    assert.match(download.err, /\[#{24}\] 100% · /);
    const dir = join(home, 'models', 'lfm2.5-vl-450m', LFM.commit);
    assert.ok(download.out.includes(`Installed LFM2.5-VL 450M (q4) in ${dir}`), download.out);
    const marker = await readInstalledMarker(dir);
    assert.deepEqual(marker?.dtype, { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' });
    assert.ok(marker?.licenseAcceptedAt, 'acceptance is recorded');
    assert.ok(await stat(join(dir, 'onnx/decoder_model_merged_q4.onnx_data')), 'the external data the graph refers to is fetched');

    const answer = await ask('lfm2.5-vl-450m');
    assert.equal(answer.code, 0, answer.stderr);
    assert.ok((JSON.parse(answer.stdout) as { stats: { generatedTokens: number } }).stats.generatedTokens > 0);

    const list = await cli(['models', 'list']);
    assert.match(list.out, /\*\s+lfm2\.5-vl-450m\s+installed \(q4, 95c283d4497a\)/);
    assert.match(list.out, /smolvlm-256m\s+not installed\s+about 211 MB\s+Apache-2\.0/);
    assert.match(list.out, /lfm2-vl-1\.6b\s+not installed \(unproven\)/);
    assert.match(list.out, /lfm2-vl-1\.6b \(unproven\): No public listing or loader shows the files/);

    const removal = await cli(['models', 'remove', 'lfm2.5-vl-450m']);
    assert.equal(removal.code, 0, removal.err);
    assert.match(removal.out, /Removed lfm2\.5-vl-450m \(\d+(\.\d)? MB freed\)/);
    assert.equal(await resolveInstalledModelDir(join(home, 'models'), 'lfm2.5-vl-450m'), undefined);
  });

  it('installs a second precision, loads it, and switches back with loupe models precision', async () => {
    assert.equal((await cli(['models', 'download', '--accept-license', '--endpoint', server.endpoint])).code, 0);
    const fp16 = await cli(['models', 'download', '--precision', 'fp16', '--accept-license', '--endpoint', server.endpoint]);
    assert.equal(fp16.code, 0, fp16.err);
    assert.match(fp16.out, /Installed LFM2\.5-VL 450M \(fp16\)/);
    assert.match(fp16.out, / {2}q4\s+vision fp16, embeddings fp16, decoder q4\n\* fp16\s+vision fp16, embeddings fp16, decoder fp16\n/);
    assert.match((await cli(['models', 'list'])).out, /lfm2\.5-vl-450m\s+installed \(fp16; also q4, 95c283d4497a\)/);
    const dir = join(home, 'models', 'lfm2.5-vl-450m', LFM.commit);
    assert.equal((await readInstalledMarker(dir))?.dtype.decoder_model_merged, 'fp16', 'the engine will load the precision just downloaded');
    assert.equal((await ask('lfm2.5-vl-450m')).code, 0);

    const back = await cli(['models', 'precision', 'lfm2.5-vl-450m', 'q4']);
    assert.equal(back.code, 0, back.err);
    assert.match(back.out, /\* q4\s+vision fp16, embeddings fp16, decoder q4/);
    assert.equal((await readInstalledMarker(dir))?.precision, 'q4');
    const missing = await cli(['models', 'precision', 'lfm2.5-vl-450m', 'q4-small']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no q4-small precision installed \(installed: q4, fp16\)/);
  });
});
