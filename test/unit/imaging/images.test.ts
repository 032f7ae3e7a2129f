import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { EngineError } from '../../../src/protocol/engineError';
import { ImageInputError, decodeImage, neutralizeSvgReferences, verifyImage, type DecodedImage } from '../../../src/imaging/images';
import { SvgRenderStopped, renderSvgIsolated } from '../../../src/imaging/svgIsolation';
import { imageFixture } from '../../support/paths';

// Every case must finish promptly: a hang fails the test instead of stalling the suite.
const PROMPT = { timeout: 10_000 };

type Rgb = [number, number, number];

function pixel(image: DecodedImage, x: number, y: number): Rgb {
  const at = (y * image.width + x) * 3;
  return [image.data[at], image.data[at + 1], image.data[at + 2]];
}

function assertNear(actual: Rgb, expected: Rgb, tolerance: number, what: string): void {
  const close = actual.every((value, index) => Math.abs(value - expected[index]) <= tolerance);
  assert.ok(close, `${what}: expected about ${expected.join(',')}, got ${actual.join(',')}`);
}

function countPixels(image: DecodedImage, matches: (rgb: Rgb) => boolean): number {
  let count = 0;
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (matches(pixel(image, x, y))) count++;
  return count;
}

const isRed = ([r, g, b]: Rgb) => r > 200 && g < 80 && b < 80;

function assertRgb(image: DecodedImage, width: number, height: number): void {
  assert.equal(image.width, width);
  assert.equal(image.height, height);
  assert.equal(image.channels, 3);
  assert.ok(image.data instanceof Uint8Array);
  assert.equal(image.data.length, width * height * 3);
}

async function assertRefused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ImageInputError, `expected ImageInputError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_INPUT');
    assert.match(error.message, message);
    return true;
  });
}

const fromPath = (name: string) => decodeImage({ kind: 'path', path: imageFixture(name) });

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'loupe-images-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('decodeImage refuses bad input with a message naming the file and the problem', () => {
  it('empty file', PROMPT, () => assertRefused(fromPath('empty.png'), /^empty\.png is empty \(0 bytes\)/));

  it('text file with an image name', PROMPT, () =>
    assertRefused(fromPath('not-an-image.png'), /^not-an-image\.png is not an image: it contains text/));

  it('binary data that is no image format', PROMPT, () => {
    const bytes = new Uint8Array(256).map((_, index) => (index * 37 + 11) % 256 || 1);
    return assertRefused(decodeImage({ kind: 'bytes', name: 'blob.dat', bytes }), /^blob\.dat is not an image Loupe can read: its content is not PNG/);
  });

  it('a BMP, which sharp cannot decode, is named as such', PROMPT, () => {
    const bytes = Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]);
    return assertRefused(decodeImage({ kind: 'bytes', name: 'old.bmp', bytes }), /^old\.bmp is a BMP image, which Loupe cannot read\. Convert it to PNG/);
  });

  it('truncated PNG', PROMPT, () =>
    assertRefused(fromPath('truncated.png'), /^truncated\.png is damaged or incomplete: its image data cannot be read/));

  it('corrupt JPEG', PROMPT, () =>
    assertRefused(fromPath('corrupt.jpg'), /^corrupt\.jpg is damaged or incomplete: its image data cannot be read/));

  it('a header claiming 60000 x 60000 is refused from the header, before decoding', PROMPT, () =>
    assertRefused(fromPath('huge-header.png'), /^huge-header\.png is 60000 x 60000 pixels \(3600 megapixels\), more than the 100 megapixels/));

  it('the pixel limit is a parameter', PROMPT, () =>
    assertRefused(
      decodeImage({ kind: 'path', path: imageFixture('screenshot-256x384.png') }, { maxPixels: 256 * 383 }),
      /^screenshot-256x384\.png is 256 x 384 pixels/,
    ));

  it('missing path', PROMPT, () =>
    assertRefused(decodeImage({ kind: 'path', path: join(scratch, 'gone.png') }), /^gone\.png was not found \(.*gone\.png\)/));

  it('a folder', PROMPT, () => assertRefused(decodeImage({ kind: 'path', path: scratch }), /^loupe-images-\w+ is a folder, not an image file/));

  it('a named pipe does not block waiting for a writer', { ...PROMPT, skip: process.platform === 'win32' }, () => {
    const fifo = join(scratch, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    return assertRefused(decodeImage({ kind: 'path', path: fifo }), /^pipe\.png is not a regular file/);
  });

  it('a file over the size cap is refused from its size', PROMPT, () => {
    const big = join(scratch, 'big.png');
    writeFileSync(big, '');
    truncateSync(big, 60_000_000); // sparse: costs no disk
    return assertRefused(decodeImage({ kind: 'path', path: big }), /^big\.png is 60 MB, more than the 50 MB Loupe reads/);
  });

  it('the size cap is a parameter and applies to bytes too', PROMPT, () => {
    const bytes = readFileSync(imageFixture('chart.png'));
    return assertRefused(decodeImage({ kind: 'bytes', name: 'pasted.png', bytes }, { maxBytes: 4000 }), /^pasted\.png is \d+(\.\d)? KB, more than the 4 KB/);
  });

  it('an SVG declaring an external entity', PROMPT, () => {
    const svg = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/hostname">]><svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><text y="10">&secret;</text></svg>`;
    return assertRefused(decodeImage({ kind: 'bytes', name: 'xxe.svg', bytes: Buffer.from(svg) }), /^xxe\.svg declares an XML entity/);
  });
});

describe('decodeImage decodes to 8-bit sRGB RGB', () => {
  it('a PNG keeps its size and pixels', PROMPT, async () => {
    const image = await fromPath('screenshot-256x384.png');
    assertRgb(image, 256, 384);
    assert.equal(image.format, 'png');
    assert.equal(image.source, 'screenshot-256x384.png');
    assert.deepEqual([image.originalWidth, image.originalHeight], [256, 384]);
    assert.equal(image.frames, undefined);
    assertNear(pixel(image, 200, 5), [0x2c, 0x3e, 0x50], 0, 'title bar');
  });

  it('a tall image is not downscaled', PROMPT, async () => assertRgb(await fromPath('tall-1000x3000.png'), 1000, 3000));

  it('EXIF orientation 6 is applied: dimensions swap and the red block moves to the top right', PROMPT, async () => {
    const image = await fromPath('exif-rotated.jpg');
    assertRgb(image, 40, 60);
    assert.deepEqual([image.originalWidth, image.originalHeight], [40, 60]);
    assertNear(pixel(image, 30, 10), [255, 0, 0], 24, 'top right');
    assertNear(pixel(image, 10, 10), [0, 0, 255], 24, 'top left');
    assertNear(pixel(image, 30, 50), [0, 0, 255], 24, 'bottom right');
  });

  it('16-bit RGBA becomes 8-bit, scaled (not byte-truncated), with transparency flattened onto white', PROMPT, async () => {
    const image = await fromPath('rgba16.png');
    assertRgb(image, 40, 20);
    assertNear(pixel(image, 5, 10), [65, 0, 255], 1, 'opaque half');
    assert.deepEqual(pixel(image, 35, 10), [255, 255, 255], 'transparent half');
  });

  it('CMYK JPEG becomes sRGB', PROMPT, async () => {
    const image = await fromPath('cmyk.jpg');
    assertRgb(image, 48, 24);
    const [r, g, b] = pixel(image, 6, 12);
    assert.ok(r > 180 && g < 60 && b < 60, `left half should be red, got ${r},${g},${b}`);
    const [r2, g2, b2] = pixel(image, 42, 12);
    assert.ok(b2 > 120 && b2 > r2 + 60 && b2 > g2 + 40, `right half should be blue, got ${r2},${g2},${b2}`);
  });

  it('greyscale becomes three equal channels', PROMPT, async () => {
    const image = await fromPath('grey.png');
    assertRgb(image, 64, 32);
    assert.equal(countPixels(image, ([r, g, b]) => r !== g || g !== b), 0);
    assert.deepEqual(pixel(image, 0, 0), [0, 0, 0]);
    assert.deepEqual(pixel(image, 63, 0), [252, 252, 252]);
  });

  for (const name of ['animated.gif', 'animated.webp']) {
    it(`${name}: the first frame, with the frame count`, PROMPT, async () => {
      const image = await fromPath(name);
      assertRgb(image, 32, 24);
      assert.equal(image.frames, 3);
      assert.equal(countPixels(image, (rgb) => !isRed(rgb)), 0, 'every pixel is the first frame\'s red');
    });
  }

  it('a 1 x 1 image is fine', PROMPT, async () => {
    const bytes = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#123456' } }).png().toBuffer();
    const image = await decodeImage({ kind: 'bytes', name: 'dot.png', bytes });
    assertRgb(image, 1, 1);
    assert.deepEqual(pixel(image, 0, 0), [0x12, 0x34, 0x56]);
  });
});

describe('bytes input', () => {
  for (const name of ['screenshot-256x384.png', 'exif-rotated.jpg', 'clean.svg']) {
    it(`${name} decodes the same from bytes as from its path`, PROMPT, async () => {
      const fileBytes = readFileSync(imageFixture(name));
      // A view into a larger buffer, as structured clone or Buffer pooling can produce.
      const padded = new Uint8Array(fileBytes.length + 16);
      padded.set(fileBytes, 8);
      const fromBytes = await decodeImage({ kind: 'bytes', name: 'pasted image', bytes: padded.subarray(8, 8 + fileBytes.length) });
      const fromFile = await fromPath(name);
      assert.equal(fromBytes.source, 'pasted image');
      assert.deepEqual({ ...fromBytes, source: name }, fromFile);
    });
  }
});

describe('SVG', () => {
  it('renders at a usable size with #fragment and data: references intact', PROMPT, async () => {
    const image = await fromPath('clean.svg');
    assertRgb(image, 1024, 768); // declared 64 x 48, scaled by 16
    assert.equal(image.format, 'svg');
    assert.deepEqual([image.originalWidth, image.originalHeight], [64, 48]);
    assertNear(pixel(image, 12 * 16, 12 * 16), [0, 200, 0], 2, '<use href="#box">');
    assertNear(pixel(image, 48 * 16, 12 * 16), [0, 0, 255], 2, 'data: image');
    assertNear(pixel(image, 5 * 16, 38 * 16), [255, 255, 255], 40, 'gradient start');
    assertNear(pixel(image, 59 * 16, 38 * 16), [0, 0, 0], 40, 'gradient end');
  });

  it('renders without loading outside references, promptly', PROMPT, async () => {
    const image = await fromPath('external-ref.svg');
    assertRgb(image, 1024, 768);
    assertNear(pixel(image, 16 * 16, 24 * 16), [0, 200, 0], 2, 'own content');
    assert.deepEqual(pixel(image, 50 * 16, 8 * 16), [255, 255, 255], 'where the remote images would be');
  });

  it('a relative reference to a sibling file does not render that file', PROMPT, async () => {
    const image = await fromPath('local-ref.svg');
    assertRgb(image, 1024, 768);
    assert.ok(countPixels(image, ([r, g, b]) => r + g + b === 0) > 1000, 'the border rendered');
    assert.equal(countPixels(image, isRed), 0, 'no pixel of local-ref-target.png');
  });

  it('a gzip-compressed SVG (.svgz) is cleaned the same way', PROMPT, async () => {
    const folder = mkdtempSync(join(scratch, 'svgz-'));
    copyFileSync(imageFixture('local-ref-target.png'), join(folder, 'local-ref-target.png'));
    const path = join(folder, 'local-ref.svgz');
    writeFileSync(path, gzipSync(readFileSync(imageFixture('local-ref.svg'))));
    const image = await decodeImage({ kind: 'path', path });
    assert.equal(image.format, 'svg');
    assert.equal(countPixels(image, isRed), 0);
  });

  it('a huge declared size is rendered within the pixel limit', PROMPT, async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="60000" height="30000"><rect width="60000" height="30000" fill="#00f"/></svg>`;
    const bytes = Buffer.from(svg);
    const image = await decodeImage({ kind: 'bytes', name: 'poster.svg', bytes }, { maxPixels: 1_000_000 });
    assert.ok(image.width * image.height <= 1_000_000, `${image.width} x ${image.height}`);
    assert.ok(Math.abs(image.width / image.height - 2) < 0.02, 'aspect ratio kept');
    assert.deepEqual([image.originalWidth, image.originalHeight], [60000, 30000]);
    const byDefault = await decodeImage({ kind: 'bytes', name: 'poster.svg', bytes });
    assert.deepEqual([byDefault.width, byDefault.height], [4096, 2048]);
  });

  describe('a filter bomb (thousands of blurred shapes) cannot hold the engine', () => {
    const bomb = () => {
      let svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><defs><filter id="b" x="-5" y="-5" width="11" height="11"><feGaussianBlur stdDeviation="200"/></filter></defs>';
      for (let i = 0; i < 3000; i++) svg += `<circle cx="${(i * 7) % 4000}" cy="${(i * 13) % 4000}" r="40" filter="url(#b)"/>`;
      return Buffer.from(`${svg}</svg>`);
    };

    it('Stop ends the render at once', PROMPT, async () => {
      const stop = new AbortController();
      const started = performance.now();
      setTimeout(() => stop.abort(), 300);
      await assert.rejects(decodeImage({ kind: 'bytes', name: 'bomb.svg', bytes: bomb() }, {}, stop.signal), (error: unknown) => {
        assert.ok(error instanceof EngineError && error.code === 'CANCELLED', String(error));
        return true;
      });
      assert.ok(performance.now() - started < 5_000, 'stopped promptly');
    });

    it('a render past the time limit is killed and reported', PROMPT, async () => {
      await assert.rejects(
        renderSvgIsolated({ svg: bomb(), source: 'bomb.svg', maxPixels: 100_000_000, density: 72 }, undefined, 1_000),
        (error: unknown) => error instanceof SvgRenderStopped && error.reason === 'timeout',
      );
    });
  });

  describe('against a loopback HTTP server', () => {
    let server: Server;
    let requests: string[];
    let origin: string;
    before(async () => {
      requests = [];
      server = createServer((request, response) => {
        requests.push(request.url ?? '');
        response.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const remoteSvg = (base: string) => `<?xml version="1.0"?>
<?xml-stylesheet type="text/css" href="${base}/pi.css"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">
  <style>@import url(${base}/import.css); rect.paint { fill: url(${base}/paint.svg#p) }</style>
  <image href="${base}/a.png" width="20" height="20"/>
  <image xlink:href="${base}/b.png" width="20" height="20"/>
  <rect class="paint" width="4" height="4"/>
  <rect x="8" width="4" height="4" style="fill: url('${base}/style.svg#p')"/>
  <filter id="f"><feImage href="${base}/fe.png"/></filter>
  <rect y="8" width="4" height="4" filter="url(#f)"/>
</svg>`;

    it('decodeImage makes no request', PROMPT, async () => {
      await decodeImage({ kind: 'bytes', name: 'remote.svg', bytes: Buffer.from(remoteSvg(origin)) });
      assert.deepEqual(requests, []);
    });

    // The second line of defence: even SVG text that was not cleaned, rendered from a buffer as
    // decodeImage always does, gives librsvg no base location, so it loads nothing but data: URLs.
    it('sharp rendering uncleaned SVG from a buffer makes no request either', PROMPT, async () => {
      await sharp(Buffer.from(remoteSvg(origin))).raw().toBuffer();
      assert.deepEqual(requests, []);
    });
  });

  it('sharp rendering uncleaned SVG from a buffer does not read local files, though it does from a path', PROMPT, async () => {
    const folder = mkdtempSync(join(scratch, 'rsvg-'));
    copyFileSync(imageFixture('local-ref-target.png'), join(folder, 'local-ref-target.png'));
    const targetUrl = new URL(`file://${join(folder, 'local-ref-target.png')}`).href;
    const svg = readFileSync(imageFixture('local-ref.svg'), 'utf8').replace('./local-ref-target.png', targetUrl);
    const svgPath = join(folder, 'uncleaned.svg');
    writeFileSync(svgPath, svg);
    const render = async (input: string | Buffer) => {
      const { data, info } = await sharp(input).flatten({ background: '#fff' }).raw().toBuffer({ resolveWithObject: true });
      const image = { data, width: info.width, height: info.height, channels: 3, source: '', format: 'svg', originalWidth: 0, originalHeight: 0 } as const;
      return countPixels(image, isRed);
    };
    assert.ok((await render(svgPath)) > 0, 'control: from a path librsvg does load the sibling, so this test can see it');
    assert.equal(await render(Buffer.from(svg)), 0, 'relative and file: references from a buffer');
  });
});

describe('neutralizeSvgReferences', () => {
  const clean = (svg: string) => neutralizeSvgReferences(svg, 't.svg');
  // The cleaner serializes the parsed document, so the input is written as it serializes.
  const open = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">`;

  it('keeps #fragment and data: references', () => {
    const svg = `${open}<use href="#a"/><use xlink:href=" #b"/><image href="data:image/png;base64,AAAA"/><rect fill="url(#g)" style="fill: url( '#h' )"/><style>.x{fill:url(#i)}</style></svg>`;
    assert.equal(clean(svg), svg);
  });

  it('removes href attributes that point outside, whatever the namespace prefix or quotes', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:foo="urn:foo"><image href="photo.png"/><image xlink:href='https://x.test/a.png'/><use foo:href="file:///etc/passwd#x"/><a href="&#35;top"/></svg>`;
    // &#35;top is #top once parsed: a same-document link, so it stays.
    assert.equal(clean(svg), `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:foo="urn:foo"><image/><image/><use/><a href="#top"/></svg>`);
  });

  it('removes attributes and style elements with an outside url() or @import, stylesheet instructions and xml:base', () => {
    const svg = `<?xml-stylesheet href="s.css"?><svg xmlns="http://www.w3.org/2000/svg" xml:base="file:///etc/"><style>@import "a.css"; @import url(b.css); .r { fill: url("p.svg#g") }</style><rect fill="url(p.svg#g)" style="stroke:url(http://x.test/s)" width="4"/></svg>`;
    assert.equal(clean(svg), `<svg xmlns="http://www.w3.org/2000/svg"><rect width="4"/></svg>`);
  });

  it('drops a DOCTYPE\'s external DTD, and refuses a DOCTYPE that declares anything', () => {
    const svg = `<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>`;
    assert.equal(clean(svg), `<svg xmlns="http://www.w3.org/2000/svg"/>`);
    assert.throws(() => clean(`<!DOCTYPE svg [<!ATTLIST svg width CDATA "9">]><svg xmlns="http://www.w3.org/2000/svg"/>`), /ImageInputError: t\.svg has a DOCTYPE with declarations/);
  });

  it('refuses entities that could load or spell outside content', () => {
    for (const entity of [
      `<!ENTITY x SYSTEM "file:///etc/hostname">`,
      `<!ENTITY x PUBLIC "-//x" "http://x.test/e">`,
      `<!ENTITY % p SYSTEM "http://x.test/p.dtd">`,
      `<!ENTITY x "<image href='http://x.test/a.png'/>">`,
      `<!ENTITY x "<image &#104;ref='a.png'/>">`,
      `<!ENTITY ns "http://www.w3.org/2000/svg">`,
    ]) {
      assert.throws(() => clean(`<!DOCTYPE svg [${entity}]><svg>&x;</svg>`), (error: unknown) => {
        assert.ok(error instanceof ImageInputError);
        assert.match(error.message, /^t\.svg declares an XML entity/);
        return true;
      }, entity);
    }
  });

  it('removes references hidden behind character references or CSS escapes', () => {
    for (const svg of [
      `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: &#117;rl(http://x.test/p)"/></svg>`,
      `<svg xmlns="http://www.w3.org/2000/svg"><style>@\\69mport "http://x.test/a.css";</style><rect/></svg>`,
      `<svg xmlns="http://www.w3.org/2000/svg"><style>.r { fill: u\\72l(p.svg#g) }</style><rect/></svg>`,
    ]) {
      assert.equal(clean(svg), `<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`, svg);
    }
  });

  it('refuses XML that is not well-formed', () => {
    assert.throws(() => clean(`<svg><g></svg>`), /ImageInputError: t\.svg is not well-formed XML \(.+\), so Loupe does not render it/);
  });
});

describe('verifyImage: the intake check the engine answers `inspect` with', () => {
  const fixture = (name: string) => ({ kind: 'bytes' as const, name, bytes: new Uint8Array(readFileSync(imageFixture(name))) });

  it('accepts images that decode to the end and reports their size as a viewer shows it', async () => {
    assert.deepEqual(await verifyImage(fixture('screenshot-256x384.png')), { source: 'screenshot-256x384.png', format: 'png', width: 256, height: 384 });
    const rotated = await verifyImage(fixture('exif-rotated.jpg'));
    const raw = await sharp(readFileSync(imageFixture('exif-rotated.jpg'))).metadata();
    assert.deepEqual([rotated.width, rotated.height], [raw.autoOrient.width, raw.autoOrient.height], 'EXIF orientation applied');
    assert.equal((await verifyImage(fixture('animated.gif'))).format, 'gif');
  });

  it('refuses a corrupt JPEG and a truncated PNG with a plain reason, not the decoder’s words', async () => {
    for (const name of ['corrupt.jpg', 'truncated.png']) {
      await assert.rejects(verifyImage(fixture(name)), (error: Error) => {
        assert.ok(error instanceof ImageInputError, String(error));
        assert.match(error.message, new RegExp(`^${name.replace('.', '\\.')} is damaged`));
        assert.match(error.message, /choose another image/);
        assert.doesNotMatch(error.message, /vips|libpng|jpeg:|premature|Input buffer/i);
        return true;
      });
    }
  });
});
