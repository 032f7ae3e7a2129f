/**
 * Talks to a Hugging Face-compatible hub: lists a revision's files with their sizes and hashes,
 * builds `resolve` URLs, and opens downloads. Redirects are followed by hand so that every hop is
 * checked against an allow list (the hub and its storage hosts) and the token never leaves the
 * hub's own origin; a redirect anywhere else is refused with the host named.
 *
 * API shapes used (as the hub answers them):
 * - `GET /api/models/{repo}/revision/{rev}?blobs=true` → `{ sha, siblings: [{ rfilename, size,
 *   blobId, lfs?: { sha256, size } }] }` — `sha` is the commit the revision resolves to.
 * - `GET /api/models/{repo}/tree/{rev}?recursive=true` → `[{ type, path, size, oid, lfs?: { oid,
 *   size } }]`, paginated with a `Link: <…>; rel="next"` header; used when siblings lack sizes.
 * - `GET /{repo}/resolve/{rev}/{path}` → 200 for small git files (`ETag` = git blob id) or a 302 to
 *   a storage host (cdn-lfs*.hf.co, cas-bridge.xethub.hf.co) for LFS/Xet files, with
 *   `X-Linked-Etag` (the SHA-256), `X-Linked-Size` and `X-Repo-Commit`.
 */
import type { Readable } from 'node:stream';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { ModelError } from '../modelFolder/modelErrors';
import { pinnedDispatcher, resolveOutbound, type Resolver } from '../network/outboundGate';
import { redactSecrets } from '../protocol/secretRedaction';
import { safeText } from '../protocol/safeText';
import { proxyAuthenticationError, proxyInUse, unreachableError, type ReachContext } from './hubReach';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
const MAX_REDIRECTS = 5;

export interface HubFile {
  path: string;
  size: number;
  /** SHA-256 of the content, known for LFS/Xet files. */
  sha256?: string;
  /** Git blob id (SHA-1 over "blob <size>\0" + content), known for every file. */
  gitOid?: string;
}

export interface HubRevision {
  repo: string;
  requested: string;
  /** The commit the requested revision resolves to. */
  commit: string;
  files: Map<string, HubFile>;
}

export interface HubResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** Headers of the hub's own answer before any redirect (`x-linked-etag`, `x-linked-size`, `x-repo-commit`, `etag`). */
  hubHeaders: Record<string, string | undefined>;
  url: string;
}

export interface ProxySettings {
  /** Explicit proxy URL (VS Code's http.proxy, --proxy); otherwise HTTPS_PROXY / HTTP_PROXY apply. */
  proxy?: string;
  /** Hosts that bypass the proxy, comma-separated; otherwise NO_PROXY applies. */
  noProxy?: string;
}

export interface HubClientOptions extends ProxySettings {
  endpoint?: string;
  token?: string;
  /** Hosts downloads may be redirected to; defaults to {@link defaultAllowedHosts}. */
  allowedHosts?: string[];
  /** How the hub's name is resolved when the token would go over plain http (tests give their own). */
  resolver?: Resolver;
}

/**
 * The hub's own host plus Hugging Face's storage domains. Entries are hostnames, `*.domain`
 * wildcards, or `host:port` to pin a port (tests run several servers on 127.0.0.1).
 */
export function defaultAllowedHosts(endpoint: string): string[] {
  const host = new URL(endpoint).hostname;
  return [...new Set([host, 'huggingface.co', '*.huggingface.co', '*.hf.co'])];
}

export function isHostAllowed(url: URL, allowed: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase();
  return allowed.some((entry) => {
    const rule = entry.toLowerCase();
    if (rule.startsWith('*.')) return hostname.endsWith(rule.slice(1));
    if (/:\d+$/.test(rule)) return url.host.toLowerCase() === rule;
    return hostname === rule;
  });
}

/** A request whose headers or body stall this long fails (and a download resumes on retry). */
const STALL_TIMEOUT_MS = 60_000;

function createProxyDispatcher(settings: ProxySettings): Dispatcher {
  return new EnvHttpProxyAgent({
    httpProxy: settings.proxy || undefined,
    httpsProxy: settings.proxy || undefined,
    noProxy: settings.noProxy,
    headersTimeout: STALL_TIMEOUT_MS,
    bodyTimeout: STALL_TIMEOUT_MS,
  });
}

const SiblingSchema = z.object({
  rfilename: z.string(),
  size: z.number().int().nonnegative().optional(),
  blobId: z.string().optional(),
  lfs: z.object({ sha256: z.string(), size: z.number().int().nonnegative() }).partial().optional(),
});
const RevisionSchema = z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/), siblings: z.array(SiblingSchema) });
const TreeEntrySchema = z.object({
  type: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative().optional(),
  oid: z.string().optional(),
  lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative() }).partial().optional(),
});

export class HubClient {
  readonly endpoint: string;
  readonly allowedHosts: string[];
  private readonly origin: string;
  private readonly dispatcher: Dispatcher;
  /** For a token over plain http: only to this machine, on the addresses checked. */
  private plainHub?: Promise<Dispatcher>;

  constructor(private readonly options: HubClientOptions = {}) {
    this.endpoint = (options.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
    this.origin = new URL(this.endpoint).origin;
    this.allowedHosts = options.allowedHosts ?? defaultAllowedHosts(this.endpoint);
    this.dispatcher = createProxyDispatcher(options);
  }

  /** Closes pooled connections so a CLI process can exit. */
  async close(): Promise<void> {
    await this.dispatcher.close();
    await (await this.plainHub?.catch(() => undefined))?.close();
  }

  /**
   * The token travels over plain http only to a hub on this machine (every address loopback, as
   * the outbound gate decides); elsewhere anyone on the network could read it. Nothing is sent
   * to such a hub at all: the error comes before the first request.
   */
  private plainHubDispatcher(url: URL): Promise<Dispatcher> {
    this.plainHub ??= resolveOutbound(url, this.options.resolver).then((target) => {
      if (target.loopback) return pinnedDispatcher(target, { headersTimeout: STALL_TIMEOUT_MS, bodyTimeout: STALL_TIMEOUT_MS });
      throw new ModelError('HOST_NOT_ALLOWED', `${target.host} is a plain http hub on another machine: Loupe sends the Hugging Face token only over https. Use the hub's https URL, or remove the token.`);
    });
    return this.plainHub;
  }

  resolveUrl(repo: string, revision: string, path: string): string {
    return `${this.endpoint}/${repoPath(repo)}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** The revision's commit and every file with size and hash; one or two API calls. */
  async getRevision(repo: string, revision: string, signal?: AbortSignal): Promise<HubRevision> {
    const url = `${this.endpoint}/api/models/${repoPath(repo)}/revision/${encodeURIComponent(revision)}?blobs=true`;
    const info = RevisionSchema.safeParse(await this.getJson(url, `${repo}@${revision}`, signal));
    if (!info.success) throw new ModelError('HUB_HTTP', `The hub's answer for ${repo}@${revision} has an unexpected shape (${info.error.issues[0]?.message ?? 'invalid'}).`);
    const files = new Map<string, HubFile>();
    let complete = true;
    for (const sibling of info.data.siblings) {
      const size = sibling.lfs?.size ?? sibling.size;
      if (size === undefined) complete = false;
      files.set(sibling.rfilename, { path: sibling.rfilename, size: size ?? -1, sha256: sibling.lfs?.sha256, gitOid: sibling.blobId });
    }
    // Older hubs and some mirrors list names only; the tree API has sizes and hashes.
    if (!complete) for (const file of await this.listTree(repo, info.data.sha, signal)) files.set(file.path, file);
    return { repo, requested: revision, commit: info.data.sha, files };
  }

  async listTree(repo: string, commit: string, signal?: AbortSignal): Promise<HubFile[]> {
    const files: HubFile[] = [];
    let url: string | undefined = `${this.endpoint}/api/models/${repoPath(repo)}/tree/${encodeURIComponent(commit)}?recursive=true`;
    while (url) {
      const response = await this.open(url, { signal, label: `${repo}@${commit} (file list)` });
      const entries = z.array(TreeEntrySchema).safeParse(await readJson(response.body));
      if (!entries.success) throw new ModelError('HUB_HTTP', `The hub's file list for ${repo}@${commit} has an unexpected shape.`);
      for (const entry of entries.data) {
        if (entry.type !== 'file' || entry.size === undefined) continue;
        files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, sha256: entry.lfs?.oid, gitOid: entry.oid });
      }
      const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.link ?? '')?.[1];
      url = next ? this.sameHubPage(new URL(next, url), repo) : undefined;
    }
    return files;
  }

  /** The next page of a listing must come from the hub itself, or the token and trust would follow it anywhere. */
  private sameHubPage(next: URL, repo: string): string {
    const hub = new URL(this.endpoint);
    if (next.origin !== hub.origin) {
      throw new ModelError('HOST_NOT_ALLOWED', `Refused the next page of ${repo}'s file list: it points to ${next.host}, not the hub (${hub.host}).`);
    }
    return next.toString();
  }

  /**
   * GET with allowed redirects followed. Throws HUB_NOT_FOUND / HUB_UNAUTHORIZED / HUB_HTTP for
   * error statuses (206 and 416 are returned to the caller), HOST_NOT_ALLOWED, NETWORK, CANCELLED.
   */
  async open(url: string, options: { range?: string; signal?: AbortSignal; label: string }): Promise<HubResponse> {
    let current = new URL(url);
    let hubHeaders: Record<string, string | undefined> | undefined;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'loupe-model-store' };
      // The token is for the hub; storage hosts get pre-signed URLs and must not see it.
      const withToken = this.options.token !== undefined && current.origin === this.origin;
      if (withToken) headers.authorization = `Bearer ${this.options.token}`;
      if (options.range) headers.range = options.range;
      const plainHub = withToken && current.protocol === 'http:';
      const dispatcher = plainHub ? await this.plainHubDispatcher(current) : this.dispatcher;
      const reach: ReachContext = { url: current, hubOrigin: this.origin, proxy: plainHub ? undefined : proxyInUse(current, this.options), secrets: [this.options.token] };
      let response: Dispatcher.ResponseData;
      try {
        response = await request(current, { method: 'GET', headers, dispatcher, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) throw new ModelError('CANCELLED', `Download of ${options.label} was cancelled.`, { cause: error });
        throw unreachableError(error, reach);
      }
      const flat = flattenHeaders(response.headers);
      hubHeaders ??= flat;
      const status = response.statusCode;
      if (status >= 300 && status < 400 && flat.location) {
        await response.body.dump();
        if (hop >= MAX_REDIRECTS) throw new ModelError('HUB_HTTP', `Too many redirects while fetching ${options.label} (last: ${current.host}).`);
        const next = new URL(flat.location, current);
        if (!isHostAllowed(next, this.allowedHosts)) {
          throw new ModelError(
            'HOST_NOT_ALLOWED',
            `Refused to follow a redirect for ${options.label} from ${current.host} to ${next.host}: that host is not on the download allow list (${this.allowedHosts.join(', ')}).`,
          );
        }
        if (current.protocol === 'https:' && next.protocol !== 'https:') {
          throw new ModelError('HOST_NOT_ALLOWED', `Refused to follow a redirect for ${options.label} from HTTPS to ${next.protocol.replace(':', '')} (${next.host}).`);
        }
        current = next;
        continue;
      }
      if (status === 407) {
        await response.body.dump();
        throw proxyAuthenticationError(reach);
      }
      if (status >= 400 && status !== 416) {
        // The hub's words are shown to the user: no token in them, nothing a terminal would act on.
        const body = await response.body.text().catch(() => '');
        const said = flat['x-error-message'] ?? body;
        const detail = safeText(redactSecrets(said, [this.options.token])).slice(0, 200);
        throw httpError(status, flat['x-error-code'], detail, options.label, current);
      }
      return { status, headers: flat, body: response.body, hubHeaders, url: current.toString() };
    }
  }

  private async getJson(url: string, label: string, signal?: AbortSignal): Promise<unknown> {
    const response = await this.open(url, { signal, label });
    return readJson(response.body);
  }
}

function repoPath(repo: string): string {
  return repo.split('/').map(encodeURIComponent).join('/');
}

async function readJson(body: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ModelError('HUB_HTTP', 'The hub answered with something that is not JSON; is the endpoint a Hugging Face hub?');
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function httpError(status: number, hubCode: string | undefined, detail: string, label: string, url: URL): ModelError {
  const said = detail.trim() ? ` The hub said: ${detail.trim()}` : '';
  if (status === 401 || status === 403 || hubCode === 'GatedRepo') {
    return new ModelError(
      'HUB_UNAUTHORIZED',
      `${url.host} refused access to ${label} (HTTP ${status}). If the model is gated or private, accept its terms on the model page and set a Hugging Face token (Loupe: Set Hugging Face Token, or --token / HF_TOKEN in the CLI).${said}`,
      { status },
    );
  }
  if (status === 404) {
    const what = hubCode === 'RevisionNotFound' ? 'revision' : hubCode === 'RepoNotFound' ? 'repository' : 'file';
    return new ModelError('HUB_NOT_FOUND', `${label} was not found on ${url.host} (HTTP 404, ${what} not found).${said}`, { status });
  }
  return new ModelError('HUB_HTTP', `${url.host} answered HTTP ${status} for ${label}.${said}`, { status });
}
