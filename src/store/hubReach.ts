/**
 * A hub or download request that never got an answer, as a NETWORK ModelError a user can act on:
 * the message names the place (the Hugging Face hub, a mirror, a download server, the proxy) and
 * says what probably happened in plain words; the request, the error codes and the proxy go in
 * `details`. The failure itself is sorted by src/network/networkFailure.ts.
 */
import { ModelError } from '../modelFolder/modelErrors';
import { classifyNetworkFailure, type NetworkFailure } from '../network/networkFailure';
import { redactSecrets } from '../protocol/secretRedaction';
import { safeText } from '../protocol/safeText';
import type { ProxySettings } from './hubClient';

const HUGGING_FACE_HOST = 'huggingface.co';

export interface ReachContext {
  /** The request that failed (for a redirect, the hop that failed). */
  url: URL;
  /** The hub's origin: a failure there concerns "the hub", elsewhere a download server it sent us to. */
  hubOrigin: string;
  /** The proxy the request went through, if any (explicit, or from HTTPS_PROXY / HTTP_PROXY). */
  proxy?: string;
  /** Values that must not appear anywhere (the hub token). */
  secrets: readonly (string | undefined)[];
}

/** A failed connection: where, what probably happened, and the technical account behind it. */
export function unreachableError(error: unknown, context: ReachContext): ModelError {
  const failure = classifyNetworkFailure(error);
  return new ModelError('NETWORK', reachMessage(failure, context), { cause: error, details: reachDetails(failure.technical, context) });
}

/** A proxy that answered an http request itself with 407 (no tunnel): the same words as a refused tunnel. */
export function proxyAuthenticationError(context: ReachContext): ModelError {
  const failure: NetworkFailure = { kind: 'proxy-auth', proxyStatus: 407, technical: 'HTTP 407 Proxy Authentication Required', transient: false };
  return new ModelError('NETWORK', reachMessage(failure, context), { status: 407, details: reachDetails(failure.technical, context) });
}

/** The place a request went, as a user knows it: "the Hugging Face hub (huggingface.co)". */
export function placeName(url: URL, hubOrigin: string): string {
  if (url.origin !== hubOrigin) return `the download server (${url.host})`;
  return url.hostname === HUGGING_FACE_HOST ? `the Hugging Face hub (${url.host})` : `the model hub (${url.host})`;
}

/**
 * The proxy a request to `url` goes through, as the dispatcher picks it: the explicit one, else
 * HTTPS_PROXY / HTTP_PROXY by protocol, unless NO_PROXY (or the noProxy setting) exempts the host.
 * Only for messages: the dispatcher decides for itself.
 */
export function proxyInUse(url: URL, settings: ProxySettings): string | undefined {
  const env = process.env;
  // undici's order: lower case first, and https falls back to the http proxy.
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY;
  const proxy = settings.proxy || (url.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY ?? httpProxy) : httpProxy);
  if (!proxy) return undefined;
  const exempt = (settings.noProxy ?? env.no_proxy ?? env.NO_PROXY ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      const rule = entry.toLowerCase().replace(/^\*?\./, '').replace(/:\d+$/, '');
      return entry === '*' || url.hostname === rule || url.hostname.endsWith(`.${rule}`);
    });
  return exempt ? undefined : proxy;
}

function reachMessage(failure: NetworkFailure, context: ReachContext): string {
  const place = placeName(context.url, context.hubOrigin);
  const Place = place.charAt(0).toUpperCase() + place.slice(1);
  const proxy = proxyUrl(context.proxy);
  if (proxy && failure.target && (failure.target === proxy.host || failure.target === proxy.hostname) && failure.kind !== 'tls') {
    return `Could not reach the proxy (${proxy.host}) on the way to ${place}. Check the proxy settings (VS Code's http.proxy, or HTTPS_PROXY).`;
  }
  const customHub = context.url.origin === context.hubOrigin && context.url.hostname !== HUGGING_FACE_HOST;
  switch (failure.kind) {
    case 'dns':
      return customHub
        ? `Could not find ${place}: this machine seems to be offline or a proxy is needed, or the hub's address is wrong.`
        : `Could not reach ${place}: this machine seems to be offline, or a proxy is needed.`;
    case 'unreachable':
      return `Could not reach ${place}: this machine seems to be offline, or a proxy is needed.`;
    case 'refused':
      return `Could not reach ${place}: the connection was refused. This machine may be offline, or a proxy or firewall is in the way.`;
    case 'timeout':
      return `${Place} did not answer in time: the network may be slow or offline, or a proxy is needed.`;
    case 'tls':
      return `Could not make a secure connection to ${place}: its certificate was not accepted. A proxy or firewall that inspects HTTPS may be in the way.`;
    case 'proxy-auth':
      return `The proxy asks for a user name and password before Loupe can reach ${place}. Put them in the proxy settings (VS Code's http.proxy, or HTTPS_PROXY, as http://user:password@host:port).`;
    case 'proxy-refused':
      return `The proxy refused the connection to ${place} (it answered ${failure.proxyStatus}). Check the proxy settings (VS Code's http.proxy, or HTTPS_PROXY).`;
    case 'reset':
      return `The connection to ${place} was cut off. Try again; if it keeps happening, a proxy or firewall may be in the way.`;
    case 'other':
      return `Could not reach ${place}. Check the network and the proxy settings.`;
  }
}

function reachDetails(technical: string, context: ReachContext): string {
  const lines = [`Request: GET ${context.url.toString()}`, `Error: ${technical || 'no error code'}`, `Proxy: ${context.proxy || 'none'}`];
  return safeText(redactSecrets(lines.join('\n'), context.secrets));
}

function proxyUrl(proxy: string | undefined): URL | undefined {
  try {
    return proxy ? new URL(proxy) : undefined;
  } catch {
    return undefined;
  }
}
