/**
 * A model server as Loupe talks to it: every request goes through here. The host is resolved once
 * (src/network/outboundGate.ts), plain http to a host that is not this machine is refused unless
 * allowed, and the user's consent is asked for such a host before anything is sent, not even a
 * model list. The connection then goes to the addresses resolved.
 */
import { OutboundRefused, resolveOutbound, type OutboundTarget, type Resolver } from '../network/outboundGate';
import { endpointLocation, EndpointRefused, plainHttpProblem, type Endpoint, type EndpointLocation } from './endpoint';
import { listModels, routeTo, streamChat, type ChatRequest, type ChatResult, type ServerRoute } from './openAiChat';
import { RemoteError } from './remoteErrors';

/** Asked once per endpoint before the first request to a host other than this machine. */
export type ConsentPrompt = (target: OutboundTarget, endpoint: Endpoint) => Promise<boolean>;

export class ConsentRefused extends Error {
  constructor(host: string) {
    super(`Nothing was sent: sending images to ${host} was not allowed.`);
    this.name = 'ConsentRefused';
  }
}

export interface ServerConnectionOptions {
  endpoint: Endpoint;
  apiKey?: string;
  consent: ConsentPrompt;
  /** How names are resolved (tests give their own). */
  resolver?: Resolver;
}

export class ServerConnection {
  readonly location: EndpointLocation;
  private ready?: Promise<ServerRoute>;

  constructor(private readonly options: ServerConnectionOptions) {
    this.location = endpointLocation(options.endpoint);
  }

  get endpoint(): Endpoint {
    return this.options.endpoint;
  }

  /** The route every request takes, opened once; a refusal (or a failed lookup) is tried again next time. */
  route(): Promise<ServerRoute> {
    this.ready ??= this.open().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** The same server with another key, on the route already opened: the name is not resolved again. */
  withKey(apiKey: string | undefined): ServerConnection {
    const next = new ServerConnection({ ...this.options, apiKey });
    next.ready = this.route();
    return next;
  }

  async listModels(signal?: AbortSignal): Promise<string[]> {
    return listModels(await this.keyedRoute(), this.options.endpoint, this.options.apiKey, signal);
  }

  async chat(request: Omit<ChatRequest, 'route' | 'endpoint' | 'apiKey'>): Promise<ChatResult> {
    return streamChat({ ...request, route: await this.keyedRoute(), endpoint: this.options.endpoint, apiKey: this.options.apiKey });
  }

  /** Closes the pooled connections (a short-lived listing, a CLI run); a later request opens new ones. */
  async close(): Promise<void> {
    const ready = this.ready;
    this.ready = undefined;
    await (await ready?.catch(() => undefined))?.close();
  }

  /** The route, refused when it would carry the key over plain http to another machine. */
  private async keyedRoute(): Promise<ServerRoute> {
    const route = await this.route();
    const { target } = route;
    // Allowing images over plain http is not allowing the key: anyone on the path could reuse it.
    if (this.options.apiKey && target.url.protocol === 'http:' && !target.loopback) {
      throw new EndpointRefused(`The API key would cross the network to ${target.host} over plain http, readable by anyone on the way. Use https for this server, or one that needs no key.`);
    }
    return route;
  }

  private async open(): Promise<ServerRoute> {
    let target: OutboundTarget;
    try {
      target = await resolveOutbound(this.location.url, this.options.resolver);
    } catch (error) {
      if (error instanceof OutboundRefused) throw new RemoteError('unreachable', error.message);
      throw error;
    }
    const problem = plainHttpProblem(target, this.options.endpoint.allowHttp);
    if (problem) throw new EndpointRefused(problem);
    if (!target.loopback && !(await this.options.consent(target, this.options.endpoint))) throw new ConsentRefused(target.host);
    return routeTo(target);
  }
}
