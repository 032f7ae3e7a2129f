/**
 * The one table of image formats Loupe knows: file extensions, MIME type, signature, whether the
 * engine decodes it and whether the Ask panel takes it. Everything that accepts, offers or refuses
 * an image reads it from here: the host's byte sniffing and file picker, the webview's intake, the
 * engine's decoder messages and the `package.json` menus (test/unit/protocol/imageFormats.test.ts checks
 * the manifest and each of those seams against this table, with real sharp).
 *
 * One size limit, owned here: MAX_IMAGE_BYTES. The engine's default limit
 * (DEFAULT_IMAGE_LIMITS.maxBytes), the host's and the webview's checks before reading a file and
 * the byte cap in panel messages are all this value.
 *
 * Bundled into the webview and the engine too, so it imports nothing from Node or VS Code.
 */
import { formatBytes } from './byteSizes';

/** Largest image file Loupe reads anywhere (panel, CLI, alt text), in bytes. */
export const MAX_IMAGE_BYTES = 50_000_000;

export interface ImageFormat {
  id: string;
  /** For messages: "PNG". */
  name: string;
  /** In a sentence: "a PNG image". */
  described: string;
  /** Lower case, without the dot; the first is the usual one. */
  extensions: readonly string[];
  mime: string;
  /**
   * Byte patterns that identify it: any one list matches when all of its [offset, latin1 text]
   * parts do. SVG, which is text, is recognised by its root element instead (`svg: true`).
   */
  signatures: ReadonlyArray<ReadonlyArray<readonly [number, string]>>;
  svg?: true;
  /**
   * Our sharp build decodes it. Its prebuilt libvips has loaders for JPEG, PNG, WebP, GIF, TIFF,
   * AVIF (libheif with AV1 only, so not HEIC) and SVG; no BMP, ICO, PSD or PDF.
   */
  decodable: boolean;
  /**
   * The Ask panel takes it: decodable, and shown by the webview (Chromium), which previews it.
   * TIFF is decodable but Chromium cannot show it, so only the CLI and alt text read TIFF.
   */
  panel: boolean;
}

export const IMAGE_FORMATS: readonly ImageFormat[] = [
  {
    id: 'png',
    name: 'PNG',
    described: 'a PNG image',
    extensions: ['png'],
    mime: 'image/png',
    signatures: [[[0, '\x89PNG\r\n\x1a\n']]],
    decodable: true,
    panel: true,
  },
  {
    id: 'jpeg',
    name: 'JPEG',
    described: 'a JPEG image',
    extensions: ['jpg', 'jpeg', 'jpe', 'jfif'],
    mime: 'image/jpeg',
    signatures: [[[0, '\xff\xd8\xff']]],
    decodable: true,
    panel: true,
  },
  {
    id: 'gif',
    name: 'GIF',
    described: 'a GIF image',
    extensions: ['gif'],
    mime: 'image/gif',
    signatures: [[[0, 'GIF87a']], [[0, 'GIF89a']]],
    decodable: true,
    panel: true,
  },
  {
    id: 'webp',
    name: 'WebP',
    described: 'a WebP image',
    extensions: ['webp'],
    mime: 'image/webp',
    signatures: [[[0, 'RIFF'], [8, 'WEBP']]],
    decodable: true,
    panel: true,
  },
  {
    id: 'avif',
    name: 'AVIF',
    described: 'an AVIF image',
    extensions: ['avif'],
    mime: 'image/avif',
    signatures: [[[4, 'ftypavif']], [[4, 'ftypavis']]],
    decodable: true,
    panel: true,
  },
  {
    id: 'svg',
    name: 'SVG',
    described: 'an SVG image',
    extensions: ['svg'],
    mime: 'image/svg+xml',
    signatures: [],
    svg: true,
    decodable: true,
    panel: true,
  },
  {
    id: 'tiff',
    name: 'TIFF',
    described: 'a TIFF image',
    extensions: ['tif', 'tiff'],
    mime: 'image/tiff',
    signatures: [[[0, 'II*\x00']], [[0, 'MM\x00*']]],
    decodable: true,
    panel: false,
  },
  {
    id: 'bmp',
    name: 'BMP',
    described: 'a BMP image',
    extensions: ['bmp', 'dib'],
    mime: 'image/bmp',
    signatures: [[[0, 'BM']]],
    decodable: false,
    panel: false,
  },
  {
    id: 'heic',
    name: 'HEIC',
    described: 'a HEIC image',
    extensions: ['heic', 'heif'],
    mime: 'image/heic',
    signatures: [[[4, 'ftypheic']], [[4, 'ftypheix']], [[4, 'ftyphevc']], [[4, 'ftyphevx']]],
    decodable: false,
    panel: false,
  },
  {
    id: 'ico',
    name: 'ICO',
    described: 'an ICO icon',
    extensions: ['ico'],
    mime: 'image/x-icon',
    signatures: [[[0, '\x00\x00\x01\x00']]],
    decodable: false,
    panel: false,
  },
  {
    id: 'psd',
    name: 'PSD',
    described: 'a Photoshop document',
    extensions: ['psd'],
    mime: 'image/vnd.adobe.photoshop',
    signatures: [[[0, '8BPS']]],
    decodable: false,
    panel: false,
  },
  {
    id: 'pdf',
    name: 'PDF',
    described: 'a PDF document',
    extensions: ['pdf'],
    mime: 'application/pdf',
    signatures: [[[0, '%PDF']]],
    decodable: false,
    panel: false,
  },
];

export const DECODABLE_FORMATS = IMAGE_FORMATS.filter((format) => format.decodable);
export const PANEL_FORMATS = IMAGE_FORMATS.filter((format) => format.panel);
export const PANEL_MIME_TYPES = PANEL_FORMATS.map((format) => format.mime);
/** Extensions the panel, the file picker and the Explorer menus offer. */
export const PANEL_EXTENSIONS = PANEL_FORMATS.flatMap((format) => format.extensions);

/** "PNG, JPEG, GIF, WebP, AVIF or SVG". */
export function formatNames(formats: readonly ImageFormat[]): string {
  const names = formats.map((format) => format.name);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
}

/** The format a file name's extension says, if the table knows it. */
export function formatForFileName(name: string): ImageFormat | undefined {
  const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  return extension ? IMAGE_FORMATS.find((format) => format.extensions.includes(extension)) : undefined;
}

export function formatForMimeType(mime: string): ImageFormat | undefined {
  return IMAGE_FORMATS.find((format) => format.mime === mime.toLowerCase());
}

// Prolog (BOM, XML declaration, comments, processing instructions, DOCTYPE) then an svg root element.
const SVG_ROOT_ELEMENT = /^\uFEFF?\s*(?:(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^[>]*(?:\[[\s\S]*?\])?\s*>)\s*)*<(?:[\w.-]+:)?svg[\s>/]/i;
// Enough for a prolog with a long comment or licence header; an SVG's root is never further in.
const SVG_SNIFF_BYTES = 64 * 1024;

/** The format the bytes are, by their signature (SVG by its root element), whatever their name says. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const matches = (offset: number, text: string) => [...text].every((char, i) => bytes[offset + i] === char.charCodeAt(0));
  const bySignature = IMAGE_FORMATS.find((format) => format.signatures.some((parts) => parts.every(([offset, text]) => matches(offset, text))));
  if (bySignature) return bySignature;
  const head = new TextDecoder().decode(bytes.subarray(0, SVG_SNIFF_BYTES));
  return SVG_ROOT_ELEMENT.test(head) ? IMAGE_FORMATS.find((format) => format.svg) : undefined;
}

/** Why a known format cannot be used where `panel` says, in words the user can act on. */
export function refusalFor(name: string, format: ImageFormat, where: 'panel' | 'engine'): string | undefined {
  if (!format.decodable) return `${name} is ${format.described}, which Loupe cannot read. Convert it to PNG or JPEG and try again.`;
  if (where === 'panel' && !format.panel) {
    return `${name} is ${format.described}, which the Ask panel cannot show. Convert it to PNG or JPEG, or ask about it with the loupe CLI.`;
  }
  return undefined;
}

/** Refusal of a file by its size alone, before it is read; undefined when the size is fine. */
export function sizeProblem(name: string, size: number, maxBytes = MAX_IMAGE_BYTES): string | undefined {
  if (size === 0) return `${name} is empty (0 bytes). Save the image again or choose another file.`;
  if (size > maxBytes) {
    return `${name} is ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} Loupe reads. Compress or scale the image down and try again.`;
  }
  return undefined;
}

/**
 * Checks bytes the panel was given as an image named `name` (host and webview alike): the format
 * when the panel takes it, else a message that names the file and says what to do.
 */
export function checkPanelImage(name: string, bytes: Uint8Array): { format: ImageFormat } | { problem: string } {
  const tooBig = sizeProblem(name, bytes.byteLength);
  if (tooBig) return { problem: tooBig };
  const sniffed = sniffImageFormat(bytes);
  if (sniffed) {
    const refusal = refusalFor(name, sniffed, 'panel');
    return refusal ? { problem: refusal } : { format: sniffed };
  }
  const claimed = formatForFileName(name);
  return {
    problem: claimed?.panel
      ? `${name} is not a valid ${claimed.name} image (its content does not match). It may be damaged.`
      : `${name} is not an image Loupe can read. Use ${formatNames(PANEL_FORMATS)}.`,
  };
}


