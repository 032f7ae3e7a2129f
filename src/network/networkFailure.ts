/**
 * What a failed connection means, decided in one place for the hub, downloads and model servers:
 * Node's and undici's error codes, looked for along the error's cause chain, sorted into the few
 * cases a user can act on. The codes and messages themselves are for a details view, never for
 * the sentence a user reads first.
 */

export const NETWORK_FAILURE_KINDS = ['dns', 'refused', 'unreachable', 'timeout', 'tls', 'proxy-auth', 'proxy-refused', 'reset', 'other'] as const;
export type NetworkFailureKind = (typeof NETWORK_FAILURE_KINDS)[number];

export interface NetworkFailure {
  kind: NetworkFailureKind;
  /** The first error code found along the chain ("ENOTFOUND", "UND_ERR_CONNECT_TIMEOUT"). */
  code?: string;
  /** The host name or address:port the failed connection went to, as the error names it. */
  target?: string;
  /** The proxy's HTTP status, for proxy-auth (407) and proxy-refused. */
  proxyStatus?: number;
  /** Each error of the chain as "CODE: message", for a details view. */
  technical: string;
  /** Worth trying again by itself: a dropped, refused or timed-out connection, a DNS answer that may come. */
  transient: boolean;
}

const KIND_BY_CODE: Record<string, NetworkFailureKind> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  ECONNREFUSED: 'refused',
  ENETUNREACH: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETDOWN: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ERR_STREAM_PREMATURE_CLOSE: 'reset',
  ERR_PREMATURE_END: 'reset',
};

/** OpenSSL's and Node's certificate and handshake codes (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_…). */
const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|EPROTO$)|CERT|SELF_SIGNED|UNABLE_TO_(?:GET|VERIFY)/;
/** undici's words when a proxy answers a CONNECT with anything but 200. */
const PROXY_ANSWER = /Proxy response \((\d{3})\)/;
const CHAIN_DEPTH = 5;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
  cause?: unknown;
}

export function classifyNetworkFailure(error: unknown): NetworkFailure {
  const chain = causeChain(error);
  const technical = chain.map(describe).filter(Boolean).join(' <- ');
  const proxyAnswer = chain.map((e) => PROXY_ANSWER.exec(String(e.message ?? ''))).find(Boolean);
  if (proxyAnswer) {
    const status = Number(proxyAnswer[1]);
    return { kind: status === 407 ? 'proxy-auth' : 'proxy-refused', code: firstCode(chain), proxyStatus: status, technical, transient: false };
  }
  const code = firstCode(chain);
  const target = chain.map(targetOf).find(Boolean);
  const kind = chain.map(kindOf).find((k) => k !== undefined) ?? (chain.some((e) => e.message === 'terminated') ? 'reset' : 'other');
  const transient = kind === 'reset' || kind === 'timeout' || kind === 'refused' || kind === 'unreachable' || code === 'EAI_AGAIN';
  return { kind, code, target, technical, transient };
}

function causeChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < CHAIN_DEPTH && !chain.includes(current as ErrorLike)) {
    chain.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  return chain;
}

function codeOf(error: ErrorLike): string | undefined {
  return typeof error.code === 'string' && error.code ? error.code : undefined;
}

function firstCode(chain: ErrorLike[]): string | undefined {
  return chain.map(codeOf).find(Boolean);
}

function kindOf(error: ErrorLike): NetworkFailureKind | undefined {
  const code = codeOf(error);
  if (!code) return undefined;
  if (Object.hasOwn(KIND_BY_CODE, code)) return KIND_BY_CODE[code];
  return TLS_CODE.test(code) ? 'tls' : undefined;
}

/** A DNS error names the host it looked up; a refused connection the address and port. */
function targetOf(error: ErrorLike): string | undefined {
  if (typeof error.hostname === 'string' && error.hostname) return error.hostname;
  if (typeof error.address === 'string' && error.address) return typeof error.port === 'number' ? `${error.address}:${error.port}` : error.address;
  return undefined;
}

function describe(error: ErrorLike): string {
  const message = typeof error.message === 'string' ? error.message.trim() : '';
  const code = codeOf(error);
  if (!code) return message;
  return message.includes(code) ? message : `${code}: ${message}`;
}
