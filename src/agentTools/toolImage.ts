/**
 * Which image an agent's call means, and whether it may have it. An agent is a program acting for
 * the user, not the user: it gets images from the folders the user opened (the workspace, or the
 * MCP client's roots) only, in a format Loupe decodes, and a document's image reference is
 * followed by the same rule as everywhere (src/altText/imageFiles.ts).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isInside, resolveImageFile } from '../altText/imageFiles';
import { imageAt, imagePathOfSrc } from '../altText/imageReferences';
import type { ImageInput } from '../protocol/engine';
import { DECODABLE_FORMATS, formatForFileName, formatNames, MAX_IMAGE_BYTES, sizeProblem } from '../protocol/imageFormats';

/** A refusal the calling model can act on: said in words, never a stack. */
export class ToolRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolRefusal';
  }
}

export interface ImageReference {
  image?: string;
  imageData?: string;
  document?: string;
  line?: number;
  character?: number;
}

/** The image as the engine takes it, with the name messages use. */
export async function toolImage(reference: ImageReference, roots: readonly string[]): Promise<{ input: ImageInput; name: string }> {
  const given = [reference.image, reference.imageData, reference.document].filter((field) => field !== undefined).length;
  if (given !== 1) throw new ToolRefusal('Give exactly one of image (a path), imageData (base64) or document with line.');
  if (reference.document !== undefined && reference.line === undefined) throw new ToolRefusal('document needs line: the line of the image reference.');
  if (roots.length === 0 && reference.imageData === undefined) {
    throw new ToolRefusal('No folder is open, so Loupe reads no image file: open the folder the image is in, or give the image as imageData.');
  }
  if (reference.imageData !== undefined) return { input: inlineImage(reference.imageData), name: 'the image data' };
  if (reference.document !== undefined) {
    const path = await imageInDocument(await fileInRoots(reference.document, roots, 'document'), reference.line!, reference.character, roots);
    return { input: { kind: 'path', path }, name: shownName(path, roots) };
  }
  const path = await fileInRoots(reference.image ?? '', roots, 'image');
  const format = formatForFileName(path);
  if (!format?.decodable) {
    throw new ToolRefusal(`${path} is not an image Loupe reads (by its name); give a ${formatNames(DECODABLE_FORMATS)} file.`);
  }
  return { input: { kind: 'path', path }, name: shownName(path, roots) };
}

/** The path as the agent's user reads it: relative to its root, as the workspace shows it. */
function shownName(path: string, roots: readonly string[]): string {
  const root = roots.find((folder) => isInside(folder, path));
  return root ? relative(root, path).split(sep).join('/') : path;
}

function inlineImage(base64: string): ImageInput {
  // Base64 is 4 characters per 3 bytes: refuse before decoding what would be too large anyway.
  const size = Math.floor((base64.length * 3) / 4);
  const tooLarge = sizeProblem('The image data', size, MAX_IMAGE_BYTES);
  if (tooLarge) throw new ToolRefusal(tooLarge);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new ToolRefusal('imageData is empty or not base64.');
  return { kind: 'bytes', name: 'image data', bytes: new Uint8Array(bytes) };
}

/** A path relative to the first root it exists in, or absolute; its real location must be inside a root. */
async function fileInRoots(given: string, roots: readonly string[], what: 'image' | 'document'): Promise<string> {
  const candidates = isAbsolute(given) ? [given] : roots.map((root) => resolve(root, given));
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => undefined);
    if (!info) continue;
    if (!info.isFile()) throw new ToolRefusal(`${candidate} is not a file.`);
    const real = await realpath(candidate);
    const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => root)));
    if (!realRoots.some((root) => isInside(root, real))) {
      throw new ToolRefusal(`${given} is outside the folders open here (${roots.join(', ')}); Loupe reads no ${what} from outside them.`);
    }
    return candidate;
  }
  throw new ToolRefusal(`There is no ${what} ${given}${isAbsolute(given) ? '' : ` in ${roots.join(', ')}`}.`);
}

async function imageInDocument(document: string, line: number, character: number | undefined, roots: readonly string[]): Promise<string> {
  const text = await readFile(document, 'utf8');
  const lines = text.split('\n');
  if (line > lines.length) throw new ToolRefusal(`${document} has ${lines.length} lines, not ${line}.`);
  const offset = lines.slice(0, line - 1).reduce((sum, current) => sum + current.length + 1, 0) + (character ?? 1) - 1;
  const occurrence = imageAt(text, offset, document);
  if (!occurrence || occurrence.start.line !== line) throw new ToolRefusal(`Line ${line} of ${document} has no image reference.`);
  const src = imagePathOfSrc(occurrence.src, text);
  if (!src) throw new ToolRefusal(`The image on line ${line} of ${document} is computed (${occurrence.src}), so Loupe cannot tell which file it is.`);
  const root = roots.find((folder) => isInside(folder, document)) ?? roots[0]!;
  const image = await resolveImageFile(src, document, root, roots);
  if ('problem' in image) throw new ToolRefusal(`The image on line ${line} of ${document}: ${image.problem}.`);
  return image.path;
}
