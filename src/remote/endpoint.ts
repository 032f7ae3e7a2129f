/**
 * A server that speaks OpenAI's chat-completions protocol (vLLM, SGLang, LM Studio, llama.cpp's
 * server, Ollama's /v1): where it is, which model to ask, and what the user allowed for it.
 * Images leave the machine only through one of these, and only as the rules here permit.
 */
import { z } from 'zod';

/** Requests in flight at once to one server unless its endpoint says otherwise. */
export const DEFAULT_REMOTE_CONCURRENCY = 4;

export const EndpointSchema = z.object({
  /** The user's name for it, shown in the status bar and the model picker. */
  name: z.string().min(1).max(80),
  /** Base URL up to and including the API version, e.g. http://127.0.0.1:11434/v1. */
  baseUrl: z.string().min(1),
  /** The model id the server knows (GET {baseUrl}/models lists them). */
  model: z.string().min(1).max(300),
  /** Extra request headers (a proxy's, an organisation id). Never the API key: that is a secret. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Plain http to a host other than this machine: refused unless the user allows it here. */
  allowHttp: z.boolean().default(false),
  /** Requests in flight at once (the alt-text batch and `loupe alt-text fix`); the server's batching decides what pays. */
  concurrency: z.number().int().min(1).max(64).default(DEFAULT_REMOTE_CONCURRENCY),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

/** Where an endpoint is, after its base URL was checked; whether it is this machine is the outbound gate's to say. */
export interface EndpointLocation {
  url: URL;
  /** host[:port], as messages and consent prompts name it. */
  host: string;
}

export class EndpointRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointRefused';
  }
}

/** The base URL parsed and checked: http(s) only, and no credentials in it (they would end up in logs). */
export function endpointLocation(endpoint: Pick<Endpoint, 'baseUrl'>): EndpointLocation {
  let url: URL;
  try {
    url = new URL(endpoint.baseUrl);
  } catch {
    throw new EndpointRefused(`"${endpoint.baseUrl}" is not a URL. Give the server's base URL, e.g. http://127.0.0.1:11434/v1.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EndpointRefused(`${url.protocol} URLs are not supported; give an http:// or https:// base URL.`);
  }
  if (url.username || url.password) {
    throw new EndpointRefused('Put the API key in Loupe\'s key store (or LOUPE_API_KEY), not in the URL.');
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return { url, host: url.host };
}

/** Plain http only to this machine (every address loopback) unless the user allowed it for this endpoint. */
export function plainHttpProblem(target: EndpointLocation & { loopback: boolean }, allowHttp: boolean): string | undefined {
  if (target.url.protocol !== 'http:' || target.loopback || allowHttp) return undefined;
  return `${target.host} would receive images over plain http, readable by anyone on the network. Use https, or allow http for this endpoint if the network is yours.`;
}

/** `{baseUrl}/{path}` keeping the base URL's own path (…/v1 + chat/completions). */
export function endpointUrl(target: EndpointLocation, path: string): string {
  return `${target.url.origin}${target.url.pathname}/${path}${target.url.search}`;
}

/** Endpoints from settings; entries that do not parse are returned as problems, not dropped silently. */
export function parseEndpoints(raw: readonly unknown[], setting = 'loupe.endpoints'): { endpoints: Endpoint[]; problems: string[] } {
  const endpoints: Endpoint[] = [];
  const problems: string[] = [];
  for (const [index, entry] of raw.entries()) {
    const parsed = EndpointSchema.safeParse(entry);
    if (parsed.success) endpoints.push(parsed.data);
    else problems.push(`${setting}[${index}]: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'entry'} ${issue.message}`).join('; ')}`);
  }
  return { endpoints, problems };
}
