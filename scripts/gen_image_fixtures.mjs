// Generates the image fixtures in test/fixtures/images/ (committed): bad and odd inputs for
// src/imaging/images.ts and the normal samples the rest of the project uses. Deterministic for a
// given sharp (libvips) version; text is drawn through SVG with the "DejaVu Sans" font, so
// regenerating on a machine without DejaVu fonts changes the text pixels.
//   node scripts/gen_image_fixtures.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'images');
mkdirSync(outDir, { recursive: true });

const RED = { r: 255, g: 0, b: 0 };
const GREEN = { r: 0, g: 200, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };
const FONT = `font-family="DejaVu Sans, sans-serif"`;
const png = (image) => image.png({ compressionLevel: 9, adaptiveFiltering: false }).toBuffer();
const solid = (width, height, background) => sharp({ create: { width, height, channels: 3, background } });
const fromSvg = (svg) => sharp(Buffer.from(svg)).flatten({ background: '#ffffff' });

/** Same pseudo-random bytes on every run (a linear congruential generator). */
function noise(length, seed = 1) {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A well-formed PNG whose IHDR claims 60000 x 60000 RGB pixels but whose data is a few bytes. */
function hugeHeaderPng() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(60000, 0);
  ihdr.writeUInt32BE(60000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

async function truncatedPng() {
  const full = await png(sharp(noise(96 * 64 * 3), { raw: { width: 96, height: 64, channels: 3 } }));
  return full.subarray(0, Math.floor(full.length * 0.6));
}

/** A JPEG whose entropy-coded data is overwritten in the middle: libjpeg reports corrupt data. */
async function corruptJpeg() {
  const gradient = Buffer.alloc(96 * 64 * 3);
  for (let i = 0; i < gradient.length; i++) gradient[i] = (i * 13) % 256;
  const jpeg = await sharp(gradient, { raw: { width: 96, height: 64, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  const corrupt = Buffer.from(jpeg);
  const middle = Math.floor(jpeg.length * 0.6);
  corrupt.fill(0x00, middle, middle + 256);
  return corrupt;
}

async function animated(format) {
  const frames = await Promise.all([RED, GREEN, BLUE].map((colour) => png(solid(32, 24, colour))));
  const joined = sharp(frames, { join: { animated: true } });
  const options = { delay: [200, 200, 200], loop: 0 };
  return format === 'gif' ? joined.gif(options).toBuffer() : joined.webp({ ...options, lossless: true }).toBuffer();
}

/**
 * Left half opaque (0x40FF, 0, 0xFFFF), right half fully transparent (black underneath), 16 bits
 * per channel. Red's high byte (0x40) and low byte (0xFF) differ, so a decoder that keeps the wrong
 * byte is caught: properly scaled to 8 bits it is 65.
 */
function rgba16Png() {
  const width = 40;
  const height = 20;
  const pixels = new Uint16Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels.set(x < width / 2 ? [0x40ff, 0, 0xffff, 0xffff] : [0, 0, 0, 0], (y * width + x) * 4);
    }
  }
  return png(sharp(pixels, { raw: { width, height, channels: 4 } }).toColourspace('rgb16'));
}

/** Stored 60 wide x 40 tall, red block top-left, blue elsewhere; EXIF orientation 6 shows it rotated 90 degrees clockwise. */
async function exifRotatedJpeg() {
  const redBlock = await png(solid(20, 20, RED));
  return solid(60, 40, BLUE)
    .composite([{ input: redBlock, left: 0, top: 0 }])
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer();
}

function greyPng() {
  const width = 64;
  const height = 32;
  const pixels = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = x * 4;
  return png(sharp(pixels, { raw: { width, height, channels: 1 } }).toColourspace('b-w'));
}

const externalRefSvg = `<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/css" href="http://example.invalid/style.css"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="48" viewBox="0 0 64 48">
  <style>@import url("https://example.invalid/theme.css"); .linked { fill: url(http://example.invalid/paint.svg#gradient) red; }</style>
  <rect width="64" height="48" fill="#ffffff"/>
  <rect x="4" y="4" width="24" height="40" fill="#00c800"/>
  <image x="32" y="0" width="32" height="48" href="http://example.invalid/tracker.png"/>
  <image x="32" y="0" width="32" height="48" xlink:href="https://example.invalid/photo.jpg"/>
  <use xlink:href="file:///etc/passwd#line"/>
  <rect class="linked" x="32" y="20" width="8" height="8"/>
  <rect x="48" y="20" width="8" height="8" fill="url('file:///tmp/paint.svg#p')"/>
</svg>
`;

const localRefSvg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="48" viewBox="0 0 64 48">
  <rect width="64" height="48" fill="#ffffff"/>
  <rect x="2" y="2" width="60" height="44" fill="none" stroke="#000000" stroke-width="2"/>
  <image x="8" y="8" width="48" height="32" href="local-ref-target.png"/>
  <image x="8" y="8" width="48" height="32" xlink:href="./local-ref-target.png"/>
  <filter id="f"><feImage href="local-ref-target.png"/></filter>
  <rect x="8" y="8" width="48" height="32" filter="url(#f)" fill="none"/>
</svg>
`;

async function cleanSvg() {
  const bluePixels = (await png(solid(8, 8, BLUE))).toString('base64');
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="48" viewBox="0 0 64 48">
  <defs>
    <linearGradient id="fade" x1="0" x2="1"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#000000"/></linearGradient>
    <rect id="box" width="16" height="16" fill="#00c800"/>
  </defs>
  <rect width="64" height="48" fill="#ffffff"/>
  <use href="#box" x="4" y="4"/>
  <image x="40" y="4" width="16" height="16" xlink:href="data:image/png;base64,${bluePixels}"/>
  <rect x="4" y="32" width="56" height="12" fill="url(#fade)"/>
</svg>
`;
}

const screenshotSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="384" viewBox="0 0 256 384" ${FONT}>
  <rect width="256" height="384" fill="#f3f3f3"/>
  <rect width="256" height="40" fill="#2c3e50"/>
  <text x="16" y="27" font-size="18" fill="#ffffff" font-weight="bold">Settings</text>
  <text x="16" y="76" font-size="14" fill="#222222">Username</text>
  <rect x="16" y="84" width="224" height="32" rx="4" fill="#ffffff" stroke="#999999"/>
  <text x="26" y="106" font-size="14" fill="#444444">alice</text>
  <text x="16" y="148" font-size="14" fill="#222222">Password</text>
  <rect x="16" y="156" width="224" height="32" rx="4" fill="#ffffff" stroke="#999999"/>
  <text x="26" y="178" font-size="14" fill="#444444">********</text>
  <rect x="16" y="212" width="36" height="20" rx="10" fill="#27ae60"/>
  <circle cx="42" cy="222" r="8" fill="#ffffff"/>
  <text x="62" y="227" font-size="14" fill="#222222">Remember me</text>
  <rect x="16" y="320" width="104" height="40" rx="6" fill="#2980b9"/>
  <text x="68" y="346" font-size="16" fill="#ffffff" text-anchor="middle">Save</text>
  <rect x="136" y="320" width="104" height="40" rx="6" fill="#ffffff" stroke="#999999"/>
  <text x="188" y="346" font-size="16" fill="#222222" text-anchor="middle">Cancel</text>
</svg>`;

function tallSvg() {
  const sections = [];
  for (let index = 0; index < 6; index++) {
    const top = 120 + index * 470;
    sections.push(`<text x="60" y="${top}" font-size="40" font-weight="bold" fill="#111111">Section ${index + 1}</text>`);
    for (let line = 0; line < 8; line++) {
      const width = 880 - ((index * 7 + line * 53) % 240);
      sections.push(`<rect x="60" y="${top + 40 + line * 44}" width="${width}" height="18" rx="4" fill="#bbbbbb"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="3000" viewBox="0 0 1000 3000" ${FONT}>
  <rect width="1000" height="3000" fill="#ffffff"/>
  ${sections.join('\n  ')}
</svg>`;
}

const CHART_DATA = [
  ['Jan', 12],
  ['Feb', 19],
  ['Mar', 7],
  ['Apr', 15],
];

function chartSvg() {
  const bars = CHART_DATA.map(([label, value], index) => {
    const x = 100 + index * 120;
    const height = value * 14;
    const top = 340 - height;
    return [
      `<rect x="${x}" y="${top}" width="70" height="${height}" fill="#3478c6"/>`,
      `<text x="${x + 35}" y="${top - 8}" font-size="18" text-anchor="middle" fill="#111111">${value}</text>`,
      `<text x="${x + 35}" y="366" font-size="18" text-anchor="middle" fill="#111111">${label}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400" ${FONT}>
  <rect width="640" height="400" fill="#ffffff"/>
  <text x="320" y="36" font-size="24" font-weight="bold" text-anchor="middle" fill="#111111">Monthly sales</text>
  <line x1="80" y1="340" x2="600" y2="340" stroke="#111111" stroke-width="2"/>
  <line x1="80" y1="60" x2="80" y2="340" stroke="#111111" stroke-width="2"/>
  ${bars.join('\n  ')}
</svg>`;
}

function diagramSvg() {
  const boxes = ['Browser', 'API server', 'Database'].map(
    (label, index) =>
      `<rect x="${30 + index * 210}" y="80" width="160" height="70" rx="8" fill="#eef4fb" stroke="#1f4e79" stroke-width="3"/>` +
      `<text x="${110 + index * 210}" y="122" font-size="20" text-anchor="middle" fill="#111111">${label}</text>`,
  );
  const arrows = [0, 1].map(
    (index) =>
      `<line x1="${190 + index * 210}" y1="115" x2="${232 + index * 210}" y2="115" stroke="#111111" stroke-width="3" marker-end="url(#arrow)"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="240" viewBox="0 0 640 240" ${FONT}>
  <defs><marker id="arrow" markerWidth="10" markerHeight="10" refX="8" refY="5" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#111111"/></marker></defs>
  <rect width="640" height="240" fill="#ffffff"/>
  ${boxes.join('\n  ')}
  ${arrows.join('\n  ')}
  <text x="320" y="200" font-size="16" text-anchor="middle" fill="#444444">HTTPS requests, SQL queries</text>
</svg>`;
}

const README = `# Image fixtures

Generated by \`node scripts/gen_image_fixtures.mjs\` (do not edit by hand). Colours below are
before compression; JPEG fixtures are only approximately these colours.

| File | What it is |
| --- | --- |
| empty.png | 0 bytes |
| not-an-image.png | plain text with a .png name |
| truncated.png | a 96 x 64 noise PNG cut off after 60% of its bytes |
| corrupt.jpg | a 96 x 64 JPEG with 256 bytes of its scan data zeroed |
| huge-header.png | a valid PNG whose IHDR claims 60000 x 60000 (correct CRCs) with a few bytes of data |
| animated.gif, animated.webp | 32 x 24, 3 frames: red, green, blue |
| cmyk.jpg | 48 x 24 CMYK JPEG: left half red, right half blue |
| rgba16.png | 40 x 20, 16-bit RGBA: left half opaque (0x40FF, 0, 0xFFFF), i.e. (65, 0, 255) in 8 bits, right half fully transparent |
| exif-rotated.jpg | stored 60 x 40 with a 20 x 20 red block top-left on blue, EXIF orientation 6 (shown 40 x 60, red block top-right) |
| grey.png | 64 x 32 8-bit greyscale, black to white from left to right |
| external-ref.svg | 64 x 48: green rect at x 4..28 on white, plus http(s):, file: and stylesheet references that must not load |
| local-ref.svg | 64 x 48: white with a black border, and images pointing at the sibling local-ref-target.png (solid red), which must not load |
| local-ref-target.png | 16 x 16 solid red |
| clean.svg | 64 x 48: green 16 x 16 square at (4,4) via \`<use href="#box">\`, blue 16 x 16 data: image at (40,4), white-to-black gradient via url(#fade) at y 32..44 |
| screenshot-256x384.png | settings form: "Settings" title bar, "Username" (alice), "Password", "Remember me" toggle, "Save" and "Cancel" buttons |
| tall-1000x3000.png | a page with headings "Section 1" to "Section 6", each followed by grey text-line bars |
| chart.png | 640 x 400 bar chart "Monthly sales": ${CHART_DATA.map(([label, value]) => `${label} ${value}`).join(', ')} |
| diagram.png | 640 x 240: "Browser" -> "API server" -> "Database" boxes with arrows, caption "HTTPS requests, SQL queries" |
`;

const cmykHalves = await png(solid(24, 24, BLUE));
const fixtures = {
  'empty.png': Buffer.alloc(0),
  'not-an-image.png': Buffer.from('This is a text file with a .png name, not an image.\n'),
  'truncated.png': await truncatedPng(),
  'corrupt.jpg': await corruptJpeg(),
  'huge-header.png': hugeHeaderPng(),
  'animated.gif': await animated('gif'),
  'animated.webp': await animated('webp'),
  'cmyk.jpg': await solid(48, 24, RED)
    .composite([{ input: cmykHalves, left: 24, top: 0 }])
    .toColourspace('cmyk')
    .jpeg({ quality: 95 })
    .toBuffer(),
  'rgba16.png': await rgba16Png(),
  'exif-rotated.jpg': await exifRotatedJpeg(),
  'grey.png': await greyPng(),
  'external-ref.svg': Buffer.from(externalRefSvg),
  'local-ref.svg': Buffer.from(localRefSvg),
  'local-ref-target.png': await png(solid(16, 16, RED)),
  'clean.svg': Buffer.from(await cleanSvg()),
  'screenshot-256x384.png': await png(fromSvg(screenshotSvg)),
  'tall-1000x3000.png': await png(fromSvg(tallSvg())),
  'chart.png': await png(fromSvg(chartSvg())),
  'diagram.png': await png(fromSvg(diagramSvg())),
  'README.md': Buffer.from(README),
};

for (const [name, bytes] of Object.entries(fixtures)) {
  writeFileSync(join(outDir, name), bytes);
  console.log(`${name.padEnd(24)} ${bytes.length} bytes`);
}
