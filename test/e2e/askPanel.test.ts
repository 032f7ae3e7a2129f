/**
 * The Ask panel in a real VS Code (code-server) driven through real Chromium: Explorer context
 * menu -> panel with thumbnail -> streamed answer from the tiny model -> Stop -> Insert at cursor
 * -> alt text of the image under the cursor. The tiny model's words are random; the assertions
 * are about behaviour (streaming, stopping, what lands in the file), not content.
 *
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { imagesIn } from '../../src/altText/imageReferences';
import { tinyModelDir } from '../support/paths';
import { writeSignInScreenshot } from '../support/signInScreenshot';
import { openSession, type E2eSession } from './session';
import {
  applyQuickFix,
  askAboutPreviewedImage,
  ASK_PANEL_IFRAME,
  askPanel,
  explorerContextCommand,
  explorerRow,
  failOnPanelError,
  focusTab,
  goToLine,
  openFile,
  openWorkbench,
  pickFileInDialog,
  quickOpen,
  runCommand,
  screenshot,
  shownAltReview,
  statusBarItem,
  trustFolder,
  waitFor,
  waitForAnswerEnd,
  waitForSaved,
  startAnswer,
} from './workbench';

const README = ['# Loupe e2e', '', 'The login screen:', '', '![](shot.png)', '', '<img src="shot.png" width="240">', '', 'Notes:', ''].join('\n');
const IMAGE_LINE = 5;
const HTML_IMAGE_LINE = 7;

describe('Ask panel in code-server', { timeout: 20 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  const readme = () => readFileSync(join(workspace, 'README.md'), 'utf8');
  const cspViolations: string[] = [];

  before(async () => {
    session = await openSession({ name: 'ask', settings: { 'loupe.model.path': tinyModelDir } });
    ({ page, workspace } = session);
    writeFileSync(join(workspace, 'README.md'), README);
    await writeSignInScreenshot(join(workspace, 'shot.png'));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(`${message.location().url}: ${message.text()}`);
    });
  });

  after(() => session?.close());

  it('opens the workspace in VS Code and trusts it', async () => {
    await openWorkbench(page, session.server.url, workspace);
    await screenshot(page, '01-workbench');
    await trustFolder(page);
    await screenshot(page, '02-trusted');
  });

  it('"Ask About Image" from the Explorer context menu shows the image in the panel', async () => {
    await openFile(page, 'README.md');
    // Opening Markdown activates the extension; its status bar item says the model is found.
    await statusBarItem(page, 'Loupe: not loaded').waitFor({ timeout: 120_000 });
    await goToLine(page, README.split('\n').length);
    await explorerContextCommand(page, 'shot.png', 'Ask About Image');
    const panel = askPanel(page);
    await panel.locator('#thumbnail').waitFor({ state: 'visible' });
    const caption = await waitFor('the image caption with its pixel size', () => panel.locator('#image-caption').innerText(), (text) => /480×300 px/.test(text));
    assert.match(caption, /^shot\.png · 480×300 px · shot\.png$/);
    assert.equal(await panel.locator('#thumbnail').evaluate((img: HTMLImageElement) => img.naturalWidth), 480);
    await screenshot(page, '03-panel-with-image');
  });

  it('streams the answer token by token', async () => {
    const panel = askPanel(page);
    await panel.locator('#preset').selectOption('balanced');
    await panel.locator('#question').fill('What does this screen ask for?');
    await startAnswer(panel, () => panel.locator('#question').press('Enter'));
    const body = panel.locator('#streaming-answer .turn-body');
    const snapshots: string[] = [];
    // Sample the live answer until it ends; keep each distinct non-empty text seen.
    await waitFor(
      'the answer to finish',
      async () => {
        // allInnerTexts does not wait: the streaming element is gone once the answer is done.
        const [text = ''] = await body.allInnerTexts();
        if (text && text !== snapshots.at(-1)) snapshots.push(text);
        if (snapshots.length === 2) await screenshot(page, '04-streaming');
        return panel.locator('#stop').isHidden();
      },
      Boolean,
      180_000,
      20,
    );
    await waitForAnswerEnd(panel, 'done');
    assert.ok(snapshots.length >= 2, `saw ${snapshots.length} distinct texts while streaming: ${JSON.stringify(snapshots)}`);
    const lengths = snapshots.map((text) => text.length);
    assert.ok(lengths.at(-1)! > lengths[0]!, `the text grew: ${lengths.join(' -> ')}`);
    const readout = await panel.locator('#readout').innerText();
    assert.match(readout, /^\d+ tokens · [\d.]+ tok\/s · first token [\d.]+ (ms|s) · total/);
    await screenshot(page, '05-answer-done');
  });

  it('Insert at cursor writes the answer into the Markdown file', async () => {
    const panel = askPanel(page);
    const before = readme();
    await panel.locator('.turn.assistant').last().locator('[data-insert="cursor"]').click();
    await panel.locator('#notice', { hasText: 'Inserted into README.md' }).waitFor();
    const after = await waitForSaved('README.md to be saved with the answer', () => readme(), before);
    const firstDifference = [...before].findIndex((char, i) => after[i] !== char);
    assert.equal(firstDifference, -1, `the answer went in at the cursor (the end of the file), not at ${firstDifference}: ${JSON.stringify(after.slice(0, 300))}`);
    assert.ok(after.length > before.length + 5, `inserted ${after.length - before.length} characters`);
    await screenshot(page, '06-inserted');
  });

  it('Stop ends a long answer early and keeps what arrived', async () => {
    const panel = askPanel(page);
    // Detailed allows 1,024 new tokens. The tiny model streams up to ~350 tokens/s on CI, so Stop
    // goes as soon as text shows: about 3 s of room for the click and the engine's interrupt.
    await panel.locator('#preset').selectOption('detailed');
    await startAnswer(panel, () => panel.locator('.chip[data-task="describe-diagram"]').click());
    const streaming = panel.locator('.turn.assistant.streaming .turn-body');
    await waitFor('streamed text', async () => (await failOnPanelError(panel), streaming.innerText().catch(() => '')), (text) => text.trim().length > 0, 120_000, 10);
    const clickedAt = Date.now();
    await panel.locator('#stop').click();
    const clickMs = Date.now() - clickedAt;
    await waitForAnswerEnd(panel, 'stopped').catch(async (error: Error) => {
      await screenshot(page, '07-stop-failed');
      throw new Error(`${error.message} (Stop click took ${clickMs} ms; readout: ${await panel.locator('#readout').innerText()})`);
    });
    const readout = await panel.locator('#readout').innerText();
    const tokens = Number(/^(\d+) tokens/.exec(readout)?.[1]);
    assert.match(readout, /stopped$/);
    assert.ok(tokens >= 1 && tokens < 1024, `stopped after ${tokens} of up to 1,024 tokens`);
    const kept = await panel.locator('.turn.assistant').last().locator('.turn-body').innerText();
    assert.ok(kept.trim().length > 0, 'the text that arrived before Stop stays');
    assert.equal(await panel.locator('#stop').isHidden(), true);
    await screenshot(page, '07-stopped');
  });

  it('"Extract text" runs OCR and draws the recognised lines over the image', async () => {
    const panel = askPanel(page);
    await startAnswer(panel, () => panel.locator('.chip[data-task="extract-text"]').click());
    await waitForAnswerEnd(panel, 'ocr');
    const boxes = panel.locator('.ocr-box');
    const texts = await boxes.evaluateAll((elements) => elements.map((element) => (element as HTMLElement).dataset.text ?? ''));
    assert.ok(texts.length >= 3, `recognised lines: ${JSON.stringify(texts)}`);
    const password = texts.findIndex((text) => /password/i.test(text));
    assert.ok(password >= 0, `"Password" among the recognised lines: ${JSON.stringify(texts)}`);
    // The box lies over the word in the preview: its centre is inside the password field (y 136..172 of 300).
    const frame = await panel.locator('#preview .preview-frame').boundingBox();
    const box = await boxes.nth(password).boundingBox();
    const relativeY = (box!.y + box!.height / 2 - frame!.y) / frame!.height;
    assert.ok(relativeY > 136 / 300 && relativeY < 172 / 300, `box centre at ${(relativeY * 300).toFixed(0)} px of 300`);
    await boxes.nth(password).hover();
    const label = await boxes.nth(password).evaluate((element) => {
      const after = getComputedStyle(element, '::after');
      return { display: after.display, content: after.content };
    });
    assert.equal(label.display, 'block', 'hovering shows the recognised text');
    assert.match(label.content, /password/i);
    assert.match(await panel.locator('#readout').innerText(), /^\d+ lines recognised · OCR/);
    await screenshot(page, '08-ocr-overlay');
    await boxes.nth(password).click();
    await panel.locator('#notice', { hasText: 'Copied to the clipboard' }).waitFor();
  });

  it('Find draws numbered boxes over the image, lists them, selects them by keyboard and inserts the list', async () => {
    const panel = askPanel(page);
    await panel.locator('#preset').selectOption('fast');
    // With the box empty, Find says what it needs instead of asking the model.
    await panel.locator('#question').fill('');
    await panel.locator('.chip[data-task="find"]').click();
    await panel.locator('#notice', { hasText: 'Type what to find in the question box' }).waitFor();
    // Words the tiny model's random weights answer with one box along the top (loupe find shows the same).
    await panel.locator('#question').fill('the logo');
    await startAnswer(panel, () => panel.locator('.chip[data-task="find"]').click());
    await waitForAnswerEnd(panel, 'done');
    assert.equal((await panel.locator('.turn.user').last().locator('.turn-body').innerText()).trim(), 'Find: the logo');
    assert.equal(await panel.locator('#question').inputValue(), '', 'the words sent left the box');
    const answer = await panel.locator('.turn.assistant').last().locator('.turn-body').innerText();
    const count = Number(/^(\d+) found/.exec(answer)?.[1]);
    // The list's lines, rendered (an ordered list: its numbers are markers, not text).
    const listed = [...answer.matchAll(/: (\d+), (\d+), (\d+) × (\d+)$/gm)].map((match) => match.slice(1).map(Number));
    assert.ok(count >= 1 && listed.length === count, `the answer counts and lists the boxes: ${JSON.stringify(answer)}`);
    assert.match(answer, /of the 480×300 image/);
    const boxes = panel.locator('.found-box');
    assert.equal(await boxes.count(), count, 'one box drawn per listed one');
    assert.match(await panel.locator('#readout').innerText(), new RegExp(`^${count} found · total`));
    // Each box lies where the list says, in the preview's scale (480×300 image).
    const frame = (await panel.locator('#preview .preview-frame').boundingBox())!;
    for (const [index, [x, y, width, height]] of listed.entries()) {
      const box = (await boxes.nth(index).boundingBox())!;
      const place = [(box.x - frame.x) / frame.width, (box.y - frame.y) / frame.height, box.width / frame.width, box.height / frame.height];
      const expected = [x! / 480, y! / 300, width! / 480, height! / 300];
      assert.ok(place.every((value, i) => Math.abs(value - expected[i]!) < 0.02), `box ${index + 1} at ${place.map((v) => v.toFixed(3))}, listed ${expected.map((v) => v.toFixed(3))}`);
      assert.equal(await boxes.nth(index).getAttribute('data-index'), String(index + 1));
    }
    // Keyboard: Tab order reaches the boxes; the arrow keys go round them; focus shows the label.
    await boxes.first().focus();
    await page.keyboard.press('ArrowRight');
    const focused = await panel.locator('.found-box:focus').getAttribute('data-index');
    assert.equal(focused, String(count === 1 ? 1 : 2));
    const label = await panel.locator('.found-box:focus').evaluate((element) => {
      const after = getComputedStyle(element, '::after');
      return { display: after.display, content: after.content, aria: element.getAttribute('aria-label') };
    });
    assert.equal(label.display, 'block', 'the focused box shows its label');
    assert.match(label.aria ?? '', new RegExp(`^Found ${focused} of ${count}: `));
    await screenshot(page, '08b-find-boxes');
    await page.keyboard.press('Enter');
    await panel.locator('#notice', { hasText: 'Copied to the clipboard' }).waitFor();
    // Insert at cursor writes the list into the document.
    const before = readme();
    await panel.locator('.turn.assistant').last().locator('[data-insert="cursor"]').click();
    const after = await waitForSaved('README.md to be saved with the list', () => readme(), before);
    assert.match(after, new RegExp(`\\*\\*${count} found\\*\\*`));
    assert.ok(listed.every(([x, y, width, height]) => after.includes(`: ${x}, ${y}, ${width} × ${height}`)), 'every box is in the inserted text');
  });

  it('a region set with the keyboard alone: OCR reads only there, its boxes placed in the whole image', async () => {
    const panel = askPanel(page);
    const regionBox = panel.locator('#region-box');
    await panel.locator('#region-toggle').focus();
    await page.keyboard.press('Enter');
    await waitFor('the region to take the keyboard', () => regionBox.evaluate((element) => element === document.activeElement), Boolean, 10_000, 20);
    assert.equal(await regionBox.getAttribute('data-region'), '120,75,240,150', 'it starts on the middle half');
    // Steps are 2% of a side (10 px across, 6 px down the 480×300 image): onto the password field (y 136..172).
    // Grown to 400 px wide, the region is pushed left to x 80 to stay in the image; four steps left then.
    const presses: [string, number][] = [['Shift+ArrowUp', 17], ['ArrowDown', 9], ['Shift+ArrowRight', 16], ['ArrowLeft', 4]];
    for (const [key, times] of presses) for (let i = 0; i < times; i++) await page.keyboard.press(key);
    await waitFor('the region to follow the keys', () => regionBox.getAttribute('data-region'), (value) => value === '40,129,400,48', 10_000, 20);
    assert.match(await panel.locator('#image-caption').innerText(), /asking about the region 40, 129, 400 × 48 px/);
    assert.match((await regionBox.getAttribute('aria-label')) ?? '', /^Questions are about the region 40, 129, 400 × 48 px of 480 × 300\. Arrow keys move it/);
    await screenshot(page, '08c-region-keyboard');
    // Enter with no question typed says what to do and puts the keyboard in the question box.
    await page.keyboard.press('Enter');
    await panel.locator('#notice', { hasText: 'Type a question about the region 40, 129, 400 × 48 px' }).waitFor();
    assert.equal(await panel.locator('#question').evaluate((element) => element === document.activeElement), true);
    const extract = panel.locator('.chip[data-task="extract-text"]');
    await extract.focus();
    await startAnswer(panel, () => page.keyboard.press('Enter'));
    await waitForAnswerEnd(panel, 'ocr');
    assert.equal((await panel.locator('.turn.user').last().locator('.turn-note').innerText()).trim(), 'About the region 40, 129, 400 × 48 px');
    const boxes = panel.locator('.ocr-box');
    const texts = await boxes.evaluateAll((elements) => elements.map((element) => (element as HTMLElement).dataset.text ?? ''));
    assert.ok(texts.some((text) => /password/i.test(text)), `"Password" read: ${JSON.stringify(texts)}`);
    assert.ok(!texts.some((text) => /email|log in|sign in/i.test(text)), `nothing outside the region read: ${JSON.stringify(texts)}`);
    // Each line's box lies inside the region, placed in the whole image's preview.
    const frame = (await panel.locator('#preview .preview-frame').boundingBox())!;
    for (let i = 0; i < texts.length; i++) {
      const box = (await boxes.nth(i).boundingBox())!;
      const centreY = ((box.y + box.height / 2 - frame.y) / frame.height) * 300;
      assert.ok(centreY > 129 && centreY < 177, `line ${JSON.stringify(texts[i])} centred at y ${centreY.toFixed(0)} of 300`);
    }
    await screenshot(page, '08d-region-ocr');
    // Escape on the rectangle asks about the whole image again.
    await regionBox.focus();
    await page.keyboard.press('Escape');
    await regionBox.waitFor({ state: 'hidden' });
    assert.equal(await panel.locator('#region-toggle').innerText(), 'Select region');
    assert.doesNotMatch(await panel.locator('#image-caption').innerText(), /region/);
  });

  it('the panel keeps its conversation when hidden and shown again', async () => {
    const panel = askPanel(page);
    const turns = await panel.locator('.turn').count();
    assert.ok(turns >= 2);
    const before = await panel.locator('.turn').allInnerTexts();
    // Open the image preview in the panel's group: the webview is destroyed (no retained context)…
    await focusTab(page, 'Loupe');
    await quickOpen(page, 'shot.png');
    await page.locator(ASK_PANEL_IFRAME).waitFor({ state: 'hidden' });
    // …and comes back from its saved state when its tab is selected again.
    await focusTab(page, 'Loupe');
    await waitFor('the restored conversation', () => panel.locator('.turn').count(), (count) => count === turns).catch(async (error: Error) => {
      await screenshot(page, '09-restore-failed');
      throw new Error(`${error.message}\nbefore: ${JSON.stringify(before.map((t) => t.slice(0, 60)))}\nafter: ${JSON.stringify((await panel.locator('.turn').allInnerTexts()).map((t) => t.slice(0, 60)))}`);
    });
    assert.match(await panel.locator('#image-caption').innerText(), /^shot\.png · 480×300 px/);
    assert.equal(await panel.locator('#model-status').innerText(), 'Model ready · lfm2-vl-tiny');
    assert.ok((await panel.locator('.ocr-box').count()) >= 1, "the latest answer's boxes (the region's OCR) come back with it");
    await screenshot(page, '09-restored');
  });

  it('compares two images: the same pixels are said without the model; two selected in the Explorer show their changes over both', async () => {
    const panel = askPanel(page);
    copyFileSync(join(workspace, 'shot.png'), join(workspace, 'same.png'));
    // The "Log in" button (40,200 140×40) painted over: the one change.
    const shot = join(workspace, 'shot.png');
    const patch = await sharp({ create: { width: 140, height: 40, channels: 3, background: '#c42b1c' } }).png().toBuffer();
    await sharp(shot).composite([{ input: patch, left: 40, top: 200 }]).toFile(join(workspace, 'after.png'));

    await panel.locator('#compare-with').click();
    await pickFileInDialog(page, join(workspace, 'same.png'));
    await waitFor('the second image', () => panel.locator('#second-caption').innerText(), (text) => text === 'Compared with: same.png · 480×300 px · same.png');
    assert.equal(await panel.locator('.chip[data-task="explain-screenshot"]').isDisabled(), true, 'the tasks are about one image');
    assert.match(await panel.locator('#ask-hint').innerText(), /^Comparing two images/);
    await panel.locator('#question').fill('What changed?');
    await startAnswer(panel, () => panel.locator('#question').press('Enter'));
    await waitForAnswerEnd(panel, 'done');
    assert.equal((await panel.locator('.turn.user').last().locator('.turn-note').innerText()).trim(), 'Compared with same.png');
    assert.equal((await panel.locator('.turn.assistant').last().locator('.turn-body').innerText()).trim(), 'No pixel changed: the two images are the same.');

    // Two images selected in the Explorer, then Compare Images… on them: asked at once.
    await (await explorerRow(page, 'shot.png')).click();
    await (await explorerRow(page, 'after.png')).click({ modifiers: ['Control'] });
    const answers = await panel.locator('.turn.assistant:not(.streaming)').count();
    await explorerContextCommand(page, 'after.png', 'Compare Images…');
    await waitFor('the comparison to be answered', () => panel.locator('.turn.assistant:not(.streaming)').count(), (count) => count > answers, 120_000);
    await waitForAnswerEnd(panel, 'done');
    assert.match(await panel.locator('#image-caption').innerText(), /^shot\.png · 480×300 px/);
    assert.match(await panel.locator('#second-caption').innerText(), /^Compared with: after\.png · 480×300 px/);
    assert.equal((await panel.locator('.turn.user').last().locator('.turn-body').innerText()).trim(), 'What changed between these two images?');
    // The changed region lies over the button in both images.
    for (const [preview, overlay] of [['#preview', '#box-overlay'], ['#second-preview', '#second-overlay']]) {
      const boxes = panel.locator(`${overlay} .change-box`);
      assert.equal(await boxes.count(), 1, `one changed region over ${preview}`);
      const place = await placeIn(panel, preview, boxes.first());
      const expected = [40 / 480, 200 / 300, 140 / 480, 40 / 300];
      assert.ok(place.every((value, i) => Math.abs(value - expected[i]!) < 0.03), `${preview}: change at ${place.map((v) => v.toFixed(3))}, the button at ${expected.map((v) => v.toFixed(3))}`);
    }
    await panel.locator('#preview').evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await screenshot(page, '09b-compare');
    await panel.locator('#clear-second').click();
    await panel.locator('#second-preview').waitFor({ state: 'hidden' });
    assert.equal(await panel.locator('.chip[data-task="explain-screenshot"]').isDisabled(), false);
  });

  it('the alt text of the image under the cursor is filled, escaped for Markdown', async () => {
    await focusTab(page, 'README.md');
    await goToLine(page, IMAGE_LINE);
    await runCommand(page, 'Loupe: Ask About Image Under Cursor');
    const panel = askPanel(page);
    const altButton = panel.locator('.turn.assistant').last().locator('[data-insert="altText"]');
    await panel.locator('#preset').selectOption('fast');
    await startAnswer(panel, () => panel.locator('.chip[data-task="alt-text"]').click());
    await waitForAnswerEnd(panel, 'done');
    await altButton.waitFor({ state: 'visible' });
    assert.match(await altButton.getAttribute('title') ?? '', /shot\.png in README\.md:5/);
    const before = readme();
    await altButton.click();
    await panel.locator('#notice', { hasText: 'Set the alt text of shot.png' }).waitFor();
    const after = await waitForSaved('README.md to be saved with the alt text', () => readme(), before);
    const [image] = imagesIn(after, 'README.md', 'markdown');
    assert.equal(image?.src, 'shot.png', 'the image still points at the same file');
    assert.ok(image.alt && image.alt.trim().length > 0, `alt text filled: ${JSON.stringify(image.alt)}`);
    // Exactly the string the panel showed as the answer (defect 10).
    assert.equal(image.alt, (await panel.locator('.turn.assistant').last().locator('.turn-body').innerText()).trim());
    const otherLines = (text: string) => text.split('\n').filter((_, i) => i !== IMAGE_LINE - 1);
    assert.deepEqual(otherLines(after), otherLines(before), 'only the image line changed');
    await screenshot(page, '10-alt-text');
  });

  it('the "Generate alt text" quick fix fills a missing HTML alt attribute', async () => {
    await focusTab(page, 'README.md');
    const before = readme();
    await applyQuickFix(page, HTML_IMAGE_LINE, 'Generate alt text (local model)');
    // The proposal is reviewed first, with its image, beside the document (altTextQuickFixes.ts): Apply writes it.
    const review = await shownAltReview(page);
    await review.apply.click();
    const after = await waitForSaved('README.md to be saved with the generated alt', () => readme(), before, 180_000);
    const html = imagesIn(after, 'README.md', 'markdown').find((image) => image.syntax === 'html');
    assert.equal(html?.altState, 'text', `the <img> has an alt attribute: ${after.split('\n')[HTML_IMAGE_LINE - 1]}`);
    assert.ok(html.alt && html.alt.length > 0 && html.alt.length <= 125, `alt: ${JSON.stringify(html?.alt)}`);
    await screenshot(page, '11-quick-fix');
  });

  it('an image pasted into the panel replaces the current one, and the conversation goes on', async () => {
    const panel = askPanel(page);
    await panel.locator('#preview').waitFor();
    const turns = await panel.locator('.turn').count();
    // A real paste event with a PNG file, as the browser fires it for Ctrl+V with an image.
    await panel.locator('body').evaluate(async (body) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      canvas.getContext('2d')!.fillRect(0, 0, 64, 48);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'clip.png', { type: 'image/png' }));
      body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }));
    });
    await waitFor('the pasted image with its size', () => panel.locator('#image-caption').innerText(), (text) => text === 'clip.png · 64×48 px · Pasted image');
    assert.ok(turns > 0);
    assert.equal(await panel.locator('.turn').count(), turns, 'the conversation goes on: the earlier turns stay');
    await screenshot(page, '12-pasted');
  });

  it("the image preview's title bar button asks about the open image", async () => {
    await focusTab(page, 'README.md');
    await askAboutPreviewedImage(page, 'shot.png');
    const panel = askPanel(page);
    await waitFor('the previewed image in the panel', () => panel.locator('#image-caption').innerText(), (text) => text === 'shot.png · 480×300 px · shot.png');
    await screenshot(page, '13-from-image-preview');
  });

  it('nothing in the panel was blocked by its Content Security Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});

/** Where a box lies in a preview's frame: left, top, width and height as shares of the frame. */
async function placeIn(panel: FrameLocator, preview: string, box: ReturnType<FrameLocator['locator']>): Promise<number[]> {
  const frame = (await panel.locator(`${preview} .preview-frame`).boundingBox())!;
  const rect = (await box.boundingBox())!;
  return [(rect.x - frame.x) / frame.width, (rect.y - frame.y) / frame.height, rect.width / frame.width, rect.height / frame.height];
}
