import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { declaredDocumentLanguage } from '../../../src/altText/documentLanguage';
import { isPlaceholderAlt, looksLikeFileName } from '../../../src/protocol/altTextWords';
import { scanDocument } from '../../../src/altText/scanDocument';

function kinds(text: string, file: string): string[] {
  return scanDocument(text, file).map((finding) => finding.kind);
}

describe('alt text rules', () => {
  it('placeholder words in any case, trimmed, with trailing punctuation', () => {
    for (const alt of ['image', 'Picture', ' PHOTO ', 'screenshot.', 'img:', 'Graphic!', 'figure...', 'icon']) assert.ok(isPlaceholderAlt(alt), alt);
    for (const alt of ['images', 'photo of a cat', 'my icon', 'Logo', '']) assert.ok(!isPlaceholderAlt(alt), alt);
  });

  it('file names by image extension', () => {
    for (const alt of ['a.png', 'Diagram-v2.JPG', ' hero.jpeg ', 'x.gif', 'y.webp', 'z.svg', 'old.bmp']) assert.ok(looksLikeFileName(alt), alt);
    for (const alt of ['png', 'a.pdf', 'the .png format explained', 'logo.png.']) assert.ok(!looksLikeFileName(alt), alt);
  });

  it('Markdown: empty or whitespace alt is flagged, a described image is not', () => {
    assert.deepEqual(kinds('![](a.png) ![ \t](b.png) ![A cat](c.png) ![Icon](d.png) ![e.svg](e.svg)', 'a.md'), ['empty', 'empty', 'placeholder', 'filename']);
  });

  it('HTML: absence is flagged; alt="", role=presentation/none and aria-hidden are decorative', () => {
    assert.deepEqual(
      kinds(
        '<img src=a><img src=b alt=""><img src=c alt><img src=d role="presentation"><img src=e role="none img"><img src=f aria-hidden="TRUE"><img src=g aria-hidden="false"><img src=h alt="  ">',
        'a.html',
      ),
      ['missing', 'missing'],
    );
  });

  it('JSX: alt={expression} is not flagged, a constant placeholder is', () => {
    assert.deepEqual(kinds('<><img src="a" alt={t("logo")} /><img src="b" alt={"Screenshot"} /><img src="c" alt={`x.png`} /><Image src={s} /></>', 'a.jsx'), [
      'placeholder',
      'filename',
      'missing',
    ]);
  });

  it('MDX JSX: the same rules, constants read from the expression', () => {
    assert.deepEqual(
      kinds('<img src="a" alt={"image"} />\n\n<img src="b" alt={``} />\n\n<img src="c" alt={t("x")} />\n\n<Image src="d" {...p} />\n\n<img src="e" />\n', 'a.mdx'),
      ['placeholder', 'missing'],
    );
  });

  it('other components and tags are not images', () => {
    assert.deepEqual(kinds('<><Avatar src="a.png" /><picture><source srcSet="a.webp" /></picture><svg><image href="x.png" /></svg></>', 'a.tsx'), []);
    assert.deepEqual(kinds('<svg><image href="x.png"/></svg><picture><source srcset="a.webp"></picture>', 'a.html'), []);
  });
});

describe('declaredDocumentLanguage', () => {
  it('reads <html lang> and front matter, else nothing', () => {
    assert.equal(declaredDocumentLanguage('<!doctype html>\n<html class="x" lang="de-CH">'), 'de-CH');
    assert.equal(declaredDocumentLanguage('---\ntitle: Hallo\nlang: fr\n---\n# Titre'), 'fr');
    assert.equal(declaredDocumentLanguage('---\nlocale: pt_BR\n---\n'), 'pt-BR');
    assert.equal(declaredDocumentLanguage('# No front matter\nlang: en\n'), undefined);
  });
});
