/**
 * Image intake for every VLM and OCR job: reads the file under a size cap, refuses oversized or
 * broken images before decoding them, and decodes with sharp to 8-bit sRGB RGB pixels with EXIF
 * orientation applied, transparency flattened onto white and only the first frame of an animation.
 * SVGs are rendered from memory (so librsvg has no base location to resolve links against) after
 * every reference to outside the document has been removed.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DOMParser, Node as XmlNode, XMLSerializer, type Document as XmlDocument, type Element as XmlElement } from '@xmldom/xmldom';
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from 'sharp';
import type { ImageInfo, ImageInput } from '../protocol/engine';
import { DECODABLE_FORMATS, MAX_IMAGE_BYTES, formatNames, refusalFor, sizeProblem, sniffImageFormat } from '../protocol/imageFormats';
import { formatBytes } from '../protocol/byteSizes';
import { EngineError } from '../protocol/engineError';
import type { RgbImage } from './rgbImage';
import { SVG_RENDER_TIMEOUT_MS, SvgRenderStopped, renderSvgIsolated } from './svgIsolation';

export interface ImageLimits {
  /** Largest input read, in bytes; a file is measured before it is read. */
  maxBytes: number;
  /** Largest image decoded (width x height); checked against the header before decoding. */
  maxPixels: number;
}

/** The byte limit is the formats table's, so the panel and the CLI refuse the same files. */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: MAX_IMAGE_BYTES, maxPixels: 100_000_000 };

export interface DecodedImage {
  /** width * height * 3 bytes: 8-bit sRGB, row-major, no alpha. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
  /** The file name, for messages. */
  source: string;
  /** What sharp decoded: png, jpeg, gif, webp, tiff, heif or svg. */
  format: string;
  /**
   * The image's own size as a viewer shows it (EXIF orientation applied). Equal to width/height
   * except for an SVG, which is rendered larger or smaller than its declared size.
   */
  originalWidth: number;
  originalHeight: number;
  /** Frames (or pages) in the file, when more than one; only the first is decoded. */
  frames?: number;
}

/** Input the user can fix: the message names the file, says what is wrong and what to do. */
export class ImageInputError extends EngineError {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super('BAD_INPUT', message);
    this.name = 'ImageInputError';
  }
}

// Small SVGs (icons) are declared at a few dozen pixels; render them large enough to be seen.
const SVG_MIN_LONG_SIDE = 1024;
const SVG_MAX_LONG_SIDE = 4096;
const SVG_BASE_DENSITY = 72;
const SHARP_MAX_DENSITY = 100_000;
// A decode that runs this long is a decompression bomb or a pathological file, not a photo.
const DECODE_TIMEOUT_SECONDS = 60;
const READABLE_FORMATS = formatNames(DECODABLE_FORMATS);

/** An image that passed every check that does not need its pixels: read, sized, header parsed. */
type CheckedImage =
  | { kind: 'svg'; source: string; svg: string; bytes: Buffer; metadata: Metadata }
  | { kind: 'raster'; source: string; bytes: Buffer; metadata: Metadata };

async function checkedImage(input: ImageInput, { maxBytes, maxPixels }: ImageLimits): Promise<CheckedImage> {
  const source = input.kind === 'path' ? basename(input.path) : input.name;
  const bytes =
    input.kind === 'path'
      ? await readImageFile(input.path, source, maxBytes)
      : checkedBytes(Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength), source, maxBytes);
  // A format the table knows sharp lacks (BMP, HEIC…) is named before sharp gives a vaguer error.
  const known = sniffImageFormat(bytes);
  const refusal = known && refusalFor(source, known, 'engine');
  if (refusal) throw new ImageInputError(source, refusal);
  const svgText = svgTextOf(bytes, source, maxBytes);
  if (svgText !== undefined) {
    const svg = neutralizeSvgReferences(svgText, source);
    const svgBytes = Buffer.from(svg, 'utf8');
    const metadata = await readMetadata(svgBytes, source);
    if (metadata.format !== 'svg') {
      throw new ImageInputError(source, `${source} looks like SVG but is not one Loupe can read. Check the file or export it as PNG.`);
    }
    checkPixels(metadata.width, metadata.height, source, Number.POSITIVE_INFINITY);
    return { kind: 'svg', source, svg, bytes: svgBytes, metadata };
  }
  const metadata = await readMetadata(bytes, source);
  // Only SVG text that went through neutralizeSvgReferences may reach librsvg.
  if (metadata.format === 'svg') {
    throw new ImageInputError(source, `${source} is an SVG in a form Loupe cannot check for links to other files. Save it as plain SVG or PNG.`);
  }
  checkPixels(metadata.autoOrient.width, metadata.autoOrient.height, source, maxPixels);
  return { kind: 'raster', source, bytes, metadata };
}

/** `signal`: the job's Stop, which ends an SVG render in progress. */
export async function decodeImage(input: ImageInput, limits: Partial<ImageLimits> = {}, signal?: AbortSignal): Promise<DecodedImage> {
  const resolved = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  const checked = await checkedImage(input, resolved);
  return checked.kind === 'svg' ? renderSvg(checked, resolved.maxPixels, signal) : decodeRaster(checked, resolved.maxPixels);
}

/**
 * The intake check (the engine's `inspect`, for the panel, the chat and the CLI): every check
 * decodeImage makes, and for a raster image its whole data read at a small size, since a
 * truncated file has a good header. An SVG is parsed and cleaned here; it is rendered (in its own
 * process) only when answered.
 */
export async function verifyImage(input: ImageInput, limits: Partial<ImageLimits> = {}): Promise<ImageInfo> {
  const resolved = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  const checked = await checkedImage(input, resolved);
  const { width, height } = checked.kind === 'svg' ? (checked.metadata as { width: number; height: number }) : checked.metadata.autoOrient;
  if (checked.kind === 'raster') {
    try {
      await sharp(checked.bytes, { failOn: 'warning', limitInputPixels: resolved.maxPixels, pages: 1 })
        .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
        .resize(64, 64, { fit: 'inside' })
        .raw()
        .toBuffer();
    } catch {
      throw new ImageInputError(checked.source, `${checked.source} is damaged or incomplete: its image data cannot be read. Re-export it or choose another image.`);
    }
  }
  return { source: checked.source, format: checked.metadata.format ?? 'unknown', width, height };
}

async function readImageFile(path: string, source: string, maxBytes: number): Promise<Buffer> {
  let file: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a file.
    file = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw new ImageInputError(source, openProblem(error, path, source));
  }
  try {
    const stat = await file.stat();
    if (stat.isDirectory()) throw new ImageInputError(source, folderProblem(source));
    if (!stat.isFile()) {
      throw new ImageInputError(source, `${source} is not a regular file (${path} is a device, pipe or socket). Choose an image file.`);
    }
    checkSize(stat.size, source, maxBytes);
    return await readAll(file, stat.size);
  } finally {
    await file.close();
  }
}

function openProblem(error: unknown, path: string, source: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return `${source} was not found (${path}). Check that the file still exists.`;
  if (code === 'EISDIR') return folderProblem(source);
  if (code === 'EACCES' || code === 'EPERM') {
    return `${source} cannot be read: permission denied (${path}). Check the file's permissions.`;
  }
  return `${source} cannot be opened (${(error as Error).message}). Check the path and try again.`;
}

function folderProblem(source: string): string {
  return `${source} is a folder, not an image file. Choose an image file inside it.`;
}

function checkedBytes(bytes: Buffer, source: string, maxBytes: number): Buffer {
  checkSize(bytes.byteLength, source, maxBytes);
  return bytes;
}

function checkSize(size: number, source: string, maxBytes: number): void {
  const problem = sizeProblem(source, size, maxBytes);
  if (problem) throw new ImageInputError(source, problem);
}

/** Reads at most `size` bytes (the size measured before reading), so a growing file cannot exceed the cap. */
async function readAll(file: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await file.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

async function decodeRaster({ bytes, source, metadata }: Extract<CheckedImage, { kind: 'raster' }>, maxPixels: number): Promise<DecodedImage> {
  const { width, height } = metadata.autoOrient;
  const decoded = await decodePixels(bytes, source, maxPixels, {});
  return { ...decoded, format: metadata.format, originalWidth: width, originalHeight: height, ...framesOf(metadata) };
}

async function renderSvg(
  { bytes, source, metadata }: Extract<CheckedImage, { kind: 'svg' }>,
  maxPixels: number,
  signal?: AbortSignal,
): Promise<DecodedImage> {
  const { width, height } = metadata as { width: number; height: number };
  const density = svgDensity(width, height, maxPixels);
  let pixels: RgbImage;
  try {
    pixels = await renderSvgIsolated({ svg: bytes, source, maxPixels, density }, signal);
  } catch (error) {
    if (error instanceof SvgRenderStopped && error.reason === 'cancelled') throw new EngineError('CANCELLED', `Stopped while rendering ${source}.`);
    if (error instanceof SvgRenderStopped) {
      throw new ImageInputError(
        source,
        `${source} took longer than ${SVG_RENDER_TIMEOUT_MS / 1000} s to render (filters such as blur over many shapes) and was stopped. Export it as PNG and try again.`,
      );
    }
    throw new ImageInputError(source, (error as Error).message);
  }
  return { ...pixels, channels: 3, source, format: 'svg', originalWidth: width, originalHeight: height };
}

/** The header only: refusing a 60000x60000 image must not cost a decode. */
async function readMetadata(bytes: Buffer, source: string): Promise<Metadata> {
  try {
    return await sharp(bytes, { failOn: 'warning', limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageInputError(source, unreadableProblem(error, bytes, source));
  }
}

function checkPixels(width: number | undefined, height: number | undefined, source: string, maxPixels: number): void {
  if (!width || !height || width < 1 || height < 1) {
    throw new ImageInputError(source, `${source} has no pixels (its size is ${width ?? 0} x ${height ?? 0}). Choose another image.`);
  }
  if (width * height > maxPixels) {
    throw new ImageInputError(
      source,
      `${source} is ${width} x ${height} pixels (${megapixels(width * height)}), more than the ${megapixels(maxPixels)} Loupe decodes. Scale it down and try again.`,
    );
  }
}

function framesOf(metadata: Metadata): { frames?: number } {
  return metadata.pages && metadata.pages > 1 ? { frames: metadata.pages } : {};
}

type Pixels = Pick<DecodedImage, 'data' | 'width' | 'height' | 'channels' | 'source'>;

export async function decodePixels(
  bytes: Buffer,
  source: string,
  maxPixels: number,
  options: Pick<SharpOptions, 'density'>,
): Promise<Pixels> {
  let result: { data: Buffer; info: OutputInfo };
  try {
    result = await sharp(bytes, { failOn: 'warning', limitInputPixels: maxPixels, autoOrient: true, pages: 1, page: 0, ...options })
      .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageInputError(source, decodeProblem(error, source, maxPixels));
  }
  const { data, info } = result;
  if (info.channels !== 3 || data.byteLength !== info.width * info.height * 3) {
    throw new Error(`Decoding ${source} gave ${info.channels} channels of ${info.width} x ${info.height}, expected RGB.`);
  }
  checkPixels(info.width, info.height, source, maxPixels);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: 3,
    source,
  };
}

function decodeProblem(error: unknown, source: string, maxPixels: number): string {
  const detail = errorDetail(error);
  if (/exceeds pixel limit/i.test(detail)) {
    return `${source} is larger than the ${megapixels(maxPixels)} Loupe decodes. Scale it down and try again.`;
  }
  if (/timeout/i.test(detail)) {
    return `${source} took longer than ${DECODE_TIMEOUT_SECONDS} s to decode and was abandoned. Re-export it as PNG or JPEG and try again.`;
  }
  // The decoder's own words ("premature end of JPEG file") tell a user nothing they can act on.
  return `${source} is damaged or incomplete: its image data cannot be read. Re-export it or choose another image.`;
}

function unreadableProblem(error: unknown, bytes: Buffer, source: string): string {
  const detail = errorDetail(error);
  if (!/unsupported image format/i.test(detail)) {
    return `${source} is damaged: its header cannot be read as an image. Re-export it or choose another image.`;
  }
  if (looksLikeText(bytes)) {
    return `${source} is not an image: it contains text. Choose an image file (${READABLE_FORMATS}).`;
  }
  return `${source} is not an image Loupe can read: its content is not ${READABLE_FORMATS}. Choose an image file or convert this one to PNG.`;
}

function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 512);
  if (head.includes(0)) return false;
  try {
    // stream: a multi-byte character cut at the 512-byte mark is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function errorDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n').find((line) => line.trim()) ?? 'unknown error';
  return firstLine.trim().slice(0, 200);
}

// ---- SVG ----

const GZIP_MAGIC = [0x1f, 0x8b];
const SVG_ROOT = /<(?:[\w.-]+:)?svg[\s>/]/i;

/** The document text when the bytes are an SVG (plain or gzip-compressed .svgz), else undefined. */
function svgTextOf(bytes: Buffer, source: string, maxBytes: number): string | undefined {
  const plain = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1] ? gunzipped(bytes, source, maxBytes) : bytes;
  if (!plain || !startsWithMarkup(plain)) return undefined;
  const text = new TextDecoder('utf-8').decode(plain);
  return SVG_ROOT.test(text) ? text : undefined;
}

function gunzipped(bytes: Buffer, source: string, maxBytes: number): Buffer | undefined {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ImageInputError(source, `${source} is more than ${formatBytes(maxBytes)} once decompressed. Choose a smaller image.`);
    }
    return undefined; // not gzip after all: sharp will say what it is
  }
}

function startsWithMarkup(bytes: Buffer): boolean {
  let index = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (index < bytes.length && (bytes[index] === 0x20 || bytes[index] === 0x09 || bytes[index] === 0x0a || bytes[index] === 0x0d)) index++;
  return bytes[index] === 0x3c; // '<'
}

/** Renders small SVGs larger, huge ones smaller, always within the pixel limit. */
function svgDensity(width: number, height: number, maxPixels: number): number {
  const longSide = Math.max(width, height);
  let scale = longSide < SVG_MIN_LONG_SIDE ? SVG_MIN_LONG_SIDE / longSide : Math.min(1, SVG_MAX_LONG_SIDE / longSide);
  // +1: rendered sizes are rounded up, which must not tip the image over the limit.
  scale = Math.min(scale, Math.sqrt(maxPixels / ((width + 1) * (height + 1))));
  return Math.min(SHARP_MAX_DENSITY, Math.max(1, SVG_BASE_DENSITY * scale));
}

const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
const XLINK_NAMESPACE = 'http://www.w3.org/1999/xlink';
// Script and embedded HTML have no place in a picture Loupe reads; HTML may also load pages.
const REMOVED_ELEMENTS = new Set(['script', 'foreignobject']);
const LINK_ATTRIBUTES = new Set(['href', 'src']);
// url(#id) in each spelling CSS allows; what is left after removing those must load nothing.
const FRAGMENT_URL = /url\(\s*(?:"\s*#[^"]*"|'\s*#[^']*'|#[^\s"'()]*)\s*\)/gi;
const LOADING_CSS = /@import|\b(?:url|src|image|image-set|cross-fade)\s*\(/i;

/**
 * Removes every reference that points outside the SVG document, working on the parsed document
 * rather than its text, so comments, CDATA, quoting, entities or namespace prefixes cannot hide
 * one: drops comments, processing instructions (xml-stylesheet), <script>, <foreignObject>,
 * href and src attributes other than `#fragment` (and `data:` on <image>), xml:base, attributes
 * and <style> elements whose CSS has an outside url() or an @import, and a DOCTYPE's external
 * DTD. Refuses documents that are not well-formed XML or whose DOCTYPE declares anything.
 */
export function neutralizeSvgReferences(svg: string, source: string): string {
  const document = parseSvg(svg, source);
  removeOutsideReferences(document);
  return new XMLSerializer().serializeToString(document);
}

function parseSvg(svg: string, source: string): XmlDocument {
  const problems: string[] = [];
  const parser = new DOMParser({
    // Hand-written SVGs often use xlink: without declaring it; the serializer then declares it.
    xmlns: { xlink: XLINK_NAMESPACE },
    // XML 1.0 line ends only: the default also rewrites U+2028 and U+0085 in text.
    normalizeLineEndings: (text) => text.replace(/\r\n?/g, '\n'),
    locator: false,
    onError: (_level, message) => {
      // Text that was not UTF-8 (decoded with U+FFFD) is a wrong character, not a broken structure.
      if (!message.startsWith('Unicode replacement character')) problems.push(message);
    },
  });
  let document: XmlDocument | undefined;
  try {
    document = parser.parseFromString(svg, 'image/svg+xml');
  } catch (error) {
    // A fatal error was reported to onError first; this is the same problem.
    if (problems.length === 0) problems.push(errorDetail(error));
  }
  // The DOCTYPE first: a declared entity also shows up below as an unknown entity reference.
  const doctype = document?.doctype;
  if (doctype) {
    const subset = doctype.internalSubset.trim();
    if (/<!ENTITY/i.test(subset)) {
      throw new ImageInputError(
        source,
        `${source} declares an XML entity that could load or spell outside content, so Loupe does not render it. Export the SVG again without entities or as PNG.`,
      );
    }
    if (subset) {
      throw new ImageInputError(source, `${source} has a DOCTYPE with declarations Loupe does not read. Remove the DOCTYPE or export the SVG as PNG.`);
    }
    // What is left is an external DTD's name, which only a validating parser would load;
    // the DOCTYPE is dropped so that librsvg never sees it.
    document?.removeChild(doctype);
  }
  // xmldom repairs some broken markup (unquoted attributes, stray text) and reports it; what it
  // repaired might be read otherwise by librsvg, so nothing it reports is let through.
  if (problems.length > 0 || !document?.documentElement) {
    const detail = errorDetail(problems[0] ?? 'no root element');
    throw new ImageInputError(source, `${source} is not well-formed XML (${detail}), so Loupe does not render it. Fix the SVG or export it as PNG.`);
  }
  return document;
}

/** Walks the tree without recursion: nesting depth is the file's choice. */
function removeOutsideReferences(document: XmlDocument): void {
  const pending: XmlNode[] = [document];
  for (let parent = pending.pop(); parent; parent = pending.pop()) {
    for (let child = parent.firstChild; child; ) {
      const next = child.nextSibling;
      if (child.nodeType === XmlNode.COMMENT_NODE || child.nodeType === XmlNode.PROCESSING_INSTRUCTION_NODE) {
        parent.removeChild(child); // comments cannot load, but nothing is kept that is not needed to render
      } else if (child.nodeType === XmlNode.ELEMENT_NODE) {
        const element = child as XmlElement;
        const name = (element.localName ?? element.nodeName).toLowerCase();
        if (REMOVED_ELEMENTS.has(name) || (name === 'style' && cssLoads(element.textContent ?? ''))) {
          parent.removeChild(element);
        } else {
          removeOutsideAttributes(element, name);
          pending.push(element);
        }
      }
      child = next;
    }
  }
}

function removeOutsideAttributes(element: XmlElement, elementName: string): void {
  // A copy: removing from the live map while iterating it would skip attributes.
  for (const attribute of Array.from(element.attributes)) {
    if (attribute.namespaceURI === XMLNS_NAMESPACE) continue; // namespace names, never loaded
    const name = (attribute.localName ?? attribute.name).toLowerCase();
    const value = attribute.value;
    const keep = LINK_ATTRIBUTES.has(name)
      ? isFragment(value) || (elementName === 'image' && /^\s*data:/i.test(value))
      : name !== 'base' && !cssLoads(value); // base: xml:base would resolve what is kept against a location
    if (!keep) element.removeAttributeNode(attribute);
  }
}

function isFragment(reference: string): boolean {
  return reference.trim().startsWith('#');
}

/** Whether CSS (a <style> element, or any attribute: librsvg reads presentation attributes as CSS) can load something. */
function cssLoads(css: string): boolean {
  return LOADING_CSS.test(unescapeCss(css).replace(FRAGMENT_URL, ''));
}

/** CSS escapes, which librsvg's CSS parser resolves, so `u\72l(` is a url(). */
function unescapeCss(css: string): string {
  if (!css.includes('\\')) return css;
  const fromCode = (code: number) => (code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd');
  return css.replace(/\\([0-9a-f]{1,6})[ \t\n\f]?/gi, (_m, hex: string) => fromCode(Number.parseInt(hex, 16))).replace(/\\([^0-9a-f\n])/gi, '$1');
}

function megapixels(pixels: number): string {
  return `${Number((pixels / 1_000_000).toFixed(1))} megapixels`;
}

/**
 * The image as it leaves the machine for a model server: decoded with every check above, then
 * re-encoded from its pixels, so no metadata (GPS position, camera, author) goes with it. Photos
 * stay JPEG (PNG would be several times larger); screenshots, diagrams and SVGs stay lossless.
 */
export async function pixelsOnlyCopy(input: ImageInput, signal?: AbortSignal): Promise<{ mime: 'image/jpeg' | 'image/png'; bytes: Buffer }> {
  const decoded = await decodeImage(input, {}, signal);
  const pixels = sharp(Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength), {
    raw: { width: decoded.width, height: decoded.height, channels: decoded.channels },
  });
  return decoded.format === 'jpeg'
    ? { mime: 'image/jpeg', bytes: await pixels.jpeg({ quality: 92, mozjpeg: true }).toBuffer() }
    : { mime: 'image/png', bytes: await pixels.png({ compressionLevel: 6 }).toBuffer() };
}
