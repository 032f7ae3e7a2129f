/**
 * The answer renderer, run where it runs: bundled by esbuild and executed in real Chromium, with
 * DOMPurify working on a real DOM. Model output is untrusted, so these are hostile inputs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { bundleForBrowser, launchChromium } from '../../support/webviewInChromium';

let browser: Browser;
let page: Page;
const requests: string[] = [];

before(async () => {
  const script = await bundleForBrowser("import { renderAnswer } from './webview-ui/markdown'; (window as any).renderAnswer = renderAnswer;");
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('request', (request) => requests.push(request.url()));
  await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ content: script });
});

after(async () => {
  await browser?.close();
});

/** Renders into the document (so anything that would load or run, does) and returns the HTML. */
async function render(markdown: string): Promise<string> {
  return page.evaluate((text) => {
    const out = document.getElementById('out')!;
    out.innerHTML = (window as unknown as { renderAnswer(t: string): string }).renderAnswer(text);
    return out.innerHTML;
  }, markdown);
}

describe('renderAnswer', () => {
  it('renders ordinary Markdown', async () => {
    const html = await render('**Login** form with `code`\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n- one\n- two');
    assert.match(html, /<strong>Login<\/strong>/);
    assert.match(html, /<code>code<\/code>/);
    assert.match(html, /<table>/);
    assert.match(html, /<li>one<\/li>/);
    assert.doesNotMatch(html, /style=/, 'aligned columns must not carry inline styles the CSP would block');
  });

  it('shows raw HTML as text, never as elements', async () => {
    const html = await render('<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"><iframe src="https://evil.example"></iframe>');
    assert.doesNotMatch(html, /<script|<img|<iframe/);
    assert.match(html, /&lt;script&gt;/);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  });

  it('drops remote images (keeping their alt text) and keeps data: images', async () => {
    const remote = await render('before ![tracking pixel](https://evil.example/t.png) after');
    assert.doesNotMatch(remote, /<img/);
    assert.match(remote, /tracking pixel/);
    const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const inline = await render(`![dot](data:image/png;base64,${pixel})`);
    assert.match(inline, /<img src="data:image\/png;base64,/);
  });

  it('keeps links from navigating: no href, the target kept as data for the host to confirm', async () => {
    const html = await render('[docs](https://example.com/docs) and [bad](javascript:alert(1)) and https://bare.example');
    assert.doesNotMatch(html, /\shref=/);
    assert.match(html, /data-href="https:\/\/example.com\/docs"/);
    assert.doesNotMatch(html, /data-href="javascript/i);
    assert.doesNotMatch(html, /data-href="https:\/\/bare/, 'linkify is off');
  });

  it('made no network request while rendering any of it', () => {
    assert.deepEqual(requests.filter((url) => !url.startsWith('data:') && url !== 'about:blank'), []);
  });
});
