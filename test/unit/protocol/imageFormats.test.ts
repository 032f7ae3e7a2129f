/**
 * The formats table (src/protocol/imageFormats.ts) against everything that decides about image
 * formats: this sharp build, the engine's decoder, the host's sniffing, the webview's intake and
 * the package.json menus. Each format gets a small real file; every seam must agree with the table,
 * and nothing the host or webview accepts may be refused by the engine afterwards.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { DEFAULT_IMAGE_LIMITS, ImageInputError, decodeImage } from '../../../src/imaging/images';
import { checkImageBytes as hostCheckImageBytes } from '../../../src/features/imageBytes';
import { IMAGE_FORMATS, MAX_IMAGE_BYTES, PANEL_EXTENSIONS, refusalFor, sniffImageFormat, type ImageFormat } from '../../../src/protocol/imageFormats';
import { checkImageBytes as webviewCheckImageBytes, checkImageFile } from '../../../webview-ui/intake';

const raster = (format: 'png' | 'jpeg' | 'gif' | 'webp' | 'avif' | 'tiff') =>
  sharp({ create: { width: 16, height: 12, channels: 3, background: '#3366cc' } })
    .toFormat(format)
    .toBuffer();

/** A 2 x 2, 24-bit BMP, written by hand: sharp cannot write BMP (nor read it). */
function bmp(): Buffer {
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(70, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(2, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(16, 34);
  // Two rows of two blue pixels, each row padded to 4 bytes.
  const row = Buffer.from([0xcc, 0x66, 0x33, 0xcc, 0x66, 0x33, 0, 0]);
  return Buffer.concat([header, row, row]);
}

/** An ICO holding one 16 x 16 PNG, as Windows writes them. */
async function ico(): Promise<Buffer> {
  const png = await sharp({ create: { width: 16, height: 16, channels: 4, background: '#3366cc' } }).png().toBuffer();
  const header = Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0, 0, 0, 0, 0, 22, 0, 0, 0]);
  header.writeUInt32LE(png.length, 14);
  return Buffer.concat([header, png]);
}

/** The start of an iPhone photo: an ISO-BMFF `ftyp` box with the HEIC brand. */
const heic = () => Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);

/** A Photoshop header: signature, version 1, 3 channels, 12 x 16, 8 bits, RGB. */
const psd = () => Buffer.concat([Buffer.from('8BPS\0\x01\0\0\0\0\0\0\0\x03\0\0\0\x0c\0\0\0\x10\0\x08\0\x03', 'latin1'), Buffer.alloc(64)]);

const SAMPLES: Record<string, () => Promise<Buffer> | Buffer> = {
  png: () => raster('png'),
  jpeg: () => raster('jpeg'),
  gif: () => raster('gif'),
  webp: () => raster('webp'),
  avif: () => raster('avif'),
  tiff: () => raster('tiff'),
  // A prolog Loupe must look past: XML declaration, a comment, a DOCTYPE.
  svg: () =>
    Buffer.from(
      '<?xml version="1.0"?>\n<!-- drawn by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' +
        '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="12"><rect width="16" height="12" fill="#3366cc"/></svg>',
    ),
  bmp,
  heic,
  ico,
  psd,
  pdf: () => Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'),
};

const sampleOf = async (format: ImageFormat) => new Uint8Array(await SAMPLES[format.id]!());
const fileName = (format: ImageFormat) => `sample.${format.extensions[0]}`;

/** What sharp reports for a format the table names otherwise (libheif's AVIF). */
const SHARP_FORMAT_IDS: Record<string, string> = { heif: 'avif' };

async function engineOutcome(format: ImageFormat): Promise<{ decoded: string } | { refused: string }> {
  try {
    const decoded = await decodeImage({ kind: 'bytes', name: fileName(format), bytes: await sampleOf(format) });
    return { decoded: SHARP_FORMAT_IDS[decoded.format] ?? decoded.format };
  } catch (error) {
    assert.ok(error instanceof ImageInputError, `${format.id}: ${String(error)}`);
    return { refused: error.message };
  }
}

function hostOutcome(format: ImageFormat, bytes: Uint8Array): { accepted: string } | { refused: string } {
  try {
    return { accepted: hostCheckImageBytes(fileName(format), bytes).id };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

describe('the image formats table', () => {
  it('has a sample for every format, and each sample is sniffed as its format', async () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), IMAGE_FORMATS.map((format) => format.id).sort());
    for (const format of IMAGE_FORMATS) assert.equal(sniffImageFormat(await sampleOf(format))?.id, format.id, format.id);
  });

  it("says decodable for exactly the formats this sharp build loads (BMP, HEIC, ICO, PSD, PDF: no loader)", () => {
    const loadable = new Set(
      Object.values(sharp.format)
        .filter((format) => format.id !== 'raw' && format.input.buffer)
        .flatMap((format) => format.input.fileSuffix ?? [])
        .map((suffix) => suffix.replace(/^\./, '')),
    );
    for (const format of IMAGE_FORMATS) assert.equal(format.extensions.some((extension) => loadable.has(extension)), format.decodable, format.id);
  });

  it('offers in the panel only formats the engine decodes', () => {
    for (const format of IMAGE_FORMATS) if (format.panel) assert.ok(format.decodable, format.id);
  });
});

describe('host sniffing and engine decoding agree on every format in the table (real sharp)', () => {
  for (const format of IMAGE_FORMATS) {
    it(`${format.name}: ${format.panel ? 'the host accepts it and the engine decodes it' : format.decodable ? 'the engine decodes it; the panel refuses it with the reason' : 'both refuse it with the conversion message'}`, async () => {
      const bytes = await sampleOf(format);
      const engine = await engineOutcome(format);
      const host = hostOutcome(format, bytes);
      if (format.decodable) assert.deepEqual(engine, { decoded: format.id });
      else assert.deepEqual(engine, { refused: refusalFor(fileName(format), format, 'engine') });
      if (format.panel) assert.deepEqual(host, { accepted: format.id });
      else assert.deepEqual(host, { refused: refusalFor(fileName(format), format, 'panel') });
    });
  }

  it('a damaged file with an image name is refused by the host as damaged, not accepted for the engine to fail on', () => {
    assert.throws(() => hostCheckImageBytes('shot.png', new Uint8Array([1, 2, 3, 4])), /^Error: shot\.png is not a valid PNG image \(its content does not match\)/);
  });
});

describe('the webview intake and the host accept the same set', () => {
  for (const format of IMAGE_FORMATS) {
    it(format.name, async () => {
      const bytes = await sampleOf(format);
      const host = hostOutcome(format, bytes);
      // Before reading: by the type the browser reports, and by the name alone.
      for (const type of [format.mime, '']) {
        const beforeReading = checkImageFile({ name: fileName(format), type, size: bytes.byteLength });
        if ('accepted' in host) assert.equal('format' in beforeReading && beforeReading.format.id, format.id, type);
        else assert.deepEqual(beforeReading, { error: host.refused }, type);
      }
      // After reading: the same check on the bytes as the host's.
      const afterReading = webviewCheckImageBytes(fileName(format), bytes);
      assert.deepEqual(afterReading, 'accepted' in host ? undefined : { error: host.refused });
    });
  }

  it('a renamed BMP is refused by its content on both sides', async () => {
    const bytes = new Uint8Array(bmp());
    const expected = 'photo.png is a BMP image, which Loupe cannot read. Convert it to PNG or JPEG and try again.';
    assert.deepEqual(webviewCheckImageBytes('photo.png', bytes), { error: expected });
    assert.throws(() => hostCheckImageBytes('photo.png', bytes), { message: expected });
  });
});

describe('one size limit', () => {
  it('is the engine default, the host and the webview limit', async () => {
    assert.equal(DEFAULT_IMAGE_LIMITS.maxBytes, MAX_IMAGE_BYTES);
    const tooBig = new Uint8Array(MAX_IMAGE_BYTES + 1);
    const expected = /^big\.png is [\d.]+ MB, more than the 50 MB Loupe reads\./;
    assert.throws(() => hostCheckImageBytes('big.png', tooBig), { message: expected });
    const webview = checkImageFile({ name: 'big.png', type: 'image/png', size: tooBig.byteLength });
    assert.match('error' in webview ? webview.error : '', expected);
    await assert.rejects(decodeImage({ kind: 'bytes', name: 'big.png', bytes: tooBig }), { message: expected });
    assert.ok('format' in checkImageFile({ name: 'big.png', type: 'image/png', size: MAX_IMAGE_BYTES }));
  });
});

describe('package.json menus', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
  const entries = Object.entries(manifest.contributes.menus).flatMap(([menu, items]) => items.map((item) => ({ menu, ...item })));
  const imageClauses = entries.filter((entry) => /resourceExtname|imagePreview/.test(entry.when ?? ''));

  it('offer image commands for exactly the panel formats of the table', () => {
    assert.ok(imageClauses.length >= 7, `found ${imageClauses.length} image menu entries`);
    const allExtensions = [...IMAGE_FORMATS.flatMap((format) => format.extensions), 'txt', 'md', 'ico2'];
    for (const entry of imageClauses) {
      const where = `${entry.menu} ${entry.command}: ${entry.when}`;
      const patterns = [...entry.when!.matchAll(/resourceExtname =~ \/(.+?)\/([a-z]*)/g)];
      assert.ok(patterns.length > 0, `${where} names image files by extension`);
      for (const [, source, flags] of patterns) {
        assert.ok(flags!.includes('i'), `${where}: .PNG is an image too`);
        const regex = new RegExp(source!, flags);
        const offered = allExtensions.filter((extension) => regex.test(`.${extension}`));
        assert.deepEqual(offered.sort(), [...PANEL_EXTENSIONS].sort(), where);
      }
    }
  });

  it("narrow the image preview's title button to those formats (the preview also opens BMP and ICO)", () => {
    for (const entry of imageClauses.filter((item) => item.menu === 'editor/title')) {
      assert.match(entry.when!, /activeCustomEditorId == 'imagePreview\.previewEditor' && resourceExtname =~/);
    }
  });
});
