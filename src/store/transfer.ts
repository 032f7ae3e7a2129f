/**
 * Fetches one file into `<name>.part`, resuming with an HTTP Range request from whatever the part
 * file already holds (after a dropped connection, a cancel, or a restart of the whole program).
 * Transient network failures are retried a few times, each retry resuming where the last stopped.
 */
import { open, stat, truncate } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelError, isModelError } from '../modelFolder/modelErrors';
import { classifyNetworkFailure } from '../network/networkFailure';
import type { HubClient, HubResponse } from './hubClient';
import { formatBytes } from '../protocol/byteSizes';

export interface TransferRequest {
  url: string;
  partPath: string;
  size: number;
  /** Repository path, for messages. */
  label: string;
  /** SHA-256 the caller expects; compared with the hub's X-Linked-Etag before any byte is read. */
  sha256?: string;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** Extra attempts after a transient failure (default 3). */
  retries?: number;
  retryDelayMs?: number;
  /** Called with the bytes the part file holds and the bytes just received. */
  onBytes(partBytes: number, receivedDelta: number): void;
}

export interface TransferResult {
  /** Bytes that came over the network in this call. */
  received: number;
}

export async function transferToPart(hub: HubClient, request: TransferRequest, options: TransferOptions): Promise<TransferResult> {
  const retries = options.retries ?? 3;
  let failures = 0;
  let received = 0;
  for (;;) {
    let have = await partSize(request.partPath);
    if (have > request.size) {
      await truncate(request.partPath, 0);
      have = 0;
    }
    options.onBytes(have, 0);
    if (have === request.size) {
      // An empty file has nothing to fetch, but its part file must exist to be verified and moved.
      if (request.size === 0) await (await open(request.partPath, 'a')).close();
      return { received };
    }
    try {
      const response = await hub.open(request.url, { range: have > 0 ? `bytes=${have}-` : undefined, signal: options.signal, label: request.label });
      checkLinkedHash(response, request);
      const start = await startOffset(response, have, request);
      if (start === undefined) continue;
      if (start === 0 && have > 0) options.onBytes(0, 0);
      // Each chunk is written before the next is read, so after any failure the part file holds
      // exactly the bytes received and the next attempt resumes from its size.
      const handle = await open(request.partPath, start === 0 ? 'w' : 'a');
      try {
        let position = start;
        for await (const chunk of response.body) {
          // Never past the listed size: a server sending more would otherwise fill the disk.
          const piece = (chunk as Buffer).subarray(0, request.size - position);
          await handle.write(piece);
          position += piece.length;
          received += piece.length;
          options.onBytes(position, piece.length);
          if (piece.length < (chunk as Buffer).length) {
            response.body.destroy();
            throw new ModelError(
              'CHECKSUM_MISMATCH',
              `The server sent more than the ${formatBytes(request.size)} listed for ${request.label}; the download was stopped. ` +
                'The hub or a proxy in between is serving a different file: try again later or from another network.',
            );
          }
        }
      } finally {
        await handle.close();
      }
      const now = await partSize(request.partPath);
      if (now < request.size) throw Object.assign(new Error(`connection closed after ${formatBytes(now)} of ${formatBytes(request.size)}`), { code: 'ERR_PREMATURE_END' });
    } catch (error) {
      if (options.signal?.aborted) {
        throw new ModelError('CANCELLED', `Download of ${request.label} was cancelled; ${formatBytes(await partSize(request.partPath))} kept to resume later.`, { cause: error });
      }
      if (!isTransient(error) || failures >= retries) throw interrupted(error, request, await partSize(request.partPath));
      failures++;
      await sleep((options.retryDelayMs ?? 1_000) * failures, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

/** Where the body starts in the file: `have` for a matching 206, 0 for a full 200, undefined to ask again. */
async function startOffset(response: HubResponse, have: number, request: TransferRequest): Promise<number | undefined> {
  if (response.status === 200) return 0;
  if (response.status === 206) {
    const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
    if (match && Number(match[1]) === have) return have;
    await response.body.dump();
    await truncate(request.partPath, 0);
    return undefined;
  }
  if (response.status === 416) {
    // The server has nothing past what we hold: the part file is wrong, start over.
    await response.body.dump();
    await truncate(request.partPath, 0);
    return undefined;
  }
  await response.body.dump();
  throw new ModelError('HUB_HTTP', `Unexpected HTTP ${response.status} while downloading ${request.label}.`);
}

function checkLinkedHash(response: HubResponse, request: TransferRequest): void {
  const linked = response.hubHeaders['x-linked-etag']?.replace(/^W\//, '').replace(/"/g, '');
  if (request.sha256 && linked && /^[0-9a-f]{64}$/.test(linked) && linked !== request.sha256) {
    response.body.destroy();
    throw new ModelError(
      'CHECKSUM_MISMATCH',
      `The hub announces SHA-256 ${linked} for ${request.label}, but ${request.sha256} is expected; nothing was downloaded.`,
    );
  }
}

async function partSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function isTransient(error: unknown): boolean {
  if (isModelError(error)) return error.code === 'NETWORK' || (error.code === 'HUB_HTTP' && (error.status === 429 || (error.status ?? 0) >= 500));
  return classifyNetworkFailure(error).transient;
}

function interrupted(error: unknown, request: TransferRequest, kept: number): unknown {
  if (isModelError(error) && error.code !== 'NETWORK') return error;
  const details = isModelError(error) ? error.details : `Request: GET ${request.url}\nError: ${classifyNetworkFailure(error).technical || 'no error code'}`;
  return new ModelError(
    'NETWORK',
    `Download of ${request.label} was interrupted. ${interruptionReason(error)} ${formatBytes(kept)} of ${formatBytes(request.size)} are kept; run the download again to resume.`,
    { cause: error, details },
  );
}

/**
 * Why a transfer stopped, in words: the hub client's NETWORK errors already say where and why; a
 * body that broke off mid-file is said here; anything else (a full disk while writing) keeps its own.
 */
function interruptionReason(error: unknown): string {
  if (isModelError(error)) return error.message;
  const { kind } = classifyNetworkFailure(error);
  if (kind === 'timeout') return 'The server stopped sending.';
  if (kind === 'other') return `${(error as Error).message}.`;
  return 'The connection was cut off.';
}
