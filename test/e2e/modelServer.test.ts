/**
 * Answers from a model server in a real VS Code (code-server): a loopback server speaking the
 * OpenAI streaming format stands in for Ollama / vLLM. No local model is configured, so every
 * answer must come from the server. Journeys: the status bar names the server; the side-bar chat
 * answers from it; the alt-text batch writes its proposals (several requests at once); a server
 * that wants a key gets one through SecretStorage, and the key appears in no settings file, log or
 * message; a server that is not on this machine gets no image before the user allows it.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { startOpenAiServer, type OpenAiServer } from '../support/openAiServer';
import { openSession, type E2eSession } from './session';
import {
  applyQuickFix,
  failOnPanelError,
  inputBoxTitled,
  notification,
  openFile,
  openWorkbench,
  pickFileInDialog,
  quickOpen,
  runCommand,
  screenshot,
  shownAltReview,
  sideBarChat,
  SIDE_BAR_CHAT_IFRAME,
  statusBarItem,
  trustFolder,
  waitFor,
  waitForAnswerEnd,
  startAnswer,
} from './workbench';

const KEY = 'sk-e2e-secret-4f1c9a7b2d';
const MODEL = 'qwen2.5-vl-test';

/** Every file under `dir`, for looking for the key where it must not be. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() && statSync(path).size < 5_000_000 ? [path] : [];
  });
}

describe('Answers from a model server in code-server', { timeout: 20 * 60_000 }, () => {
  let server: OpenAiServer;
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  let chat: FrameLocator;
  /** As a user edits settings.json; code-server also keeps Machine settings, which win, so both. */
  const setUserSettings = (values: Record<string, unknown>) => {
    for (const scope of ['User', 'Machine']) {
      const path = join(session.server.root, 'user-data', scope, 'settings.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...values }, null, 2));
    }
  };
  const endpoint = (name: string, baseUrl: string, extra: Record<string, unknown> = {}) => ({ name, baseUrl, model: MODEL, ...extra });

  async function ask(question: string): Promise<void> {
    await chat.locator('#question').fill(question);
    await startAnswer(chat, () => chat.locator('#question').press('Enter'));
  }

  before(async () => {
    server = await startOpenAiServer({ models: [MODEL, 'gemma-3-4b'] });
    server.reply = () => ({ kind: 'stream', tokens: ['The ', 'server ', 'answered', '.'], tokenDelayMs: 20 });
    session = await openSession({
      name: 'server',
      settings: { 'loupe.endpoints': [endpoint('Team GPU', server.baseUrl)], 'loupe.answerFrom': 'Team GPU' },
    });
    ({ page, workspace } = session);
    await sharp({ create: { width: 320, height: 200, channels: 3, background: '#2b579a' } }).png().toFile(join(workspace, 'shot.png'));
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#aa3322' } }).png().toFile(join(workspace, 'red.png'));
    writeFileSync(join(workspace, 'guide.md'), '# Guide\n\n![](shot.png)\n\nText.\n\n![](red.png)\n');
    chat = sideBarChat(page);
  });

  after(async () => {
    await session?.close();
    await server?.close();
  });

  it('the status bar names the server and its model', async () => {
    await openWorkbench(page, session.server.url, workspace);
    await trustFolder(page);
    const host = new URL(server.url).host;
    await statusBarItem(page, `Loupe: server · ${MODEL} at ${host}`).waitFor({ timeout: 120_000 });
    await screenshot(page, 'server-01-status');
  });

  it('the side-bar chat answers from the server, with the image and the question', async () => {
    await openFile(page, 'guide.md');
    await page.keyboard.press('Control+Alt+L');
    await page.locator(SIDE_BAR_CHAT_IFRAME).waitFor({ timeout: 60_000 });
    await chat.locator('#attach').click();
    await pickFileInDialog(page, join(workspace, 'shot.png'));
    await waitFor('the attached image', () => chat.locator('#image-caption').innerText(), (text) => text.startsWith('shot.png'));
    const sent = server.requests.length;
    await ask('What colour is the background?');
    await waitForAnswerEnd(chat, 'done');
    await failOnPanelError(chat);
    assert.equal(await chat.locator('.turn.assistant').last().locator('.turn-body').innerText(), 'The server answered.');
    const request = server.requests.at(-1)!;
    assert.equal(server.requests.length, sent + 1);
    assert.equal(request.body.model, MODEL);
    assert.match(request.body.messages[0].content[0].image_url.url, /^data:image\/png;base64,/);
    assert.match(JSON.stringify(request.body.messages), /What colour is the background\?/);
    assert.match(await chat.locator('#readout').innerText(), /first token/);
    await screenshot(page, 'server-02-answered');
  });

  it('Stop closes the connection to the server; an answer cut at the token limit offers Continue', async () => {
    server.reply = () => ({ kind: 'stream', tokens: Array.from({ length: 300 }, (_, i) => `word${i} `), tokenDelayMs: 30 });
    await ask('Describe everything you see.');
    await waitFor('a few streamed words', () => chat.locator('.turn.streaming').innerText().catch(() => ''), (text) => /word3 /.test(text));
    await chat.locator('#stop').click();
    await waitForAnswerEnd(chat, 'stopped');
    const stopped = server.requests.length - 1;
    await waitFor('the server to see the connection closed', async () => server.requests[stopped]!.closedAt, Boolean, 10_000);
    assert.ok(server.written[stopped]! < 300, `the server stopped writing (${server.written[stopped]} of 300 tokens)`);

    // A server that stops at max_tokens: the answer is flagged as cut, and Continue asks on.
    server.reply = (request) => ({ kind: 'stream', tokens: Array.from({ length: request.body.max_tokens as number }, () => 'w '), finishReason: 'length' });
    await chat.locator('.chip[data-task="alt-text"]').click();
    await waitForAnswerEnd(chat, 'done');
    const cut = chat.locator('.turn.assistant').last().locator('.cut-notice');
    assert.match(await cut.innerText(), /Answer cut at 64 tokens/);
    const before = server.requests.length;
    await cut.getByRole('button', { name: 'Continue' }).click();
    await waitForAnswerEnd(chat, 'done');
    assert.equal(server.requests.length, before + 1);
    assert.equal(server.requests.at(-1)!.body.messages.at(-1).content, 'Continue');
  });

  it('the alt-text batch asks the server several images at once and Apply writes its proposals', async () => {
    server.peakInFlight = 0;
    server.reply = () => ({ kind: 'stream', tokens: ['A ', 'plain ', 'coloured ', 'test ', 'image.'], tokenDelayMs: 60 });
    await runCommand(page, 'Loupe: Generate Missing Alt Text in Workspace');
    const review = page.frameLocator('iframe.webview.ready[src*="extensionId=loupe-dev.loupe"]:not([src*="purpose=webviewView"])').frameLocator('#active-frame');
    await waitFor('two proposals', () => review.locator('li.proposal').count(), (count) => count === 2, 120_000);
    assert.equal(server.peakInFlight, 2, 'both images were asked for at once');
    await review.locator('#apply').click();
    await waitFor('guide.md on disk', async () => readFileSync(join(workspace, 'guide.md'), 'utf8'), (text) => text === '# Guide\n\n![A plain coloured test image.](shot.png)\n\nText.\n\n![A plain coloured test image.](red.png)\n');
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'View: Close All Editors');
  });

  it('the quick fix names the server, shows its proposal for review and writes it', async () => {
    writeFileSync(join(workspace, 'faq.md'), '# FAQ\n\n![](red.png)\n');
    // The side bar shows the chat, not the Explorer: open it the keyboard way.
    await quickOpen(page, 'faq.md');
    await applyQuickFix(page, 3, 'Generate alt text (Team GPU)');
    const review = await shownAltReview(page, 60_000);
    assert.equal(await review.heading(), 'Alt text for red.png');
    assert.deepEqual(await review.proposals(), ['A plain coloured test image.']);
    assert.match(await review.origin(0), /^(Proposed by the model server "Team GPU"|From the cache)\.$/);
    await review.apply.click();
    await waitFor('faq.md on disk', async () => readFileSync(join(workspace, 'faq.md'), 'utf8'), (text) => text === '# FAQ\n\n![A plain coloured test image.](red.png)\n');
    await runCommand(page, 'View: Close All Editors');
  });

  it('a server that wants a key: the error offers to set it; the key goes to secret storage only', async () => {
    server.reply = (request) =>
      request.headers.authorization === `Bearer ${KEY}`
        ? { kind: 'stream', tokens: ['Authorised', ' answer.'], tokenDelayMs: 150 }
        : { kind: 'status', status: 401, body: JSON.stringify({ error: { message: `Invalid API key: ${String(request.headers.authorization ?? 'none')}` } }) };
    await page.keyboard.press('Control+Alt+L');
    await chat.locator('#question').fill('Who am I?');
    await chat.locator('#question').press('Enter');
    const error = chat.locator('#error');
    await waitFor('the refusal', () => error.innerText().catch(() => ''), (text) => /refused the request \(401\)/.test(text));
    await error.getByRole('button', { name: 'Set API key…' }).click();
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Team GPU' }).click();
    const box = await inputBoxTitled(page, /API key for Team GPU/, 30_000);
    await box.input.fill(KEY);
    await box.input.press('Enter');
    await notification(page, /Stored the key for Team GPU/).waitFor();
    await page.keyboard.press('Control+Alt+L');
    await ask('Who am I now?');
    await waitForAnswerEnd(chat, 'done');
    assert.equal(await chat.locator('.turn.assistant').last().locator('.turn-body').innerText(), 'Authorised answer.');
    assert.ok(!(await chat.locator('body').innerText()).includes(KEY), 'the key is not in the panel');
    for (const file of [...filesUnder(join(session.server.root, 'user-data', 'User')), ...filesUnder(join(session.server.root, 'user-data', 'logs')), ...filesUnder(workspace)]) {
      if (file.endsWith('.vscdb') || file.endsWith('.vscdb.backup')) continue; // VS Code's encrypted-secrets store
      assert.ok(!readFileSync(file, 'latin1').includes(KEY), `the key must not be in ${file}`);
    }
  });

  it('a server not on this machine gets no image before the user allows it, then answers', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['Remote', ' answer.'], tokenDelayMs: 150 });
    // 0.0.0.0 reaches this loopback server but is not a loopback name: it stands in for a LAN host.
    const lan = server.baseUrl.replace('127.0.0.1', '0.0.0.0');
    const host = new URL(lan).host;
    setUserSettings({ 'loupe.endpoints': [endpoint('Team GPU', server.baseUrl), endpoint('LAN box', lan, { allowHttp: true })], 'loupe.answerFrom': 'LAN box' });
    await statusBarItem(page, `Loupe: server · ${MODEL} at ${host}`).waitFor({ timeout: 60_000 });
    const sent = server.requests.length;
    await page.keyboard.press('Control+Alt+L');
    await ask('Is this sent?');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), new RegExp(`Send images to ${host.replaceAll('.', '\\.')}\\?[\\s\\S]*over plain http`));
    assert.equal(server.requests.length, sent, 'nothing was sent before the answer');
    await screenshot(page, 'server-03-consent');
    await dialog.locator('.monaco-button', { hasText: `Send to ${host}` }).click();
    await waitForAnswerEnd(chat, 'done');
    assert.equal(await chat.locator('.turn.assistant').last().locator('.turn-body').innerText(), 'Remote answer.');
    assert.equal(server.requests.length, sent + 1);
  });

  it('Select Model lists the local models and each server\'s models side by side; picking one answers from it', async () => {
    // Loupe writes the user's settings; code-server's Machine settings would shadow them, so the
    // servers are left in the User settings only (where a desktop VS Code keeps them).
    const machine = join(session.server.root, 'user-data', 'Machine', 'settings.json');
    const { ['loupe.endpoints']: _servers, ['loupe.answerFrom']: _from, ...rest } = JSON.parse(readFileSync(machine, 'utf8')) as Record<string, unknown>;
    writeFileSync(machine, JSON.stringify(rest, null, 2));
    await runCommand(page, 'Loupe: Select Model');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    const local = new URL(server.url).host;
    const gemma = rows.filter({ hasText: 'gemma-3-4b' }).filter({ hasText: `at ${local}` });
    await gemma.first().waitFor({ timeout: 30_000 });
    assert.ok((await rows.filter({ hasText: 'LFM2.5-VL 450M' }).count()) >= 1, 'the models on this machine are listed too');
    await screenshot(page, 'server-04-picker');
    await gemma.first().click();
    await statusBarItem(page, `Loupe: server · gemma-3-4b at ${local}`).waitFor({ timeout: 60_000 });
  });
});
