/**
 * The streaming answer's incremental rendering, run where it runs (bundled, in real Chromium):
 * however the text is cut into pieces as it arrives, the finished body is exactly what rendering
 * the whole text at once gives, and it got there without rendering everything again each frame.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { bundleForBrowser, launchChromium } from '../../support/webviewInChromium';

let browser: Browser;
let page: Page;

interface Outcome {
  /** The body's HTML after the answer ended. */
  html: string;
  /** renderAnswer of the whole text, as the same document serialises it. */
  whole: string;
  /** The first rendered node survived the end: the pieces were kept, not rendered again. */
  kept: boolean;
  /** Characters of Markdown rendered over the whole stream, and the most in one frame. */
  renderedChars: number;
  mostInAFrame: number;
}

before(async () => {
  const script = await bundleForBrowser(
    [
      "import { renderAnswer } from './webview-ui/markdown';",
      "import { StreamingMarkdown } from './webview-ui/streamingMarkdown';",
      'Object.assign(window, { renderAnswer, StreamingMarkdown });',
    ].join('\n'),
  );
  browser = await launchChromium();
  page = await browser.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: script });
});

after(async () => {
  await browser?.close();
});

/** Streams `pieces` into a fresh body, a frame after each, ends with `end` (their whole text), and compares. */
function stream(pieces: string[], end = pieces.join('')): Promise<Outcome> {
  return page.evaluate(async ([parts, ending]) => {
    const api = window as unknown as {
      renderAnswer(text: string): string;
      StreamingMarkdown: new (body: HTMLElement) => { show(text: string): void; finish(text: string): HTMLElement; finished: Promise<void> };
    };
    // Work counted in characters rendered (not time: deterministic), per frame and in all.
    const proto = api.StreamingMarkdown.prototype as unknown as { step(): void; append(markdown: string): ChildNode[] };
    const { step, append } = proto;
    let renderedChars = 0;
    let mostInAFrame = 0;
    let inFrame = 0;
    proto.append = function (this: unknown, markdown: string) {
      inFrame += markdown.length;
      return append.call(this, markdown);
    };
    proto.step = function (this: unknown) {
      inFrame = 0;
      step.call(this);
      renderedChars += inFrame;
      mostInAFrame = Math.max(mostInAFrame, inFrame);
    };
    const body = document.createElement('div');
    document.body.replaceChildren(body);
    const view = new api.StreamingMarkdown(body);
    let text = '';
    for (const part of parts) {
      text += part;
      view.show(text);
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    const first = body.firstChild;
    text = ending;
    // What finishing draws at once, however it draws it.
    const shown = body.textContent!.length;
    view.finish(text);
    mostInAFrame = Math.max(mostInAFrame, body.textContent!.length - shown);
    await view.finished;
    Object.assign(proto, { step, append });
    const whole = document.createElement('div');
    whole.innerHTML = api.renderAnswer(text);
    return { html: body.innerHTML, whole: whole.innerHTML, kept: !!first && body.firstChild === first, renderedChars, mostInAFrame };
  }, [pieces, end] as const);
}

/** `text` cut every `size` characters. */
function cut(text: string, size: number): string[] {
  return Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
}

const CASES: Record<string, string> = {
  'code fences spanning pieces, with blank lines and fence-like lines inside':
    'Intro.\n\n```ts\nconst a = 1;\n\n\n# not a heading\n- not a list\n````\n```\n\nAfter.\n\n~~~\n```\nstill code\n\n~~~\n\nEnd.\n',
  'an unclosed fence at the end': 'Text.\n\n```\ncode\n\nmore code\n',
  'tight and loose lists, continued after blank lines, nested': '- one\n- two\n\n- three, now loose\n\n  with a second paragraph\n\n  ```\n  fenced in an item\n\n  ```\n\n1. first\n2. second\n   - nested\n\n     deeper\n3. third\n\nParagraph.\n\n* star\n+ plus\n',
  'tables, one interrupting a paragraph': 'Before\n| a | b |\n|---|--:|\n| 1 | 2 |\nrow without pipes\n\n| x |\n|---|\n| y |\n\nAfter.\n',
  'setext headings, hr and paragraphs that become headings late': 'Title\n=====\n\nSub\ntitle\n---\n\n---\n\nplain\n-\n\nlast line\n',
  'indented code with blank lines, blockquotes with lazy lines': '    code one\n\n\n    code two\n\n> quote\nlazy\n\n> second quote\n>\n> - list in quote\n\nEnd\n',
  'reference links defined after their use (rendered whole at the end)': 'See [the docs][docs] and [other].\n\nMore text.\n\n[docs]: https://example.com/docs\n[other]: https://example.com/other "Title"\n',
  'hostile HTML, images and links in every piece': 'A <script>alert(1)</script> b\n\n![x](https://evil.example/p.png) <img src=x onerror=alert(2)>\n\n[link](javascript:alert(3)) and [ok](https://example.com)\n',
  'CRLF and lone CR line endings': 'Line one\r\nline two\r\n\r\n- a\r\n- b\r\n\r\n```\r\ncode\r\n\r\n```\r\nEnd\rafter CR\r\n',
  'no trailing newline, emphasis and entities': '**bold\nacross lines** &amp; &copy; `code`\n\nlast *words*',
};

describe('streaming Markdown', () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(`ends exactly as the whole text renders: ${name}`, async () => {
      for (const size of [1, 3, 7, 40, text.length]) {
        const outcome = await stream(cut(text, size));
        assert.equal(outcome.html, outcome.whole, `pieces of ${size}`);
      }
    });
  }

  it('keeps what it rendered while streaming, unless reference definitions call for a whole render', async () => {
    assert.equal((await stream(cut(CASES['tight and loose lists, continued after blank lines, nested']!, 5))).kept, true);
    assert.equal((await stream(cut(CASES['reference links defined after their use (rendered whole at the end)']!, 5))).kept, false);
  });

  it('starts over when the text is replaced rather than extended', async () => {
    const outcome = await page.evaluate(async () => {
      const api = window as unknown as { renderAnswer(text: string): string; StreamingMarkdown: new (body: HTMLElement) => { show(text: string): void; finish(text: string): HTMLElement; finished: Promise<void> } };
      const body = document.createElement('div');
      const view = new api.StreamingMarkdown(body);
      view.show('# Old\n\nold text\n\nmore\n');
      view.show('New *text*\n\nsecond\n');
      view.finish('New *text*\n\nsecond\n');
      await view.finished;
      return { html: body.innerHTML, whole: api.renderAnswer('New *text*\n\nsecond\n') };
    });
    assert.equal(outcome.html, outcome.whole);
  });

  it('a 1 MB answer renders each part about once, and no frame renders much of it', async () => {
    const section = (i: number) => `## Section ${i}\n\nParagraph ${i} with **bold** and \`code\`. ${'Words and more words. '.repeat(8)}\n\n- a\n- b\n\n\`\`\`\ncode ${i}\n\nmore\n\`\`\`\n\n| a | b |\n|---|---|\n| ${i} | x |\n\n`;
    const text = Array.from({ length: 4_000 }, (_, i) => section(i)).join('');
    assert.ok(text.length > 1_000_000);
    const outcome = await stream(cut(text, 4_000));
    assert.equal(outcome.html, outcome.whole);
    const work = `${outcome.renderedChars} characters rendered while streaming ${text.length}, at most ${outcome.mostInAFrame} in a frame`;
    // Rendering everything again each frame (the old way) would be ~250 MB here.
    assert.ok(outcome.renderedChars < 2 * text.length, work);
    assert.ok(outcome.mostInAFrame < 100_000, work);
  });

  it('an end that comes far ahead of what was drawn is caught up over frames, not in one', async () => {
    const text = Array.from({ length: 2_000 }, (_, i) => `Paragraph ${i}: ${'words '.repeat(60)}\n\n`).join('');
    const outcome = await stream(cut(text, 1_000).slice(0, 3), text);
    assert.equal(outcome.html, outcome.whole);
    assert.ok(outcome.mostInAFrame < 100_000, `${outcome.mostInAFrame} characters rendered in one frame of ${text.length}`);
  });
});
