/**
 * The side-bar chat in a real VS Code (code-server) through real Chromium, as a keyboard user and
 * a screen reader would meet it: the keybinding opens it with the typing going into the question
 * box; Attach takes a file, and a corrupt or truncated one is refused at once next to the image
 * (the old image gone, with "Choose another image"); answers carry speaker labels and their own
 * Copy / Insert / Retry; task chips add turns and leave typed text alone; the first-token time
 * stays the same when the answer ends; an answer cut at the token limit offers Continue; the
 * preset dropdown leaves the user setting alone; the conversation survives a window reload.
 * Screenshots in light, dark and high-contrast themes. The tiny model's words are random; the
 * assertions are about behaviour.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { imageFixture, tinyModelDir } from '../support/paths';
import { openSession, type E2eSession } from './session';
import {
  failOnPanelError,
  goToLine,
  openFile,
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

const README = ['# Chat e2e', '', 'Notes:', ''].join('\n');

const activeId = (chat: FrameLocator) => chat.locator('body').evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
const firstTokenOf = (readout: string) => /first token ([\d.]+ (?:ms|s))/.exec(readout)?.[1];

describe('Side-bar chat in code-server', { timeout: 25 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  let chat: FrameLocator;
  const readme = () => readFileSync(join(workspace, 'README.md'), 'utf8');
  const userSettings = () => readFileSync(join(session.server.root, 'user-data', 'User', 'settings.json'), 'utf8');
  const turns = () => chat.locator('.turn:not(.streaming)');
  /** Sets a user setting the way settings.json edits do; VS Code applies it live. */
  const setUserSetting = (key: string, value: unknown) => {
    const path = join(session.server.root, 'user-data', 'User', 'settings.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), [key]: value }, null, 2));
  };

  before(async () => {
    session = await openSession({ name: 'chat', settings: { 'loupe.model.path': tinyModelDir } });
    ({ page, workspace } = session);
    writeFileSync(join(workspace, 'README.md'), README);
    await sharp({ create: { width: 320, height: 200, channels: 3, background: '#2b579a' } }).png().toFile(join(workspace, 'shot.png'));
    copyFileSync(imageFixture('corrupt.jpg'), join(workspace, 'corrupt.jpg'));
    copyFileSync(imageFixture('truncated.png'), join(workspace, 'truncated.png'));
    chat = sideBarChat(page);
  });

  after(() => session?.close());

  it('the keybinding opens the side-bar chat with the typing in the question box', async () => {
    await openWorkbench(page, session.server.url, workspace);
    await trustFolder(page);
    await openFile(page, 'README.md');
    await statusBarItem(page, 'Loupe: not loaded').waitFor({ timeout: 120_000 });
    await goToLine(page, 4);
    await page.keyboard.press('Control+Alt+L');
    await page.locator(SIDE_BAR_CHAT_IFRAME).waitFor({ timeout: 60_000 });
    await waitFor('the question box to have the focus', () => activeId(chat), (id) => id === 'question');
    await page.keyboard.type('typed straight away');
    assert.equal(await chat.locator('#question').inputValue(), 'typed straight away');
    await chat.locator('#question').fill('');
    await screenshot(page, 'chat-01-opened');
  });

  it('is usable by keyboard and screen reader: status announced, dot silent, disabled buttons say why', async () => {
    const status = chat.locator('#model-status');
    assert.equal(await status.getAttribute('role'), 'status');
    assert.equal(await status.getAttribute('aria-live'), 'polite');
    await waitFor('the model status', () => status.innerText(), (text) => /^Model (not loaded|ready) · lfm2-vl-tiny$/.test(text));
    assert.equal(await chat.locator('#status-dot').getAttribute('aria-hidden'), 'true');
    assert.equal(await chat.locator('#status-dot').innerText(), '', 'the dot has no text to read');
    // The question box is the second Tab stop: only the preset comes before it.
    await chat.locator('#question').focus();
    await page.keyboard.press('Shift+Tab');
    assert.equal(await activeId(chat), 'preset');
    await page.keyboard.press('Tab');
    assert.equal(await activeId(chat), 'question');
    // No image yet: Ask and the chips are disabled, and a visible line says why.
    assert.equal(await chat.locator('#ask').isDisabled(), true);
    const hint = chat.locator('#ask-hint');
    assert.equal(await hint.isVisible(), true);
    assert.match(await hint.innerText(), /Add an image first/);
    assert.equal(await chat.locator('#ask').getAttribute('aria-describedby'), 'ask-hint');
  });

  it('Attach takes an image; a corrupt or truncated one is refused at once, next to the image, and the old image goes', async () => {
    await chat.locator('#attach').click();
    await pickFileInDialog(page, join(workspace, 'shot.png'));
    await waitFor('the attached image', () => chat.locator('#image-caption').innerText(), (text) => text === 'shot.png · 320×200 px · shot.png');

    await chat.locator('#attach').click();
    await pickFileInDialog(page, join(workspace, 'corrupt.jpg'));
    const imageError = chat.locator('#image-error');
    await imageError.waitFor({ state: 'visible' });
    assert.match(await imageError.innerText(), /^corrupt\.jpg is (incomplete or )?damaged/);
    assert.doesNotMatch(await imageError.innerText(), /vips|jpeg:|premature|buffer/i);
    assert.equal(await imageError.getAttribute('role'), 'alert');
    assert.equal(await chat.locator('#preview').isHidden(), true, 'the previous image is gone');
    assert.equal(await chat.locator('.chip[data-task="alt-text"]').isDisabled(), true, 'no chip can answer about the wrong picture');
    assert.equal(await chat.locator('#error').isHidden(), true, 'one presentation, in one place');
    await screenshot(page, 'chat-02-refused');

    // The action that fixes it is next to the message; the next failure replaces the stale one.
    await imageError.getByRole('button', { name: 'Choose another image…' }).click();
    await pickFileInDialog(page, join(workspace, 'truncated.png'));
    await waitFor('the truncated PNG refused', () => imageError.innerText(), (text) => /^truncated\.png is incomplete or damaged/.test(text));
    assert.doesNotMatch(await imageError.innerText(), /corrupt\.jpg/);

    await chat.locator('#attach').click();
    await pickFileInDialog(page, join(workspace, 'shot.png'));
    await waitFor('the good image back', () => chat.locator('#image-caption').innerText(), (text) => text.startsWith('shot.png · 320×200 px'));
    assert.equal(await imageError.isHidden(), true, 'the stale error is gone');
  });

  it('answers under speaker labels, with the same first-token time while streaming and after', async () => {
    // This chat's preset; the user's setting stays as it was.
    await chat.locator('#preset').selectOption('fast');
    await chat.locator('#question').fill('What colour is it?');
    await chat.locator('#question').press('Enter');
    await waitForAnswerStart(chat);
    const during = await waitFor('the first token', () => chat.locator('#readout').innerText(), (text) => !!firstTokenOf(text), 120_000, 20);
    await waitForAnswerEnd(chat, 'done');
    const afterwards = await chat.locator('#readout').innerText();
    assert.equal(firstTokenOf(afterwards), firstTokenOf(during), `while streaming: ${during}; after: ${afterwards}`);
    assert.deepEqual(await chat.locator('.turn-label').allInnerTexts(), ['You', 'Loupe']);
    assert.equal(await chat.locator('.turn.assistant').first().getAttribute('aria-label'), 'Answer to: What colour is it?');
    assert.doesNotMatch(await chat.locator('#conversation').innerText(), /^Question$/m);
  });

  it('a task chip adds a turn, keeps the earlier ones and the typed text; an answer cut at the limit offers Continue', async () => {
    await chat.locator('#question').fill('my unfinished follow-up');
    // Alt text allows 64 new tokens: the tiny model's random words always reach it.
    await chat.locator('.chip[data-task="alt-text"]').click();
    await waitForAnswerStart(chat);
    await waitForAnswerEnd(chat, 'done');
    assert.deepEqual(await chat.locator('.turn-label').allInnerTexts(), ['You', 'Loupe', 'You', 'Loupe · Alt text']);
    assert.equal(await chat.locator('#question').inputValue(), 'my unfinished follow-up', 'the chip did not take the typed text');
    assert.match(await chat.locator('#readout').innerText(), /cut at 64 tokens/);
    const cut = chat.locator('.turn.assistant').last().locator('.cut-notice');
    assert.match(await cut.innerText(), /Answer cut at 64 tokens/);
    await waitFor('the announcement', () => chat.locator('#announcer').innerText(), (text) => /cut at 64 tokens/.test(text));
    await screenshot(page, 'chat-03-cut');
    await cut.getByRole('button', { name: 'Continue' }).click();
    await waitForAnswerStart(chat);
    await waitForAnswerEnd(chat, 'done');
    assert.equal(await turns().count(), 6);
    assert.equal(await chat.locator('.turn.user').last().innerText(), 'You\nContinue');
    await chat.locator('#question').fill('');
  });

  it('each answer has Copy and Insert; Retry asks the latest question again', async () => {
    await chat.locator('.turn.assistant').first().locator('[data-insert="copy"]').click();
    await chat.locator('#notice', { hasText: 'Copied to the clipboard' }).waitFor();

    const before = readme();
    const first = chat.locator('.turn.assistant').first();
    await first.locator('[data-insert="cursor"]').click();
    await chat.locator('#notice', { hasText: 'Inserted into README.md' }).waitFor();
    const after = await waitFor('README.md to be saved with the first answer', async () => readme(), (text) => text !== before);
    const letters = (text: string) => text.replace(/[^\p{L}\p{N}]/gu, '');
    const inserted = letters(after.slice(before.length));
    assert.ok(inserted.length > 3, `inserted: ${JSON.stringify(after.slice(before.length))}`);
    assert.ok(letters(await first.locator('.turn-body').innerText()).startsWith(inserted.slice(0, 12)), 'the first answer, not the latest, went in');

    const count = await turns().count();
    const lastQuestion = await chat.locator('.turn.user').last().innerText();
    // Retry shows only on the latest answer.
    assert.equal(await first.locator('[data-answer-action="retry"]').isHidden(), true);
    await chat.locator('.turn.assistant').last().locator('[data-answer-action="retry"]').click();
    await waitForAnswerStart(chat);
    await waitForAnswerEnd(chat, 'done');
    assert.equal(await turns().count(), count);
    assert.equal(await chat.locator('.turn.user').last().innerText(), lastQuestion);
  });

  it('the preset dropdown leaves the loupe.preset user setting alone', async () => {
    await chat.locator('#preset').selectOption('detailed');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.match(userSettings(), /"loupe\.preset": "fast"/);
    await chat.locator('#preset').selectOption('fast');
  });

  it('looks right in light, dark and high-contrast themes', async () => {
    for (const [theme, name] of [
      // The window starts light: dark first, so each switch changes the colours.
      ['Default Dark Modern', 'chat-dark'],
      ['Default High Contrast', 'chat-high-contrast'],
      ['Default Light Modern', 'chat-light'],
    ] as const) {
      const background = await chat.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
      setUserSetting('workbench.colorTheme', theme);
      // The chat follows the theme: its colours are VS Code's theme variables.
      await waitFor(`the ${theme} theme in the chat`, () => chat.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor), (now) => now !== background);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await screenshot(page, name);
    }
  });

  it('keeps the conversation across Developer: Reload Window', async () => {
    const texts = await chat.locator('.turn:not(.streaming) .turn-body').allInnerTexts();
    assert.ok(texts.length >= 6);
    await runCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 60_000 });
    await page.keyboard.press('Control+Alt+L');
    await page.locator(SIDE_BAR_CHAT_IFRAME).waitFor({ timeout: 120_000 });
    await waitFor('the restored conversation', () => chat.locator('.turn:not(.streaming) .turn-body').allInnerTexts(), (now) => now.length === texts.length, 120_000);
    assert.deepEqual(await chat.locator('.turn:not(.streaming) .turn-body').allInnerTexts(), texts);
    await waitFor('the restored image', () => chat.locator('#image-caption').innerText(), (text) => text.startsWith('shot.png'));
    await failOnPanelError(chat);
    await screenshot(page, 'chat-04-after-reload');
  });
});
