// neutralizeSvgReferences against SVGs written to make librsvg load something from outside the
// document: each case hides a link from a text-pattern cleaner (comments, CDATA, entities, odd
// quoting, other namespace prefixes, CSS escapes). The cleaner parses the XML, so none may survive.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ImageInputError, decodeImage, neutralizeSvgReferences, type DecodedImage } from '../../../src/imaging/images';
import { imageFixture } from '../../support/paths';

// A hang fails the test instead of stalling the suite.
const PROMPT = { timeout: 10_000 };

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';
const OPEN = `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}">`;
const svg = (body: string) => `${OPEN}${body}</svg>`;
const clean = (text: string) => neutralizeSvgReferences(text, 'hostile.svg');

/** The hostile targets all live at evil.test or in /etc; cleaned output must name neither. */
function assertNothingOutside(text: string): string {
  const output = clean(text);
  assert.doesNotMatch(output, /evil\.test|\/etc\/|passwd|file:|@import/i, `left a reference in:\n${output}`);
  assert.equal(clean(output), output, 'cleaning is idempotent: the output is already clean');
  return output;
}

function assertRefused(text: string, message: RegExp): void {
  assert.throws(
    () => clean(text),
    (error: unknown) => {
      assert.ok(error instanceof ImageInputError, `expected ImageInputError, got ${String(error)}`);
      assert.equal(error.code, 'BAD_INPUT');
      assert.equal(error.source, 'hostile.svg');
      assert.match(error.message, message);
      return true;
    },
    text,
  );
}

const NOT_WELL_FORMED = /^hostile\.svg is not well-formed XML \(.+\), so Loupe does not render it\. Fix the SVG or export it as PNG\.$/;

describe('neutralizeSvgReferences parses hostile SVG instead of matching patterns', () => {
  it('a quote inside a comment does not hide the links after it', () => {
    // The pattern-based cleaner read `class='draft -->…<text>it'` as one attribute value and kept both links.
    const hostile = svg(`<!-- class='draft --><image href="file:///etc/passwd"/><image xlink:href="http://evil.test/a.png"/><text>it's</text>`);
    assert.equal(assertNothingOutside(hostile), svg(`<image/><image/><text>it's</text>`));
  });

  it('CDATA: a <style> whose CDATA ends early to smuggle an @import goes whole; a clean one stays', () => {
    assertNothingOutside(svg(`<style><![CDATA[ </style> ]]> @import url(http://evil.test/x.css); </style><rect/>`));
    const safe = svg(`<style><![CDATA[.a > .b { fill: url(#g) }]]></style>`);
    assert.equal(clean(safe), safe);
  });

  it('processing instructions go: xml-stylesheet and any other, before or inside the root', () => {
    const hostile = `<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/css" href="http://evil.test/s.css"?>${svg(`<?evil href="file:///etc/passwd"?><rect/>`)}`;
    assert.equal(assertNothingOutside(hostile), `\n${svg('<rect/>')}`);
  });

  it('a DOCTYPE declaring entities is refused, including an internal one that expands to a URL', () => {
    for (const [subset, use] of [
      [`<!ENTITY u "http://evil.test/a.png">`, `<image href="&u;"/>`],
      [`<!ENTITY u "file:///etc/passwd">`, `<use xlink:href="&u;#x"/>`],
      [`<!ENTITY x SYSTEM "file:///etc/passwd">`, `<text>&x;</text>`],
      [`<!ENTITY x PUBLIC "-//x" "http://evil.test/e">`, `<text>&x;</text>`],
      [`<!ENTITY % p SYSTEM "http://evil.test/p.dtd"> %p;`, ``],
      [`<!ENTITY ns "${SVG_NS}">`, ``],
    ]) {
      assertRefused(`<!DOCTYPE svg [${subset}]>${svg(use)}`, /^hostile\.svg declares an XML entity .* Export the SVG again without entities or as PNG\.$/);
    }
  });

  it('an external DTD with an internal subset is refused; an external DTD id alone is dropped, so librsvg never sees it', () => {
    assertRefused(
      `<!DOCTYPE svg SYSTEM "http://evil.test/x.dtd" [<!ATTLIST image href CDATA "http://evil.test/d.png">]>${svg('<image/>')}`,
      /^hostile\.svg has a DOCTYPE with declarations Loupe does not read\. Remove the DOCTYPE/,
    );
    assert.equal(assertNothingOutside(`<!DOCTYPE svg SYSTEM "file:///etc/passwd">${svg('<rect/>')}`), svg('<rect/>'));
    assert.equal(assertNothingOutside(`<!DOCTYPE svg PUBLIC "-//evil//DTD" "http://evil.test/x.dtd">${svg('<rect/>')}`), svg('<rect/>'));
  });

  it('uppercase names, odd whitespace, newlines, quoting and character references in attributes', () => {
    const output = assertNothingOutside(
      svg(
        `<image\n\tHREF\n=\n'http://evil.test/a'\n/>` +
          `<image href = \r\n "file:///etc/passwd" />` +
          `<image SRC='http://evil.test/s'/>` +
          `<use href="&#x66;ile:///etc/passwd#x"/>` +
          `<use xlink:href="&#104;ttp://evil.test/#x"/>` +
          `<rect style="FILL:URL(http://evil.test/p)"/>` +
          `<rect fill=" Url( 'http://evil.test/p' ) "/>`,
      ),
    );
    assert.equal(output, svg('<image/><image/><image/><use/><use/><rect/><rect/>'));
  });

  it('an href under any namespace prefix, not only xlink:, and xml:base, go', () => {
    const hostile =
      `<s:svg xmlns:s="${SVG_NS}" xmlns:x="${XLINK_NS}" xmlns:foo="urn:foo" xml:base="http://evil.test/">` +
      `<s:use x:href="file:///etc/passwd#a"/><s:use foo:href="http://evil.test/#a"/><s:image xlink:href="http://evil.test/i.png"/><s:use x:href="#a"/>` +
      `</s:svg>`;
    const output = assertNothingOutside(hostile);
    assert.match(output, /<s:use x:href="#a"\/>/, 'a same-document link under another prefix stays');
  });

  it('url() in style and presentation attributes, also behind CSS escapes, drops the attribute; url(#id) stays', () => {
    const output = assertNothingOutside(
      svg(
        `<rect style="fill:url(http://evil.test/p#g)"/>` +
          `<rect fill="url('file:///etc/passwd')"/>` +
          `<rect style="fill: u\\72l(http://evil.test/p)"/>` +
          `<rect style="fill: \\75 rl(http://evil.test/p)"/>` +
          `<rect mask="url(  &quot;http://evil.test/m&quot; )"/>` +
          `<rect filter="url(#f) url(http://evil.test/f)"/>` +
          `<rect fill="url(#g)" style="stroke: url( '#h' )"/>`,
      ),
    );
    assert.equal(output, svg(`<rect/><rect/><rect/><rect/><rect/><rect/><rect fill="url(#g)" style="stroke: url( '#h' )"/>`));
  });

  it('a <style> with an @import or an outside url() goes whole', () => {
    for (const css of [
      `@import "http://evil.test/a.css";`,
      `@IMPORT url(a.css);`,
      `@\\69mport "http://evil.test/a.css";`,
      `@font-face { font-family: f; src: url(http://evil.test/f.woff) }`,
      `.r { fill: url("file:///etc/passwd#g") }`,
      `.r { fill: u\\72l(a.svg#g) }`,
    ]) {
      assert.equal(assertNothingOutside(svg(`<style>${css}</style><rect class="r"/>`)), svg('<rect class="r"/>'), css);
    }
  });

  it('outside links on <use>, <feImage>, <image>, <a>, gradients and patterns go; data: stays on <image> only', () => {
    const output = assertNothingOutside(
      svg(
        `<use href="file:///etc/passwd#x"/>` +
          `<filter id="f"><feImage href="http://evil.test/fe.png"/><feImage xlink:href="file:///etc/passwd"/></filter>` +
          `<a href="http://evil.test/"><rect/></a>` +
          `<linearGradient id="g" href="http://evil.test/g.svg#g"/><pattern id="p" xlink:href="file:///etc/passwd#p"/>` +
          `<use href="data:image/svg+xml;base64,PHN2Zy8+"/>` +
          `<image href="data:image/png;base64,AAAA"/>`,
      ),
    );
    assert.equal(
      output,
      svg(`<use/><filter id="f"><feImage/><feImage/></filter><a><rect/></a><linearGradient id="g"/><pattern id="p"/><use/><image href="data:image/png;base64,AAAA"/>`),
    );
  });

  it('<script> and <foreignObject> go with everything inside them, in any case', () => {
    const output = assertNothingOutside(
      svg(
        `<script href="http://evil.test/s.js">fetch('http://evil.test/')</script><SCRIPT>1</SCRIPT>` +
          `<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="http://evil.test/"/></foreignObject><rect/>`,
      ),
    );
    assert.equal(output, svg('<rect/>'));
  });

  it('malformed XML is refused, not repaired', () => {
    for (const text of [
      `<svg><g></svg>`,
      `<svg a=b/>`,
      `<svg a="1"b="2"/>`,
      `<svg a="1" a="2"/>`,
      `<svg a="<"/>`,
      `<svg>&nbsp;</svg>`,
      `<svg>&undeclared;</svg>`,
      `<svg/><svg/>`,
      `<svg/>text after the root`,
      `<svg><image href="http://evil.test/a.png">`,
      `<svg><foo:bar/></svg>`,
      ``,
    ]) {
      assertRefused(text, NOT_WELL_FORMED);
    }
  });

  it('a normal diagram survives: <use href="#a"/>, gradients with url(#g), data: images, undeclared xlink:', () => {
    const diagram = svg(
      `<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/><stop offset="1" stop-color="#000"/></linearGradient>` +
        `<rect id="a" width="4" height="4"/></defs><use href="#a" x="2"/><use xlink:href="#a" x="8"/>` +
        `<rect y="6" width="20" height="4" fill="url(#g)" style="stroke:url(#g)"/>` +
        `<image width="4" height="4" xlink:href="data:image/png;base64,AAAA"/><text x="1" y="19">A &amp; B &lt; C</text>`,
    );
    assert.equal(clean(diagram), diagram);
    // Hand-written SVGs often leave xlink: undeclared; the output declares it, so it still renders.
    assert.equal(
      clean(`<svg xmlns="${SVG_NS}"><use xlink:href="#a"/></svg>`),
      `<svg xmlns="${SVG_NS}"><use xmlns:xlink="${XLINK_NS}" xlink:href="#a"/></svg>`,
    );
  });
});

describe('hostile SVG through decodeImage', () => {
  type Rgb = [number, number, number];
  const pixel = (image: DecodedImage, x: number, y: number): Rgb => {
    const at = (y * image.width + x) * 3;
    return [image.data[at], image.data[at + 1], image.data[at + 2]];
  };
  const isRed = ([r, g, b]: Rgb) => r > 200 && g < 80 && b < 80;
  const redPixels = (image: DecodedImage) => {
    let count = 0;
    for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (isRed(pixel(image, x, y))) count++;
    return count;
  };
  const render = (name: string, text: string) => decodeImage({ kind: 'bytes', name, bytes: Buffer.from(text) });

  let scratch: string;
  let server: Server;
  let requests: string[];
  let origin: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'loupe-svg-sanitizer-'));
    requests = [];
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('renders the quote-in-comment SVG without the local file it points at', PROMPT, async () => {
    const target = join(scratch, 'red.png');
    copyFileSync(imageFixture('local-ref-target.png'), target);
    const image = await render(
      'comment.svg',
      `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" width="64" height="48"><rect width="64" height="48" fill="#fff"/>` +
        `<!-- class='draft --><image width="64" height="48" href="${pathToFileURL(target).href}"/>` +
        `<image width="64" height="48" xlink:href="${pathToFileURL(target).href}"/><rect width="8" height="8" fill="#00c800"/><text>it's</text></svg>`,
    );
    assert.equal(image.format, 'svg');
    assert.deepEqual(pixel(image, 4 * 16, 4 * 16), [0, 200, 0], 'own content rendered');
    assert.equal(redPixels(image), 0, 'no pixel of the referenced file');
  });

  it('a loopback HTTP server receives no request while an SVG that references it every way renders', PROMPT, async () => {
    const hostile =
      `<?xml version="1.0"?><?xml-stylesheet type="text/css" href="${origin}/pi.css"?>` +
      `<!DOCTYPE svg SYSTEM "${origin}/x.dtd">` +
      `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" xmlns:x="${XLINK_NS}" width="20" height="20">` +
      `<!-- class='x --><image width="20" height="20" href="${origin}/comment.png"/><text>it's</text>` +
      `<style><![CDATA[ </style> ]]> @import url(${origin}/cdata.css); rect.p { fill: url(${origin}/paint.svg#p) }</style>` +
      `<image width="20" height="20" x:href="${origin}/prefix.png"/><image width="20" height="20" HREF = '${origin}/upper.png'/>` +
      `<use href="${origin}/use.svg#u"/><rect class="p" width="4" height="4" style="fill: u\\72l(${origin}/escaped.svg#p)"/>` +
      `<filter id="f"><feImage xlink:href="${origin}/fe.png"/></filter><rect y="8" width="4" height="4" filter="url(#f)"/>` +
      `<foreignObject width="20" height="20"><img xmlns="http://www.w3.org/1999/xhtml" src="${origin}/fo.png"/></foreignObject>` +
      `</svg>`;
    const image = await render('remote.svg', hostile);
    assert.equal(image.format, 'svg');
    await new Promise((resolve) => setTimeout(resolve, 200)); // a request in flight would arrive by now
    assert.deepEqual(requests, []);
  });
});
