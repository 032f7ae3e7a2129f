/**
 * Issue 14, item 4: `alt-text fix` turned every non-ASCII byte of a Latin-1 file into U+FFFD, and
 * UTF-16 Markdown passed `check` with no findings. Documents are read as UTF-8 or UTF-16 (by
 * byte order mark) and written back in the same encoding; anything else is refused, unchanged.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { runCheck } from '../../../src/altText/cliCheck';
import { fixPaths } from '../../../src/altText/cliFix';
import { decodeDocument, encodeDocument } from '../../../src/altText/documentEncoding';
import { DocumentEncodingError } from '../../../src/altText/documentErrors';
import { testGenerator } from './fixtureTree';

const describeAsSquare = testGenerator(async () => 'A blue square');

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
const utf8bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);

describe('document encodings', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loupe-encodings-'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366aa' } }).png().toFile(join(dir, 'a.png'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads UTF-8, UTF-8 with a mark and UTF-16 LE/BE with a mark, and writes each back byte for byte', () => {
    const text = 'Café — 日本 😀\r\n![](a.png)\n';
    for (const bytes of [Buffer.from(text), utf8bom(text), utf16le(text), utf16be(text)]) {
      const decoded = decodeDocument(bytes, 'x.md');
      assert.equal(decoded.text, text);
      assert.deepEqual(Buffer.from(encodeDocument(decoded.text, decoded)), bytes);
    }
  });

  it('refuses Latin-1, UTF-16 without a mark and broken UTF-16, naming the place', () => {
    const latin1 = Buffer.from('# Title\n\nCaf\xe9 ![](a.png)\n', 'latin1');
    assert.throws(
      () => decodeDocument(latin1, 'latin1.md'),
      (error: unknown) =>
        error instanceof DocumentEncodingError &&
        error.message === 'latin1.md:3:4: cannot read: byte 0xE9 is not UTF-8 (Latin-1 or Windows-1252?); Loupe reads UTF-8 and UTF-16 only, so convert it to UTF-8 (e.g. `iconv -f LATIN1 -t UTF-8`) and run Loupe again',
    );
    assert.throws(() => decodeDocument(Buffer.from('![](a.png)\n', 'utf16le'), 'nomark.md'), /nomark\.md:1:2: cannot read: contains NUL bytes/);
    assert.throws(() => decodeDocument(Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8]), 'odd.md'), /odd\.md:1:1: cannot read: not valid UTF-16LE/);
  });

  it('check finds the images of UTF-16 documents where they are, and reports a Latin-1 one with exit 2', async () => {
    const source = '# Über\n\nText ![](a.png)\n';
    await writeFile(join(dir, 'le.md'), utf16le(source));
    await writeFile(join(dir, 'be.md'), utf16be(source));
    await writeFile(join(dir, 'latin1.md'), Buffer.from('Caf\xe9\n![](a.png)\n', 'latin1'));
    const utf16 = await runCheck(['le.md', 'be.md'], dir, { recordsPath: false });
    assert.deepEqual(
      utf16.lines.map((line) => line.split(': ')[0]),
      ['be.md:3:6', 'le.md:3:6'],
    );
    const latin1 = await runCheck(['latin1.md'], dir, { recordsPath: false });
    assert.equal(latin1.exitCode, 2);
    assert.match(latin1.lines[0], /^latin1\.md:1:4: cannot read: byte 0xE9 is not UTF-8/);
  });

  it('fix keeps the encoding and every other byte, and leaves a Latin-1 file untouched with a problem', async () => {
    const source = 'Grüße\r\n\r\n![](a.png)\r\n';
    await writeFile(join(dir, 'le.md'), utf16le(source));
    await writeFile(join(dir, 'be.md'), utf16be(source));
    await writeFile(join(dir, 'bom.md'), utf8bom(source));
    const latin1 = Buffer.from('Gr\xfc\xdfe\n\n![](a.png)\n', 'latin1');
    await writeFile(join(dir, 'latin1.md'), latin1);
    const result = await fixPaths(['le.md', 'be.md', 'bom.md', 'latin1.md'], describeAsSquare, { cwd: dir, cachePath: 'cache.json' });
    const fixed = source.replace('![]', '![A blue square.]');
    assert.deepEqual(await readFile(join(dir, 'le.md')), utf16le(fixed));
    assert.deepEqual(await readFile(join(dir, 'be.md')), utf16be(fixed));
    assert.deepEqual(await readFile(join(dir, 'bom.md')), utf8bom(fixed));
    assert.deepEqual(await readFile(join(dir, 'latin1.md')), latin1, 'not one byte changed');
    assert.deepEqual(
      result.problems.map((problem) => `${problem.line}:${problem.column} ${problem.message.split(';')[0]}`),
      ['1:3 cannot read: byte 0xFC is not UTF-8 (Latin-1 or Windows-1252?)'],
    );
    assert.equal(result.written, 3);
  });
});
