/**
 * A stand-in for the Hugging Face hub on loopback: real `node:http` servers speaking the hub's
 * API shapes, so the downloader is tested against sockets, redirects and Range requests rather
 * than mocks. Three servers run on 127.0.0.1 with different ports:
 *
 * - hub:     `/api/models/{repo}/revision/{rev}`, `/api/models/{repo}/tree/{rev}`, and
 *            `/{repo}/resolve/{rev}/{path}` (small files served directly with a git-blob ETag;
 *            `.onnx`/`.onnx_data` files answered with a 302 to storage plus `X-Linked-Etag`,
 *            `X-Linked-Size` and `X-Repo-Commit`, as the real hub does for LFS files);
 * - storage: `/blobs/{sha256}` with Range support (the CDN);
 * - other:   a host that is NOT on the allow list, to prove redirects there are refused.
 *
 * Faults can be injected per file: drop the connection at a byte offset, serve wrong bytes,
 * answer a status, redirect elsewhere, or serve slowly. Every request and every body byte served
 * is recorded so tests can assert what was (not) fetched.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseManifest, type ModelManifest } from '../../src/catalog/manifest';
import { GRAPH_NAMES, graphFileSpellings, type DtypeMap } from '../../src/modelFolder/modelLayout';

export interface HubRepo {
  repo: string;
  commit: string;
  /** Branch names that resolve to `commit` (e.g. "main"). */
  branches?: string[];
  files: Map<string, Buffer>;
}

export interface Fault {
  /** Close the connection once the body reaches this file offset (a "network drop"). */
  dropAtOffset?: number;
  /** Serve bytes that differ from the file (the hashes will not match). */
  corrupt?: boolean;
  /** Answer the resolve request with this status. */
  status?: number;
  /** Answer the resolve request with a 302 to this URL. */
  redirectTo?: string;
  /** Serve the body in small chunks with this pause between them. */
  chunkDelayMs?: number;
  /** Keep sending this many bytes past the file's end (no Content-Length), as a broken server might. */
  extraBytes?: number;
  /** How many requests the fault applies to (default: every request). */
  times?: number;
}

export interface ServedRequest {
  server: 'hub' | 'storage' | 'other';
  method: string;
  url: string;
  status: number;
  range?: string;
  authorization?: string;
  /** Repository path, for file downloads. */
  path?: string;
  /** Body bytes written for this request. */
  bytes: number;
}

export interface LoopbackHub {
  endpoint: string;
  storageOrigin: string;
  /** A server off the allow list; `otherOrigin + '/anything'` makes a good forbidden redirect. */
  otherOrigin: string;
  /** Allow list covering hub and storage (host:port entries) but not `otherOrigin`. */
  allowedHosts: string[];
  requests: ServedRequest[];
  /** Body bytes served for one repository file, over all requests and servers. */
  bytesServed(path: string): number;
  setFault(path: string, fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface LoopbackHubOptions {
  repos: HubRepo[];
  /** Require `Authorization: Bearer <token>` on the hub (API and resolve). */
  token?: string;
  /** Leave sizes out of the revision API's siblings, as older hubs do, forcing the tree API. */
  siblingsWithoutSizes?: boolean;
  /** Entries per tree API page (pagination through the Link header). */
  treePageSize?: number;
  /** Point the tree listing's next-page link at this origin instead of the hub's. */
  treeNextOrigin?: string;
}

interface StoredFile {
  repo: HubRepo;
  path: string;
  data: Buffer;
  sha256: string;
  gitOid: string;
  lfs: boolean;
}

/**
 * A validated manifest for a repository holding the tiny fixture's graphs (as the fixture does, or
 * under other dtype names: onnxruntime loads the fp32 graphs whatever they are called), on branch
 * `main`, with a license that needs no acceptance. For tests that download the fixture through the
 * loopback hub and then load it.
 */
export function fp32Manifest(options: { id: string; repo: string; sharedFiles: string[]; overrides?: Record<string, unknown> }): ModelManifest {
  const json = {
    schemaVersion: 3,
    id: options.id,
    label: `Test model ${options.id}`,
    architecture: 'lfm2-vl',
    parameters: 'a few thousand',
    hub: { repo: options.repo, revision: 'main', revisionKind: 'branch' },
    license: { name: 'Test License', url: 'https://example.com/license', requiresAcceptance: false, summary: 'for tests' },
    summary: 'generated test model',
    goodAt: ['tests'],
    speed: 'fastest',
    sharedFiles: options.sharedFiles,
    defaultPrecision: 'fp32',
    precisions: [
      {
        id: 'fp32',
        label: 'fp32',
        description: 'the precision the fixture has',
        graphs: { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' },
        approxDownloadBytes: 4_000_000,
      },
    ],
    sampling: { temperature: 0, minP: 0, repetitionPenalty: 1, source: 'greedy, for reproducible tests' },
    sizeNote: 'exact',
    ...options.overrides,
  };
  // Every file a precision could be spelled as counts as shown: the tests decide what the hub has.
  const precisions = json.precisions as Array<{ graphs: DtypeMap }>;
  const graphs = precisions.flatMap((p) => GRAPH_NAMES.flatMap((graph) => graphFileSpellings(graph, p.graphs[graph])));
  const evidence = { files: [...new Set([...(json.sharedFiles as string[]), ...graphs])].map((path) => ({ path })), sources: ['generated for tests: what the loopback hub serves'] };
  return parseManifest({ evidence, ...json }, `test manifest ${options.id}`);
}

/** Reads a folder into a repository; `rename` maps folder paths to repository paths. */
export async function repoFromFolder(
  dir: string,
  repo: string,
  commit: string,
  options: { branches?: string[]; rename?: (path: string) => string | undefined; extra?: Record<string, Buffer> } = {},
): Promise<HubRepo> {
  const files = new Map<string, Buffer>();
  for (const path of await walk(dir)) {
    const repoPath = options.rename ? options.rename(path) : path;
    if (repoPath) files.set(repoPath, await readFile(join(dir, ...path.split('/'))));
  }
  for (const [path, data] of Object.entries(options.extra ?? {})) files.set(path, data);
  return { repo, commit, branches: options.branches, files };
}

async function walk(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path, root)));
    else if (entry.isFile()) out.push(relative(root, path).split(sep).join('/'));
  }
  return out.sort();
}

export async function startLoopbackHub(options: LoopbackHubOptions): Promise<LoopbackHub> {
  const stored: StoredFile[] = [];
  for (const repo of options.repos) {
    for (const [path, data] of repo.files) {
      stored.push({
        repo,
        path,
        data,
        sha256: createHash('sha256').update(data).digest('hex'),
        gitOid: createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'),
        lfs: /\.onnx(_data(_\d+)?)?$/.test(path),
      });
    }
  }
  const faults = new Map<string, Fault>();
  const requests: ServedRequest[] = [];

  const takeFault = (path: string): Fault | undefined => {
    const fault = faults.get(path);
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      if (fault.times <= 0) return undefined;
      fault.times--;
    }
    return fault;
  };

  const record = (server: ServedRequest['server'], req: IncomingMessage, extra: Partial<ServedRequest> = {}): ServedRequest => {
    const entry: ServedRequest = {
      server,
      method: req.method ?? 'GET',
      url: req.url ?? '',
      status: 0,
      range: req.headers.range,
      authorization: req.headers.authorization,
      bytes: 0,
      ...extra,
    };
    requests.push(entry);
    return entry;
  };

  const other = await listen((req, res) => {
    const entry = record('other', req);
    entry.status = 200;
    res.end('you should not be here');
  });

  const storage = await listen(async (req, res) => {
    const sha = /^\/blobs\/([0-9a-f]{64})/.exec(req.url ?? '')?.[1];
    const file = stored.find((f) => f.sha256 === sha);
    const entry = record('storage', req, { path: file?.path });
    if (!file) return finish(res, entry, 404, 'no such blob');
    // Pre-signed URLs carry their own authority; the hub token must never reach storage.
    await serveBody(req, res, entry, file, takeFault(file.path), { etag: `"${file.sha256}"` });
  });

  let hubOrigin = '';
  const hub = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const entry = record('hub', req);
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      res.setHeader('x-error-code', 'GatedRepo');
      res.setHeader('x-error-message', 'Access to this model is restricted. You must have access to it and be authenticated.');
      return finish(res, entry, 401, 'unauthorized');
    }
    const api = /^\/api\/models\/([^/]+)\/([^/]+)\/(revision|tree)\/([^/?]+)/.exec(url.pathname);
    if (api) {
      const repo = findRepo(`${decodeURIComponent(api[1] as string)}/${decodeURIComponent(api[2] as string)}`);
      if (!repo) return apiError(res, entry, 'RepoNotFound', 'Repository not found');
      if (!resolves(repo, decodeURIComponent(api[4] as string))) return apiError(res, entry, 'RevisionNotFound', 'Invalid rev id');
      const files = stored.filter((f) => f.repo === repo);
      if (api[3] === 'revision') {
        const blobs = url.searchParams.get('blobs') === 'true';
        const siblings = files.map((f) => ({
          rfilename: f.path,
          ...(blobs && !options.siblingsWithoutSizes
            ? { size: f.data.length, blobId: f.gitOid, ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.data.length, pointerSize: 134 } } : {}) }
            : {}),
        }));
        return json(res, entry, { _id: `id-${repo.repo}`, id: repo.repo, sha: repo.commit, siblings });
      }
      const page = options.treePageSize ?? 1000;
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const slice = files.slice(cursor, cursor + page);
      if (cursor + page < files.length) {
        const next = new URL(url.toString().replace('http://hub.invalid', options.treeNextOrigin ?? hubOrigin));
        next.searchParams.set('cursor', String(cursor + page));
        res.setHeader('link', `<${next.toString()}>; rel="next"`);
      }
      return json(
        res,
        entry,
        slice.map((f) => ({ type: 'file', oid: f.gitOid, size: f.data.length, path: f.path, ...(f.lfs ? { lfs: { oid: f.sha256, size: f.data.length, pointerSize: 134 } } : {}) })),
      );
    }
    const resolve = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!resolve) return finish(res, entry, 404, 'not found');
    const repo = findRepo(`${decodeURIComponent(resolve[1] as string)}/${decodeURIComponent(resolve[2] as string)}`);
    const path = (resolve[4] as string).split('/').map(decodeURIComponent).join('/');
    entry.path = path;
    const file = repo && resolves(repo, decodeURIComponent(resolve[3] as string)) ? stored.find((f) => f.repo === repo && f.path === path) : undefined;
    if (!file) {
      res.setHeader('x-error-code', 'EntryNotFound');
      return finish(res, entry, 404, 'Entry not found');
    }
    res.setHeader('x-repo-commit', file.repo.commit);
    const fault = faults.get(path);
    if (fault?.status && takeFault(path)) return finish(res, entry, fault.status, `injected ${fault.status}`);
    if (fault?.redirectTo && takeFault(path)) {
      res.setHeader('location', fault.redirectTo);
      return finish(res, entry, 302, 'elsewhere');
    }
    if (file.lfs) {
      res.setHeader('x-linked-etag', `"${file.sha256}"`);
      res.setHeader('x-linked-size', String(file.data.length));
      res.setHeader('etag', `"${file.sha256}"`);
      res.setHeader('location', `${storageOrigin}/blobs/${file.sha256}?X-Amz-Expires=3600&X-Amz-Signature=loopback`);
      return finish(res, entry, 302, 'Found');
    }
    await serveBody(req, res, entry, file, takeFault(path), { etag: `"${file.gitOid}"` });
  });

  hubOrigin = origin(hub);
  const storageOrigin = origin(storage);
  const otherOrigin = origin(other);

  function findRepo(name: string): HubRepo | undefined {
    return options.repos.find((r) => r.repo === name);
  }

  return {
    endpoint: hubOrigin,
    storageOrigin,
    otherOrigin,
    allowedHosts: [new URL(hubOrigin).host, new URL(storageOrigin).host],
    requests,
    bytesServed: (path) => requests.filter((r) => r.path === path).reduce((sum, r) => sum + r.bytes, 0),
    setFault: (path, fault) => faults.set(path, { ...fault }),
    clearFaults: () => faults.clear(),
    close: async () => {
      await Promise.all([hub, storage, other].map((server) => closeServer(server)));
    },
  };
}

function resolves(repo: HubRepo, revision: string): boolean {
  return revision === repo.commit || (repo.branches ?? []).includes(revision);
}

/** Serves `file` honouring Range, with the fault (if any) applied to the body. */
async function serveBody(req: IncomingMessage, res: ServerResponse, entry: ServedRequest, file: StoredFile, fault: Fault | undefined, headers: { etag: string }): Promise<void> {
  const size = file.data.length;
  let start = 0;
  let end = size - 1;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  res.setHeader('etag', headers.etag);
  res.setHeader('accept-ranges', 'bytes');
  if (range) {
    start = Number(range[1]);
    if (range[2]) end = Math.min(end, Number(range[2]));
    if (start >= size) {
      res.setHeader('content-range', `bytes */${size}`);
      return finish(res, entry, 416, '');
    }
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${start}-${end}/${size}`);
  } else {
    res.statusCode = 200;
  }
  entry.status = res.statusCode;
  let body = file.data.subarray(start, end + 1);
  if (fault?.extraBytes) body = Buffer.concat([body, Buffer.alloc(fault.extraBytes, 0x5a)]);
  else res.setHeader('content-length', String(end - start + 1));
  if (fault?.corrupt) {
    body = Buffer.from(body);
    for (let i = 0; i < body.length; i += 997) body[i] = (body[i] as number) ^ 0xff;
  }
  const stopAt = fault?.dropAtOffset !== undefined && fault.dropAtOffset > start && fault.dropAtOffset <= end ? fault.dropAtOffset - start : undefined;
  const chunkSize = fault?.chunkDelayMs ? 16 * 1024 : 256 * 1024;
  const limit = stopAt ?? body.length;
  for (let offset = 0; offset < limit; offset += chunkSize) {
    if (res.destroyed || req.socket.destroyed) return;
    const chunk = body.subarray(offset, Math.min(limit, offset + chunkSize));
    await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
    entry.bytes += chunk.length;
    if (fault?.chunkDelayMs) await sleep(fault.chunkDelayMs);
  }
  if (stopAt !== undefined) {
    // End the TCP connection cleanly mid-body: the client sees a short body, like a dropped link.
    req.socket.end();
    return;
  }
  res.end();
}

function finish(res: ServerResponse, entry: ServedRequest, status: number, text: string): void {
  entry.status = status;
  res.statusCode = status;
  res.end(text);
}

function apiError(res: ServerResponse, entry: ServedRequest, code: string, message: string): void {
  res.setHeader('x-error-code', code);
  res.setHeader('x-error-message', message);
  finish(res, entry, 404, JSON.stringify({ error: message }));
}

function json(res: ServerResponse, entry: ServedRequest, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.setHeader('content-type', 'application/json');
  entry.status = 200;
  entry.bytes = 0;
  res.end(body);
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<Server> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function origin(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface LoopbackProxy {
  url: string;
  /** Targets ("host:port") the proxy connected to, in order. */
  tunnels: string[];
  close(): Promise<void>;
}

/**
 * A minimal HTTP proxy (CONNECT tunnels and absolute-form requests) that records its targets.
 * `refuseWith` makes it answer every request and CONNECT with that status instead (407: it wants
 * credentials, 403: it refuses the destination), as a corporate proxy does.
 */
export async function startLoopbackProxy(options: { refuseWith?: number } = {}): Promise<LoopbackProxy> {
  const { connect } = await import('node:net');
  const { request } = await import('node:http');
  const tunnels: string[] = [];
  const open = new Set<{ destroy(): void }>();
  const refusal = options.refuseWith && `HTTP/1.1 ${options.refuseWith} Refused by the test proxy\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n`;
  const server = createServer((req, res) => {
    // Absolute-form request: forward it.
    const target = new URL(req.url ?? '');
    tunnels.push(target.host);
    if (options.refuseWith) {
      res.writeHead(options.refuseWith, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnels.push(target);
    if (refusal) {
      socket.end(refusal);
      return;
    }
    const [host, port] = target.split(':');
    open.add(socket);
    const upstream = connect(Number(port), host as string, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const drop = () => {
      upstream.destroy();
      socket.destroy();
    };
    open.add(upstream);
    upstream.on('error', drop);
    socket.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: origin(server),
    tunnels,
    close: async () => {
      for (const socket of open) socket.destroy();
      await closeServer(server);
    },
  };
}
