/**
 * The side-bar chat in a real VS Code (code-server) through real Chromium, as a keyboard user and
 * a screen reader would meet it: the keybinding opens it with the typing going into the question
 * box; Attach takes a file, and a corrupt or truncated one is refused at once next to the image
 * (the old image gone, with "Choose another image"); answers carry speaker labels and their own
 * Copy / Insert / Retry, kept inside the answer and under the question box; a new turn comes into
 * view even when the reader had scrolled up; task chips add turns and leave typed text alone; the
 * first-token time stays the same when the answer ends; an answer cut at the token limit offers
 * Continue; the preset dropdown leaves the user setting alone; the conversation survives a window
 * reload.
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
  pickColorTheme,
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
  waitForSaved,
  startAnswer,
} from './workbench';

const README = ['# Chat e2e', '', 'Notes:', ''].join('\n');

const activeId = (chat: FrameLocator) => chat.locator('body').evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
/** The element with the keyboard, if the chat has it at all (an element stays active in a page that lost focus). */
const keyboardAt = (chat: FrameLocator) => chat.locator('body').evaluate(() => (document.hasFocus() ? document.activeElement?.id || document.activeElement?.tagName : 'outside the chat'));
const firstTokenOf = (readout: string) => /first token ([\d.]+ (?:ms|s))/.exec(readout)?.[1];

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
const inside = (inner: Box, outer: Box) => inner.top >= outer.top - 1 && inner.bottom <= outer.bottom + 1 && inner.left >= outer.left - 1 && inner.right <= outer.right + 1;
const intersects = (a: Box, b: Box) => a.top < b.bottom && b.top < a.bottom && a.left < b.right && b.left < a.right;

/** Where things are in the chat's window: the question form, the latest answer, each shown answer button and its answer. */
const chatLayout = (chat: FrameLocator) =>
  // No helper functions inside: the test's compiler would wrap them in a helper the page lacks.
  chat.locator('body').evaluate(() => {
    const buttons = [...document.querySelectorAll<HTMLElement>('.turn.assistant:not(.streaming) button[data-answer-action]')].filter((button) => button.offsetParent);
    return {
      ask: document.getElementById('ask-form')!.getBoundingClientRect().toJSON() as Box,
      latest: [...document.querySelectorAll('.turn.assistant:not(.streaming)')].at(-1)!.getBoundingClientRect().toJSON() as Box,
      buttons: buttons.map((button) => ({
        label: button.textContent,
        box: button.getBoundingClientRect().toJSON() as Box,
        answer: button.closest('.turn')!.getBoundingClientRect().toJSON() as Box,
      })),
    };
  });

/** The latest answer's end (its buttons) is in sight, between the top of the chat and the question box. */
function assertLatestAnswerInView(layout: Awaited<ReturnType<typeof chatLayout>>): void {
  const { latest, ask } = layout;
  assert.ok(latest.bottom > 0 && latest.bottom <= ask.top + 1, `the latest answer (${Math.round(latest.top)}–${Math.round(latest.bottom)} px) is not in view above the question box (at ${Math.round(ask.top)} px)`);
}

describe('Side-bar chat in code-server', { timeout: 25 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  let chat: FrameLocator;
  const readme = () => readFileSync(join(workspace, 'README.md'), 'utf8');
  const userSettings = () => readFileSync(join(session.server.root, 'user-data', 'User', 'settings.json'), 'utf8');
  const turns = () => chat.locator('.turn:not(.streaming)');

  before(async () => {
    session = await openSession({ name: 'chat', settings: { 'loupe.model.path': tinyModelDir } });
    ({ page, workspace } = session);
    writeFileSync(join(workspace, 'README.md'), README);
    await sharp({ create: { width: 320, height: 200, channels: 3, background: '#2b579a' } }).png().toFile(join(workspace, 'shot.png'));
    copyFileSync(imageFixture('corrupt.jpg'), join(workspace, 'corrupt.jpg'));
    copyFileSync(imageFixture('truncated.png'), join(workspace, 'truncated.png'));
    await sharp({ create: { width: 200, height: 120, channels: 3, background: '#c0392b' } }).png().toFile(join(workspace, 'second.png'));
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
    // Tab goes the way the eye does: top to bottom, then left to right within a row.
    await chat.locator('#preset').focus();
    const stops: { id: string; top: number; left: number }[] = [];
    for (let i = 0; i < 12 && stops.at(-1)?.id !== 'new-conversation'; i++) {
      stops.push(await chat.locator('body').evaluate(() => {
        const active = document.activeElement as HTMLElement;
        const box = active.getBoundingClientRect();
        return { id: active.id || active.textContent!.trim(), top: Math.round(box.top + scrollY), left: Math.round(box.left) };
      }));
      await page.keyboard.press('Tab');
    }
    const backwards = stops.filter((stop, i) => i > 0 && (stop.top < stops[i - 1]!.top - 4 || (Math.abs(stop.top - stops[i - 1]!.top) <= 4 && stop.left < stops[i - 1]!.left)));
    assert.deepEqual(backwards, [], `Tab order against the visual order: ${JSON.stringify(stops)}`);
    // The model picker after the preset; the question box and its buttons last, where they show (Ask is disabled: no image yet).
    assert.equal(stops[1]?.id, 'choose-model');
    assert.deepEqual(stops.map((stop) => stop.id).slice(-3), ['question', 'attach', 'new-conversation']);
    assert.ok(stops.findIndex((stop) => stop.id === 'question') > stops.findIndex((stop) => stop.id === 'drop-zone'), 'the image comes before the question');
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
    // The file dialog hands the keyboard back to the chat, not to the editor.
    await waitFor('the keyboard back in the question box', () => keyboardAt(chat), (at) => at === 'question');

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
    await waitFor('the truncated PNG refused', () => imageError.innerText(), (text) => /^truncated\.png is damaged or incomplete/.test(text));
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
    await startAnswer(chat, () => chat.locator('#question').press('Enter'));
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
    const answers = await chat.locator('.turn.assistant:not(.streaming)').count();
    await chat.locator('.chip[data-task="alt-text"]').click();
    await waitForAnswerStart(chat, answers);
    // The chip is disabled while it answers; the keyboard is in the question box, not lost on the page.
    assert.equal(await keyboardAt(chat), 'question');
    await waitForAnswerEnd(chat, 'done');
    assert.deepEqual(await chat.locator('.turn-label').allInnerTexts(), ['You', 'Loupe', 'You', 'Loupe · Alt text']);
    assert.equal(await chat.locator('#question').inputValue(), 'my unfinished follow-up', 'the chip did not take the typed text');
    assert.match(await chat.locator('#readout').innerText(), /cut at 64 tokens/);
    const cut = chat.locator('.turn.assistant').last().locator('.cut-notice');
    assert.match(await cut.innerText(), /Answer cut at 64 tokens/);
    // A screen reader hears the answer itself, and where the whole of it is.
    const answerStart = (await chat.locator('.turn.assistant').last().locator('.turn-body').innerText()).replace(/\s+/g, ' ').trim().slice(0, 40);
    const announced = await waitFor('the announcement', () => chat.locator('#announcer').innerText(), (text) => /cut at 64 tokens/.test(text));
    assert.ok(announced.replace(/\s+/g, ' ').includes(answerStart), `announced "${announced}", not the answer "${answerStart}…"`);
    assert.match(announced, /Alt\+F2 reads the whole answer/);
    // Alt+F2, as in VS Code's Accessible View: the answer as text to read line by line; Esc goes back.
    await chat.locator('#question').focus();
    await page.keyboard.press('Alt+F2');
    const reader = chat.locator('#reader');
    await reader.waitFor({ state: 'visible' });
    assert.equal(await keyboardAt(chat), 'reader-text');
    assert.ok((await chat.locator('#reader-text').inputValue()).replace(/\s+/g, ' ').includes(answerStart.split(' ').slice(0, 3).join(' ')));
    assert.match(await chat.locator('#reader-title').innerText(), /^Answer to: Alt text/);
    await screenshot(page, 'chat-03a-reader');
    await page.keyboard.press('Escape');
    await reader.waitFor({ state: 'hidden' });
    assert.equal(await keyboardAt(chat), 'question');
    await screenshot(page, 'chat-03-cut');
    // Counted before the click: a 64-token answer can be over by the time the test looks.
    const answersBefore = await chat.locator('.turn.assistant:not(.streaming)').count();
    await cut.getByRole('button', { name: 'Continue' }).click();
    await waitForAnswerStart(chat, answersBefore);
    await waitForAnswerEnd(chat, 'done');
    assert.equal(await turns().count(), 6);
    assert.equal(await chat.locator('.turn.user').last().innerText(), 'You\nContinue');
    // Continue goes on with the alt text: its label, and its 64-token limit rather than a question's 256.
    assert.equal(await chat.locator('.turn-label').last().innerText(), 'Loupe · Alt text');
    assert.match(await chat.locator('#readout').innerText(), /cut at 64 tokens/);
    await chat.locator('#question').fill('');
  });

  it("keeps a new turn in view, and an answer's buttons inside it and under the question box", async () => {
    // At the end of an answer the page is at the bottom: the latest answer's end is in sight,
    // above the question box, and every answer's buttons lie inside their answer.
    let layout = await chatLayout(chat);
    assertLatestAnswerInView(layout);
    for (const { label, box, answer } of layout.buttons) {
      assert.ok(inside(box, answer), `${label} lies outside its answer: ${JSON.stringify({ box, answer })}`);
      assert.ok(!intersects(box, layout.ask), `${label} overlaps the question box: ${JSON.stringify({ box, ask: layout.ask })}`);
    }

    // Scrolled so the latest answer's buttons pass under the question box: the box is drawn over
    // them, disabled (translucent) ones included, which once showed through it.
    await chat.locator('body').evaluate(() => {
      window.scrollTo(0, 0);
      const bar = [...document.querySelectorAll('.turn.assistant .answer-actions')].at(-1)!;
      window.scrollBy(0, bar.getBoundingClientRect().top - document.getElementById('question')!.getBoundingClientRect().top);
    });
    const underBox = await chat.locator('body').evaluate(() => {
      const form = document.getElementById('ask-form')!;
      const formBox = form.getBoundingClientRect();
      const bar = [...document.querySelectorAll('.turn.assistant .answer-actions')].at(-1)!;
      return [...bar.querySelectorAll<HTMLButtonElement>('button')]
        .filter((button) => !button.hidden)
        .flatMap((button) => {
          const { left, right, top, bottom } = button.getBoundingClientRect();
          const [x, y] = [(left + right) / 2, (top + bottom) / 2];
          if (y < formBox.top || y > Math.min(formBox.bottom, window.innerHeight) - 1) return [];
          const hit = document.elementFromPoint(x, y);
          return [{ label: button.textContent, disabled: button.disabled, drawn: hit && form.contains(hit) ? 'question box' : (hit?.textContent ?? 'nothing') }];
        });
    });
    assert.ok(underBox.some((button) => button.disabled), `a disabled button passes under the question box: ${JSON.stringify(underBox)}`);
    for (const button of underBox) assert.equal(button.drawn, 'question box', `drawn over the question box: ${JSON.stringify(button)}`);

    // The reader scrolled up to read; a new question brings the new turn into view.
    await chat.locator('body').evaluate(() => window.scrollTo(0, 0));
    layout = await chatLayout(chat);
    assert.ok(layout.latest.top >= layout.ask.top, 'the conversation is taller than the chat, so the latest answer is out of sight');
    await startAnswer(chat, () => chat.locator('.chip[data-task="explain-screenshot"]').click());
    await waitForAnswerEnd(chat, 'done');
    assert.equal(await chat.locator('.turn-label').last().innerText(), 'Loupe · Explain screenshot');
    layout = await chatLayout(chat);
    assertLatestAnswerInView(layout);
    await screenshot(page, 'chat-03b-new-turn-in-view');
  });

  it('each answer has Copy and Insert; Retry asks the latest question again', async () => {
    await chat.locator('.turn.assistant').first().locator('[data-insert="copy"]').click();
    await chat.locator('#notice', { hasText: 'Copied to the clipboard' }).waitFor();

    const before = readme();
    const first = chat.locator('.turn.assistant').first();
    await first.locator('[data-insert="cursor"]').click();
    await chat.locator('#notice', { hasText: 'Inserted into README.md' }).waitFor();
    const after = await waitForSaved('README.md to be saved with the first answer', () => readme(), before);
    const letters = (text: string) => text.replace(/[^\p{L}\p{N}]/gu, '');
    const inserted = letters(after.slice(before.length));
    assert.ok(inserted.length > 3, `inserted: ${JSON.stringify(after.slice(before.length))}`);
    assert.ok(letters(await first.locator('.turn-body').innerText()).startsWith(inserted.slice(0, 12)), 'the first answer, not the latest, went in');

    const count = await turns().count();
    const lastQuestion = await chat.locator('.turn.user').last().innerText();
    const lastAnswer = await chat.locator('.turn.assistant').last().locator('.turn-body').innerText();
    // Retry shows only on the latest answer.
    assert.equal(await first.locator('[data-answer-action="retry"]').isHidden(), true);
    await startAnswer(chat, () => chat.locator('.turn.assistant').last().locator('[data-answer-action="retry"]').click());
    assert.equal(await keyboardAt(chat), 'question', 'Retry took its own button away; the keyboard went to the question');
    await waitForAnswerEnd(chat, 'done');
    assert.equal(await turns().count(), count);
    assert.equal(await chat.locator('.turn.user').last().innerText(), lastQuestion);
    // Sampled anew (a seed of its own), not the same answer again.
    assert.notEqual(await chat.locator('.turn.assistant').last().locator('.turn-body').innerText(), lastAnswer);
  });

  it('a second image goes on with the conversation, shown beside its question; New conversation can be undone', async () => {
    const count = await turns().count();
    await chat.locator('#attach').click();
    await pickFileInDialog(page, join(workspace, 'second.png'));
    await waitFor('the second image', () => chat.locator('#image-caption').innerText(), (text) => text.startsWith('second.png'));
    assert.equal(await turns().count(), count, 'the earlier turns stay');
    // The icon is made once the image has loaded.
    await waitFor('the image loaded', () => chat.locator('#thumbnail').evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0), Boolean);
    const answersBefore = await chat.locator('.turn.assistant:not(.streaming)').count();
    await chat.locator('#question').fill('What colour is this one?');
    await chat.locator('#question').press('Enter');
    await waitForAnswerStart(chat, answersBefore);
    await waitForAnswerEnd(chat, 'done');
    const asked = chat.locator('.turn.user').last();
    assert.equal(await asked.locator('.turn-image figcaption').innerText(), 'About second.png');
    assert.ok(await asked.locator('.turn-image img').evaluate((image: HTMLImageElement) => image.naturalWidth > 0 && image.naturalWidth <= 96), 'a small picture of it');
    assert.equal(await turns().count(), count + 2);
    await asked.scrollIntoViewIfNeeded();
    await screenshot(page, 'chat-05-second-image');

    await chat.locator('#new-conversation').click();
    await waitFor('an empty conversation', () => turns().count(), (now) => now === 0);
    assert.match(await chat.locator('#notice').innerText(), /Undo brings back the last one \(\d+ questions\)/);
    await chat.getByRole('button', { name: 'Undo' }).click();
    await waitFor('the conversation back', () => turns().count(), (now) => now === count + 2);
    assert.equal(await chat.getByRole('button', { name: 'Undo' }).isHidden(), true);
  });

  it('the preset dropdown leaves the loupe.preset user setting alone', async () => {
    await chat.locator('#preset').selectOption('detailed');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.match(userSettings(), /"loupe\.preset": "fast"/);
    await chat.locator('#preset').selectOption('fast');
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
    await waitFor('the restored image', () => chat.locator('#image-caption').innerText(), (text) => text.startsWith('second.png'));
    await failOnPanelError(chat);
    await screenshot(page, 'chat-04-after-reload');
  });

  it('looks right in light, dark and high-contrast themes', async () => {
    // A short answer (alt text stops at 64 tokens) in a somewhat taller window, so the image, the
    // question and the whole answer with its buttons fit in one screenshot for docs/images.
    await page.setViewportSize({ width: 1400, height: 1050 });
    await chat.locator('#new-conversation').click();
    await startAnswer(chat, () => chat.locator('.chip[data-task="alt-text"]').click());
    await waitForAnswerEnd(chat, 'done');
    assertLatestAnswerInView(await chatLayout(chat));
    // Picked as a user does, by the labels the theme picker shows. The window starts light: dark
    // first, so each switch changes the colours.
    for (const [theme, name] of [
      ['Dark Modern', 'chat-dark'],
      ['Dark High Contrast', 'chat-high-contrast'],
      ['Light Modern', 'chat-light'],
    ] as const) {
      const background = await chat.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
      await pickColorTheme(page, theme);
      // The chat follows the theme: its colours are VS Code's theme variables.
      await waitFor(`the ${theme} theme in the chat`, () => chat.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor), (now) => now !== background);
      await screenshot(page, name);
    }
  });
});
