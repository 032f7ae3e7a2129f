/**
 * An image as the Ask panel's host holds it: checked bytes, an id the webview refers to it by, and
 * where it came from. No VS Code API here.
 */
import { createHash, randomUUID } from 'node:crypto';
import { checkImageBytes } from '../imageBytes';

export interface LoadedImage {
  /** Names this image in messages and in the webview's saved state. */
  id: string;
  name: string;
  /** A Uint8Array that owns its whole buffer (see ownBytes). */
  bytes: Uint8Array<ArrayBuffer>;
  mime: string;
  /** sha256 of the bytes, hex: the same picture keeps its conversation whatever its name or route. */
  hash: string;
  /** Shown to the user: a workspace-relative path, "Clipboard", "Pasted image". */
  origin: string;
  /** The file it was read from (a URI string), when it was one. */
  uri?: string;
}

/** Checks bytes claimed to be an image named `name`; throws with a message that says what is wrong. */
export function loadImageFromBytes(name: string, bytes: Uint8Array, origin: string, uri?: string): LoadedImage {
  const format = checkImageBytes(name, bytes);
  const hash = createHash('sha256').update(bytes).digest('hex');
  return { id: randomUUID(), name, bytes: ownBytes(bytes), mime: format.mime, hash, origin, uri };
}

/**
 * VS Code transfers a typed array's whole ArrayBuffer to the webview, and a Node Buffer (often a
 * slice of a shared pool) would even be serialised as JSON: hand it a plain array of its own.
 */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const owns = bytes.constructor === Uint8Array && bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return owns ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
