/**
 * The gate every request to a model server passes, and a hub request that would carry the
 * Hugging Face token over plain http (hub https requests go to the hub's allow-listed hosts,
 * src/store/hubClient.ts). A host counts as this
 * machine only when every address its name resolves to is a loopback address (a `*.localhost`
 * name, or any other, that resolves elsewhere is not); the name is resolved once, and the
 * connection goes to the address resolved, so a second DNS answer cannot send it elsewhere.
 * Callers decide consent and the plain-http rule from `loopback`, and send nothing before.
 */
import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** 127.0.0.0/8, ::1 and ::ffff:127.x: addresses that never leave the machine. */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(plain) === 4) return plain.startsWith('127.');
  // ::ffff:127.0.0.1 is also written ::ffff:7f00:1 (the URL parser does).
  if (isIP(plain) === 6) return plain === '::1' || plain === '0:0:0:0:0:0:0:1' || /^::ffff:(?:127\.|7f[0-9a-f]{2}:)/.test(plain);
  return false;
}

export interface OutboundTarget {
  url: URL;
  /** host[:port], as messages and consent prompts name it. */
  host: string;
  /** Every address the host resolved to is this machine's. */
  loopback: boolean;
  addresses: LookupAddress[];
}

export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

/** Resolves the URL's host once; an IP address is its own answer. A name that resolves to nothing is refused. */
export async function resolveOutbound(url: URL, resolver: Resolver = systemResolver): Promise<OutboundTarget> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(hostname);
  let addresses: LookupAddress[];
  if (family !== 0) {
    addresses = [{ address: hostname, family }];
  } else {
    try {
      addresses = await resolver(hostname);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      throw new OutboundRefused(`The host ${url.host} was not found (${code || 'no answer'}). Check the URL and the network.`);
    }
  }
  if (addresses.length === 0) throw new OutboundRefused(`The host ${url.host} resolves to no address. Check the URL and the network.`);
  return { url, host: url.host, loopback: addresses.every((entry) => isLoopbackAddress(entry.address)), addresses };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Connects to the addresses resolved, never looking the name up again; TLS still checks the
 * certificate against the name. Loopback never goes through a proxy; other hosts honour
 * HTTPS_PROXY / NO_PROXY (a proxy resolves the name itself).
 */
export function pinnedDispatcher(target: OutboundTarget, options: { headersTimeout?: number; bodyTimeout?: number } = {}): Dispatcher {
  const [first] = target.addresses;
  const pinned = (_hostname: string, lookupOptions: { all?: boolean }, callback: LookupCallback) => {
    if (lookupOptions.all) callback(null, target.addresses);
    else callback(null, first!.address, first!.family);
  };
  const connect = { lookup: pinned as never };
  return target.loopback ? new Agent({ ...options, connect }) : new EnvHttpProxyAgent({ ...options, connect });
}
