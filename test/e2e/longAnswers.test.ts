/**
 * Long answers in a real VS Code (code-server): a loopback model server streams a 1 MB Markdown
 * answer as fast as it can write it. While it streams, the workbench answers within a second and
 * the chat keeps drawing; the answer ends rendered in full and collapsed behind "Show more"; a follow-up afterwards
 * is answered, its history trimmed to fit (and the chat says so); Stop during a long stream ends the
 * turn within a second; the conversation comes back after a window reload, and (saved, trimmed)
 * in the editor-tab panel when it is shown the same picture.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { startOpenAiServer, type OpenAiServer } from '../support/openAiServer';
import { openSession, type E2eSession } from './session';
import {
  askPanel,
  failOnPanelError,
  openWorkbench,
  pickFileInDialog,
  runCommand,
  screenshot,
  sideBarChat,
  SIDE_BAR_CHAT_IFRAME,
  statusBarItem,
  trustFolder,
  waitFor,
  waitForAnswerEnd,
  waitForAnswerStart,
} from './workbench';

const MODEL = 'qwen2.5-vl-test';
const SECTIONS = 1_400;
const LAST_LINE = 'The end of the long answer.';

/** One section of every kind of block: a heading, a paragraph, a list, a code fence with a blank line, a table. */
function section(i: number): string {
  return [
    `## Section ${i}`,
    '',
    `Paragraph ${i} has **bold**, \`code\` and a [link](https://example.com/${i}); ${'the quick brown fox jumps over the lazy dog. '.repeat(6)}`,
    '',
    `- first point of ${i}`,
    `- second point with *emphasis*`,
    '',
    '```ts',
    `const value${i} = ${i};`,
    '',
    `console.log(value${i});`,
    '```',
    '',
    '| column | value |',
    '|---|--:|',
    `| row ${i} | ${i * 7} |`,
    '',
    '',
  ].join('\n');
}

const LONG_ANSWER = `${Array.from({ length: SECTIONS }, (_, i) => section(i + 1)).join('')}${LAST_LINE}\n`;
/** Under the 'detailed' preset's 1,024 tokens (the client stops reading there), each token cutting lines and fences anywhere. */
const LONG_TOKENS = Array.from({ length: Math.ceil(LONG_ANSWER.length / 1_150) }, (_, i) => LONG_ANSWER.slice(i * 1_150, (i + 1) * 1_150));

/** Milliseconds `probe` took, or `limitMs * 10` when it had not answered by then. */
async function timed(probe: () => Promise<unknown>, limitMs: number): Promise<number> {
  const started = performance.now();
  const late = new Promise((resolve) => setTimeout(resolve, limitMs * 10));
  await Promise.race([probe().catch(() => undefined), late]);
  return Math.round(performance.now() - started);
}

describe('Long answers in code-server', { timeout: 20 * 60_000 }, () => {
  let server: OpenAiServer;
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  let chat: FrameLocator;
  const lastAnswer = () => chat.locator('.turn.assistant:not(.streaming)').last();
  const streaming = () => chat.locator('.turn.streaming').count().then((count) => count > 0, () => false);

  async function attach(file: string): Promise<void> {
    await chat.locator('#attach').click();
    await pickFileInDialog(page, join(workspace, file));
    await waitFor(`${file} attached`, () => chat.locator('#image-caption').innerText(), (text) => text.startsWith(file));
  }

  async function ask(question: string): Promise<void> {
    const answers = await chat.locator('.turn.assistant:not(.streaming)').count();
    await chat.locator('#question').fill(question);
    await chat.locator('#question').press('Enter');
    await waitForAnswerStart(chat, answers);
  }

  async function openChat(): Promise<void> {
    await page.keyboard.press('Control+Alt+L');
    await page.locator(SIDE_BAR_CHAT_IFRAME).waitFor({ timeout: 120_000 });
  }

  before(async () => {
    server = await startOpenAiServer({ models: [MODEL] });
    session = await openSession({
      name: 'long',
      settings: { 'loupe.endpoints': [{ name: 'Fast server', baseUrl: server.baseUrl, model: MODEL }], 'loupe.answerFrom': 'Fast server' },
    });
    ({ page, workspace } = session);
    await sharp({ create: { width: 320, height: 200, channels: 3, background: '#2b579a' } }).png().toFile(join(workspace, 'shot.png'));
    chat = sideBarChat(page);
  });

  after(async () => {
    await session?.close();
    await server?.close();
  });

  it('opens the chat on an image, answering from the server', { timeout: 5 * 60_000 }, async () => {
    await openWorkbench(page, session.server.url, workspace);
    await trustFolder(page);
    await statusBarItem(page, `Loupe: server · ${MODEL}`).waitFor({ timeout: 120_000 });
    await openChat();
    await attach('shot.png');
    // Detailed allows 1,024 tokens: the 1 MB answer comes in under 1,000.
    await chat.locator('#preset').selectOption('detailed');
  });

  it('streams a 1 MB answer while the workbench answers within a second and the chat keeps drawing', { timeout: 4 * 60_000 }, async () => {
    server.reply = () => ({ kind: 'stream', tokens: LONG_TOKENS });
    await ask('Describe everything, in detail.');
    const workbench: number[] = [];
    const inChat: number[] = [];
    let palette: number | undefined;
    const deadline = Date.now() + 150_000;
    while ((await streaming()) && Date.now() < deadline) {
      // A frame drawn in the workbench and in the chat: neither main thread is stuck.
      workbench.push(await timed(() => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve))), 1_000));
      inChat.push(await timed(() => chat.locator('body').evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve))), 1_000));
      if (palette === undefined && workbench.length === 3) {
        // A command through the palette, as a user would: F1 until it takes input, then away.
        palette = await timed(async () => {
          await page.keyboard.press('F1');
          await page.locator('.quick-input-widget input.input').waitFor({ state: 'visible' });
        }, 1_000);
        await page.keyboard.press('Escape');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.error(`# while streaming: workbench frames ${JSON.stringify(workbench)} ms, chat frames ${JSON.stringify(inChat)} ms, palette ${palette} ms`);
    assert.ok(workbench.length >= 3, `probed ${workbench.length} times while it streamed`);
    assert.ok(Math.max(...workbench) < 1_000, `the workbench drew a frame within a second each time: ${JSON.stringify(workbench)}`);
    // The chat's own page is busy laying out a 1 MB answer (1.0–1.8 s per probe on 2 cores, 2.6 s
    // once at the end, when it was measured); frozen for good, as it was, is what this catches.
    assert.ok(Math.max(...inChat) < 5_000, `the chat drew a frame within 5 s each time: ${JSON.stringify(inChat)}`);
    assert.ok(palette !== undefined && palette < 1_000, `the command palette opened in ${palette} ms`);
  });

  it('the answer ends rendered in full, collapsed behind "Show more", which the keyboard opens', { timeout: 4 * 60_000 }, async () => {
    await waitForAnswerEnd(chat, 'done', 120_000);
    await failOnPanelError(chat);
    const body = lastAnswer().locator('.turn-body');
    const counts = await body.evaluate((element) => ({
      headings: element.querySelectorAll('h2').length,
      tables: element.querySelectorAll('table').length,
      code: element.querySelectorAll('pre > code').length,
      last: element.lastElementChild?.textContent,
    }));
    assert.deepEqual(counts, { headings: SECTIONS, tables: SECTIONS, code: SECTIONS, last: LAST_LINE });
    const more = lastAnswer().getByRole('button', { name: 'Show more' });
    assert.equal(await more.getAttribute('aria-expanded'), 'false');
    const collapsed = (await body.boundingBox())!.height;
    assert.ok(collapsed < 700, `collapsed to ${collapsed} px`);
    await screenshot(page, 'long-01-collapsed');
    await more.focus();
    await page.keyboard.press('Enter');
    const less = lastAnswer().getByRole('button', { name: 'Show less' });
    assert.equal(await less.getAttribute('aria-expanded'), 'true');
    assert.ok((await body.boundingBox())!.height > 20 * collapsed, 'the whole answer shows');
    await page.keyboard.press('Enter');
    assert.equal(await more.getAttribute('aria-expanded'), 'false');
  });

  it('a follow-up after it is answered, with the history trimmed to fit and the chat saying so', { timeout: 3 * 60_000 }, async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['Short ', 'follow-up ', 'answer.'] });
    const sent = server.requests.length;
    await ask('Sum that up in one line.');
    await waitForAnswerEnd(chat, 'done', 60_000);
    await failOnPanelError(chat);
    assert.equal(await lastAnswer().locator('.turn-body').innerText(), 'Short follow-up answer.');
    const messages = server.requests[sent]!.body.messages as { role: string; content: unknown }[];
    const sentChars = JSON.stringify(messages).length;
    assert.ok(sentChars < 60_000, `the request carried ${sentChars} characters of conversation`);
    assert.equal(messages.at(-1)!.content, 'Sum that up in one line.');
    const note = chat.locator('.turn.user').last().locator('.history-note');
    assert.match(await note.innerText(), /shortened/);
    await screenshot(page, 'long-02-trimmed-history');
  });

  it('Stop during a long stream ends the turn within a second', { timeout: 3 * 60_000 }, async () => {
    server.reply = () => ({ kind: 'stream', tokens: LONG_TOKENS, tokenDelayMs: 20 });
    await ask('Once more, slowly.');
    await waitFor('some of the answer', () => chat.locator('.turn.streaming').innerText().catch(() => ''), (text) => text.includes('Section 3'), 60_000, 20);
    const started = performance.now();
    await chat.locator('#stop').click();
    await waitFor('the turn to end', () => chat.locator('#stop').isHidden(), Boolean, 10_000, 20);
    const took = performance.now() - started;
    // Measured through the test's polling of a busy page, so the bound has room above the 0.5 s the chat waits for the host.
    assert.ok(took < 1_500, `Stop ended the turn in ${Math.round(took)} ms`);
    await waitForAnswerEnd(chat, 'stopped', 1_000);
  });

  it('the conversation survives a window reload, and comes back saved (trimmed) in the other chat', { timeout: 5 * 60_000 }, async () => {
    const count = await chat.locator('.turn:not(.streaming)').count();
    await runCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 60_000 });
    await openChat();
    await waitFor('the restored conversation', () => chat.locator('.turn:not(.streaming)').count(), (now) => now === count, 120_000);

    // The editor-tab panel, empty, takes the conversation the host saved for the same picture.
    await runCommand(page, 'Loupe: Open Ask Panel');
    const panel = askPanel(page);
    await panel.locator('#attach').click();
    await pickFileInDialog(page, join(workspace, 'shot.png'));
    await waitFor('the saved conversation', () => panel.locator('.turn:not(.streaming)').count(), (now) => now >= 4, 30_000);
    const texts = (await panel.locator('.turn:not(.streaming) .turn-body').allTextContents()).map((text) => text.trim());
    assert.ok(texts.includes('Short follow-up answer.'), 'the follow-up was saved');
    assert.ok(texts.some((text) => text.startsWith('Section 1') && /characters left out/.test(text)), 'the long answer was saved, clipped with a note');
    await failOnPanelError(panel);
  });
});
