import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { normalizeAltText, surroundingContext } from '../../../src/altText/altQuality';
import { scanDocument } from '../../../src/altText/scanDocument';
import { docsFixture } from './fixtureTree';

describe('normalizeAltText', () => {
  const cases: Array<[string, string]> = [
    ['Image of a cat sitting on a mat', 'A cat sitting on a mat.'],
    ['a photo of a dog.', 'A dog.'],
    ['Screenshot of the settings page with the theme option selected.', 'The settings page with the theme option selected.'],
    ['This image shows a bar chart of sales by quarter. The Q4 bar is highest.', 'A bar chart of sales by quarter.'],
    ['Here is an image of a sunset over the sea', 'A sunset over the sea.'],
    ['"A red bicycle leaning on a wall."', 'A red bicycle leaning on a wall.'],
    ['**Alt text:** A *bold* `diagram` of the [pipeline](https://example.invalid)', 'A bold diagram of the pipeline.'],
    ['Alt text:\n\nA cat asleep.', 'A cat asleep.'],
    ['Diagram architecture.png showing three boxes', 'Diagram showing three boxes.'],
    ['A chart of revenue, e.g. in 2023, by month. Second sentence.', 'A chart of revenue, e.g. in 2023, by month.'],
    ['Version 3.5 release notes. Next.', 'Version 3.5 release notes.'],
    ['A   cat\n  sitting\ton a mat', 'A cat sitting on a mat.'],
    ['A cat...', 'A cat.'],
    ['Is the cat asleep?', 'Is the cat asleep?'],
    ['A cat. <script>alert(1)</script>', 'A cat.'],
    ['<p>A <b>login</b> form</p>', 'A login form.'],
    ['A cat\u0007 on a\u0000 mat', 'A cat on a mat.'],
    ['- A flowchart of the build', 'A flowchart of the build.'],
    // A model's output reaches the document as text only, still readable in every language.
    ['A cat\u202e on a\u200b mat\u001b[31m', 'A cat on a mat.'],
    ['\u001b]52;c;SGVsbG8=\u0007A login form', 'A login form.'],
    ['نمودار فروش\u200c ماهانه', 'نمودار فروش\u200c ماهانه.'],
    ['Família 👨\u200d👩\u200d👧 na praia', 'Família 👨\u200d👩\u200d👧 na praia.'],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeAltText(raw), expected);
    });
  }

  for (const raw of ['', '   \n', 'image', 'A photo.', 'screenshot.png', '<b></b>', '```\n```', '12345']) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      assert.equal(normalizeAltText(raw), '');
    });
  }

  it('cuts long text at a word boundary within maxLength, without a dangling word', () => {
    const raw =
      'A detailed architecture diagram showing the webview panel on the left and the extension host in the middle and the worker thread with the model on the right';
    const result = normalizeAltText(raw);
    assert.ok(result.length <= 125, `${result.length}`);
    assert.ok(result.endsWith('.'));
    const body = result.slice(0, -1);
    assert.ok(raw.startsWith(body), 'a prefix of the original');
    assert.match(raw.slice(body.length), /^ /, 'cut at a word boundary');
    assert.doesNotMatch(body, /\b(and|the|with|of)$/);
    assert.equal(result, 'A detailed architecture diagram showing the webview panel on the left and the extension host in the middle and the worker.');

    const short = normalizeAltText(raw, { maxLength: 40 });
    assert.ok(short.length <= 40);
    assert.equal(short, 'A detailed architecture diagram.');
  });
});

describe('surroundingContext', () => {
  it('takes the heading and, for an image on its own, the paragraph before it', () => {
    const path = join(docsFixture, 'guide', 'getting-started.md');
    const text = readFileSync(path, 'utf8');
    const [placeholder] = scanDocument(text, path);
    assert.equal(surroundingContext(text, placeholder), 'Section: Getting started\nInstall the extension, then open the Ask panel.');
  });

  it('uses the image paragraph itself when it has prose', () => {
    const text = '## Setup\n\nIntro.\n\nClick **Save** ![](save.png) to keep the [settings](s.md).\n';
    const [finding] = scanDocument(text, 'a.md');
    assert.equal(surroundingContext(text, finding), 'Section: Setup\nClick Save to keep the settings.');
  });

  it('HTML: nearby text without markup or scripts, bounded', () => {
    const path = join(docsFixture, 'page.html');
    const text = readFileSync(path, 'utf8');
    const [missing] = scanDocument(text, path);
    const context = surroundingContext(text, missing, 80);
    assert.ok(context.startsWith('Section: Loupe\n'), context);
    assert.match(context, /Overview:/);
    assert.doesNotMatch(context, /[<>]/);
    assert.doesNotMatch(context, /const html/, 'no script text from the lines above');
    assert.ok(context.length <= 80);
  });
});
