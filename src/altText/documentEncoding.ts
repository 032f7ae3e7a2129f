/**
 * A document's bytes as text and back. Loupe reads what it can write back byte for byte: UTF-8
 * (with or without a byte order mark) and UTF-16 with one, keeping the encoding and the mark.
 * Anything else is refused rather than guessed: Latin-1 or Windows-1252 read as UTF-8 and written
 * back would turn every accented letter into U+FFFD, and UTF-16 without a mark read as UTF-8 is
 * text interleaved with NULs in which no image is ever found.
 */
import { DocumentEncodingError } from './documentErrors';

export type DocumentEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DecodedDocument {
  /** Without the byte order mark: editors do not count it in columns. */
  text: string;
  encoding: DocumentEncoding;
  bom: boolean;
}

const BOMS: ReadonlyArray<{ encoding: DocumentEncoding; bytes: readonly number[] }> = [
  { encoding: 'utf-8', bytes: [0xef, 0xbb, 0xbf] },
  { encoding: 'utf-16le', bytes: [0xff, 0xfe] },
  { encoding: 'utf-16be', bytes: [0xfe, 0xff] },
];

const CONVERT = 'convert it to UTF-8 (e.g. `iconv -f LATIN1 -t UTF-8`) and run Loupe again';

export function decodeDocument(bytes: Uint8Array, file: string): DecodedDocument {
  const marked = BOMS.find(({ bytes: bom }) => bom.every((byte, i) => bytes[i] === byte));
  if (marked) {
    const body = bytes.subarray(marked.bytes.length);
    try {
      return { text: new TextDecoder(marked.encoding, { fatal: true, ignoreBOM: true }).decode(body), encoding: marked.encoding, bom: true };
    } catch {
      throw new DocumentEncodingError(file, 1, 1, `not valid ${marked.encoding.toUpperCase()} after its byte order mark; re-save it as UTF-8 and run Loupe again`);
    }
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const { line, column } = bytePosition(bytes, nul);
    throw new DocumentEncodingError(file, line, column, `contains NUL bytes: UTF-16 without a byte order mark, or not a text file; save it as UTF-8`);
  }
  const invalid = firstInvalidUtf8Byte(bytes);
  if (invalid >= 0) {
    const { line, column } = bytePosition(bytes, invalid);
    const byte = bytes[invalid].toString(16).toUpperCase().padStart(2, '0');
    throw new DocumentEncodingError(file, line, column, `byte 0x${byte} is not UTF-8 (Latin-1 or Windows-1252?); Loupe reads UTF-8 and UTF-16 only, so ${CONVERT}`);
  }
  return { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), encoding: 'utf-8', bom: false };
}

/** The bytes of `text` in the document's encoding; with the text it was read as, the same bytes. */
export function encodeDocument(text: string, like: Pick<DecodedDocument, 'encoding' | 'bom'>): Uint8Array {
  const bom = like.bom ? BOMS.find((entry) => entry.encoding === like.encoding)!.bytes : [];
  let body: Buffer;
  if (like.encoding === 'utf-8') body = Buffer.from(text, 'utf8');
  else {
    body = Buffer.from(text, 'utf16le');
    if (like.encoding === 'utf-16be') body.swap16();
  }
  return Buffer.concat([Uint8Array.from(bom), body]);
}

/**
 * Index of the first byte that is not part of valid UTF-8, or -1. A lossy decode re-encodes
 * every valid sequence to the same bytes, so the first difference is the first invalid byte.
 */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  const roundTrip = Buffer.from(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), 'utf8');
  const length = Math.min(bytes.length, roundTrip.length);
  for (let i = 0; i < length; i++) if (bytes[i] !== roundTrip[i]) return i;
  return roundTrip.length === bytes.length ? -1 : length;
}

/** 1-based line and byte column of a byte, for `path:line:col` messages. */
function bytePosition(bytes: Uint8Array, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(10); i >= 0 && i < index; i = bytes.indexOf(10, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}
