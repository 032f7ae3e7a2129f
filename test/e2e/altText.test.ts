/**
 * Alt text in a real VS Code (code-server), driven through real Chromium with the tiny model.
 * Without a model first: the batch and the quick fix stop at once with a "Download Model" action.
 * Then "Loupe: Generate Missing Alt Text in Workspace": the proposals open in a review list where
 * every one starts accepted, and Apply without changes writes them all to disk; a second run takes
 * its answers from the content-hash cache, an edited proposal is written as edited and a skipped
 * one not at all; "Show Skipped" lists the images Loupe could not describe and opens them.
 * Changing an image afterwards flags its alt text as possibly stale. Then the quick fixes:
 * "Describe diagram" (writes alt text, after review, and a description), "Refine alt text" (the
 * current alt text as context, reviewed and edited before it is written) and "Mark as
 * decorative". The tiny model's words are random: the assertions are about which files change,
 * where, and what the review, the cache and the notifications say.
 *
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { imagesIn, type ImageOccurrence } from '../../src/altText/imageReferences';
import { imageFixture, tinyModelDir } from '../support/paths';
import { openSession, type E2eSession } from './session';
import {
  applyQuickFix,
  inputBoxTitled,
  notification,
  openFile,
  openWorkbench,
  quickOpen,
  runCommand,
  screenshot,
  trustFolder,
  waitFor,
} from './workbench';

const GUIDE = 'docs/guide.md';
const PAGE = 'site/index.html';
/** Written after the first batch: its images are in the cache by then. */
const FAQ = 'docs/faq.md';
/** Ignored by the workspace's .gitignore: the batch must leave it alone. */
const BUILD_COPY = 'build/guide.md';
/** Hidden by files.exclude: the batch must leave it alone. */
const ARCHIVED = 'archive/old.md';
/** The line of GUIDE whose image file does not exist: the batch skips it. */
const MISSING_IMAGE_LINE = 13;

/** Written after the batch ran, for the quick fixes. */
const ARCHITECTURE = 'docs/architecture.md';
const ARCHITECTURE_TEXT = [
  '# Architecture',
  '',
  'How a request flows from the editor to the engine:',
  '',
  '![](../images/flow.png)',
  '',
  'The sign-in form:',
  '',
  '![Screenshot](../images/login.png)',
  '',
  'The next part:',
  '',
  '![](../images/divider.png)',
  '',
].join('\n');

const FILES: Record<string, string> = {
  [GUIDE]: [
    '# Getting started',
    '',
    'Sign in with your work account. The login screen asks for an email address and a password:',
    '',
    '![](../images/login.png)',
    '',
    'Monthly sign-ups since launch:',
    '',
    '![screenshot](../images/signups.png "Sign-ups")',
    '',
    'Our office:',
    '',
    '![](../images/office.png)',
    '',
  ].join('\n'),
  [PAGE]: ['<!doctype html>', '<html lang="en">', '<body>', '  <p>Sign in first.</p>', '  <img src="../images/login.png" width="240">', '</body>', '</html>', ''].join('\n'),
  [BUILD_COPY]: '# Build output\n\n![](../images/login.png)\n',
  [ARCHIVED]: '# Old notes\n\n![](../images/signups.png)\n',
  '.gitignore': 'build/\n',
};

describe('Alt text batch and quick fixes in code-server', { timeout: 20 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  const read = (file: string) => readFileSync(join(workspace, file), 'utf8');
  const images = (file: string): ImageOccurrence[] => imagesIn(read(file), file, file.endsWith('.html') ? 'html' : 'markdown');
  const altOf = (file: string, src: string) => images(file).find((image) => image.src === src)?.alt;
  const untouched = () => [BUILD_COPY, ARCHIVED].map((file) => [file, read(file)]);

  before(async () => {
    // No model yet: the first tests check what happens without one.
    session = await openSession({ name: 'alt', settings: { 'files.exclude': { '**/archive': true } } });
    ({ page, workspace } = session);
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(workspace, file)), { recursive: true });
      writeFileSync(join(workspace, file), text);
    }
    mkdirSync(join(workspace, 'images'));
    copyFileSync(imageFixture('screenshot-256x384.png'), join(workspace, 'images', 'login.png'));
    copyFileSync(imageFixture('chart.png'), join(workspace, 'images', 'signups.png'));
    copyFileSync(imageFixture('diagram.png'), join(workspace, 'images', 'flow.png'));
    copyFileSync(imageFixture('grey.png'), join(workspace, 'images', 'divider.png'));
  });

  after(() => session?.close());

  it('opens the docs workspace and trusts it', async () => {
    await openWorkbench(page, session.server.url, workspace);
    await trustFolder(page);
  });

  it('without a model the batch stops before scanning, with a "Download Model" action', async () => {
    const before = { guide: read(GUIDE), page: read(PAGE) };
    const started = Date.now();
    await runCommand(page, 'Loupe: Generate Missing Alt Text in Workspace');
    const error = notification(page, /no model is installed, so Loupe cannot write alt text yet\. Download one with "Loupe: Download Model"/);
    await error.waitFor({ timeout: 30_000 });
    assert.ok(Date.now() - started < 30_000, 'it fails at once');
    assert.equal(await notification(page, /finding images without alt text/).count(), 0, 'no scan was started');
    await screenshot(page, 'alt-00-no-model');
    await error.locator('.monaco-button', { hasText: /^Download Model$/ }).click();
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Download which model?' }).waitFor();
    await page.keyboard.press('Escape');
    assert.deepEqual({ guide: read(GUIDE), page: read(PAGE) }, before, 'nothing was written');
  });

  it('without a model the quick fix says so with the same action', async () => {
    await quickOpen(page, 'guide.md');
    await applyQuickFix(page, 5, 'Generate alt text (local model)');
    const error = notification(page, /no model is installed, so Loupe cannot write alt text yet/);
    await error.waitFor({ timeout: 30_000 });
    assert.equal(await error.locator('.monaco-button', { hasText: /^Download Model$/ }).count(), 1, 'the action that fixes it');
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'View: Close All Editors');
    // Now the model (code-server reads machine-scoped settings from its Machine settings).
    for (const scope of ['User', 'Machine']) {
      const file = join(session.server.root, 'user-data', scope, 'settings.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), 'loupe.model.path': tinyModelDir }, null, 2));
    }
  });

  it('the batch review starts with every proposal accepted, in full; Apply without changes writes them all', async () => {
    const before = { guide: read(GUIDE), page: read(PAGE), untouched: untouched() };
    // The settings file is read again shortly after it changes: until then the batch still finds no model.
    const review = altReview(page);
    const noModel = notification(page, /no model is installed/);
    await waitFor(
      'the review list',
      async () => {
        await runCommand(page, 'Loupe: Generate Missing Alt Text in Workspace');
        const outcome = await waitFor('the review or the no-model error', async () => ((await review.items.count()) > 0 ? 'review' : (await noModel.isVisible()) ? 'no model' : ''), Boolean, 180_000);
        if (outcome === 'no model') await runCommand(page, 'Notifications: Clear All Notifications');
        return outcome === 'review';
      },
      Boolean,
      120_000,
      1_000,
    );
    await waitFor('three proposals', () => review.items.count(), (count) => count === 3);
    assert.deepEqual(await review.locations(), ['docs/guide.md:5', 'docs/guide.md:9', 'site/index.html:5'], 'one entry per image the model described');
    assert.deepEqual(await review.accepted(), [true, true, true], 'every proposal starts accepted');
    const proposals = await review.proposals();
    for (const proposal of proposals) assert.ok(proposal.length > 0 && proposal.endsWith('.'), `a whole proposal in the field: ${JSON.stringify(proposal)}`);
    assert.equal(proposals[2], proposals[0], 'the same image gets the same words');
    await waitFor('the thumbnails to load', review.thumbnailWidths, (widths) => widths.length === 3 && widths.every((width) => width > 0));
    assert.match(await review.summary(), /3 proposals, 3 accepted; 1 image could not be described/);
    await screenshot(page, 'alt-01-review');

    await review.apply.click();
    await notification(page, /added alt text to 3 of 4 images in 2 files; 1 not described \(2 described by the model, 1 from the cache\)\./).waitFor();
    // On disk, not just in the editor: Apply saves the files it changed.
    await waitFor('the proposals on disk', async () => [altOf(GUIDE, '../images/login.png'), altOf(GUIDE, '../images/signups.png'), altOf(PAGE, '../images/login.png')], (alts) =>
      alts.every((alt, i) => alt === proposals[i]),
    );
    const guide = read(GUIDE);
    assert.match(guide, /"Sign-ups"\)/, 'the image title is kept');
    const otherLines = (text: string) => text.split('\n').filter((line) => !line.startsWith('![') && !line.includes('<img'));
    assert.deepEqual(otherLines(guide), otherLines(before.guide), 'only the image lines changed');
    assert.deepEqual(otherLines(read(PAGE)), otherLines(before.page));
    assert.deepEqual(untouched(), before.untouched, '.gitignore and files.exclude are respected');
    assert.equal(altOf(GUIDE, '../images/office.png'), '', 'the missing image is left alone');

    // The records meant to be committed are announced when first written.
    await notification(page, /Loupe created \.loupe\/alt-text\.json: .*Commit it to share the warnings/).waitFor();
    const records = JSON.parse(read('.loupe/alt-text.json')) as { images: Record<string, { alt: string }> };
    assert.deepEqual(Object.keys(records.images).sort(), ['images/login.png', 'images/signups.png']);
    assert.ok(!existsSync(join(workspace, '.loupe', 'alt-text-cache.json')), 'no cache in the workspace');
    await screenshot(page, 'alt-02-applied');
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('a second run takes both images from the cache; an edited proposal is written as edited, a skipped one not at all', async () => {
    writeFileSync(join(workspace, FAQ), ['# FAQ', '', '![](../images/login.png)', '', '![](../images/signups.png)', ''].join('\n'));
    const review = altReview(page);
    await runCommand(page, 'Loupe: Generate Missing Alt Text in Workspace');
    await waitFor('two proposals', () => review.items.count(), (count) => count === 2, 180_000);
    assert.deepEqual(await review.locations(), ['docs/faq.md:3', 'docs/faq.md:5']);
    const proposals = await review.proposals();
    assert.deepEqual(proposals, [altOf(GUIDE, '../images/login.png'), altOf(GUIDE, '../images/signups.png')], 'the cached words');
    await review.field(0).fill('The sign-in form: email, password and a blue Sign in button.');
    await review.skip(1).check();
    assert.match(await review.apply.innerText(), /Apply 1 of 2/);
    await screenshot(page, 'alt-03-review-edited');
    await review.apply.click();
    const done = notification(page, /added alt text to 1 of 3 images in 1 file; 1 edited by you; 1 skipped in the review; 1 not described \(0 described by the model, 2 from the cache\)\./);
    await done.waitFor();
    await waitFor('docs/faq.md on disk', async () => altOf(FAQ, '../images/login.png'), (alt) => alt === 'The sign-in form: email, password and a blue Sign in button.');
    assert.equal(altOf(FAQ, '../images/signups.png'), '', 'the skipped proposal is not written');

    // "Show Skipped": a list whose entries open the image's place.
    await done.locator('.monaco-button', { hasText: /^Show Skipped$/ }).click();
    const entry = page.locator('.quick-input-widget .monaco-list-row', { hasText: `docs/guide.md:${MISSING_IMAGE_LINE}:1` }).first();
    await entry.waitFor();
    assert.match(await entry.innerText(), /not described/);
    await screenshot(page, 'alt-04-show-skipped');
    await entry.click();
    await page.locator('.tabs-container .tab.active', { hasText: 'guide.md' }).first().waitFor();
    await page.locator('.statusbar-item', { hasText: `Ln ${MISSING_IMAGE_LINE}, Col 1` }).first().waitFor();
    assert.equal(await page.locator('.tabs-container .tab', { hasText: /^Untitled/ }).count(), 0, 'no untitled report');
  });

  it('changing an image after Loupe described it flags its alt text as possibly stale', async () => {
    await quickOpen(page, 'guide.md');
    copyFileSync(imageFixture('diagram.png'), join(workspace, 'images', 'signups.png'));
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const stale = page.locator('.markers-panel .monaco-list-row', { hasText: 'Image "../images/signups.png" changed since Loupe wrote its alt text' });
    await stale.first().waitFor({ timeout: 60_000 });
    await screenshot(page, 'alt-05-stale');
  });

  it('"Describe diagram" writes reviewed alt text and a collapsible description; the finding goes away', async () => {
    writeFileSync(join(workspace, ARCHITECTURE), ARCHITECTURE_TEXT);
    await openNewFile(page, 'docs', 'architecture.md');
    const finding = page.locator('.markers-panel .monaco-list-row', { hasText: 'Image "../images/flow.png" has empty alt text' });
    await finding.first().waitFor();
    await applyQuickFix(page, lineOf(ARCHITECTURE_TEXT, 'flow.png'), 'Describe diagram (local model)');
    const box = await inputBoxTitled(page, /^Alt text for flow\.png \(docs\/architecture\.md:5\)$/);
    assert.ok(box.value.length > 0, 'a proposal to review');
    assert.match(box.prompt, /Enter writes it into the document, Escape writes nothing\. The diagram description is written with it\./);
    await screenshot(page, 'alt-06-describe-review');
    assert.equal(read(ARCHITECTURE), ARCHITECTURE_TEXT, 'nothing written before Enter');
    await page.keyboard.press('Enter');
    const after = await waitFor('architecture.md to be saved with a description', async () => read(ARCHITECTURE), (text) => text !== ARCHITECTURE_TEXT, 180_000);
    const lines = after.split('\n');
    const image = lineOf(after, 'flow.png') - 1;
    assert.equal(altOf(ARCHITECTURE, '../images/flow.png'), box.value, 'the reviewed alt text is written');
    assert.match(lines[image], /^!\[.+\]\(\.\.\/images\/flow\.png\)$/, 'on the image line');
    assert.equal(lines[image + 1], '', 'a blank line separates the image from the block');
    assert.equal(lines[image + 2], '<details><summary>Diagram description</summary>');
    const close = lines.indexOf('</details>', image);
    assert.ok(close > image + 3 && lines.slice(image + 3, close).join('').trim().length > 0, `a description inside: ${JSON.stringify(lines.slice(image, close + 1))}`);
    assert.equal(lines.slice(close + 1).join('\n'), ARCHITECTURE_TEXT.split('\n').slice(image + 1).join('\n'), 'the rest of the file is unchanged');
    await notification(page, /Loupe wrote alt text and a diagram description \(selected\)/).waitFor();
    await finding.first().waitFor({ state: 'hidden' });
    await screenshot(page, 'alt-07-describe-diagram');
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('"Refine alt text" starts from the current alt text; the author edits the proposal before it is written', async () => {
    const before = read(ARCHITECTURE);
    await applyQuickFix(page, lineOf(before, 'Screenshot'), 'Refine alt text (local model)');
    const box = await inputBoxTitled(page, /^Alt text for login\.png \(docs\/architecture\.md:\d+\)$/);
    assert.match(box.prompt, /^Now: "Screenshot"\. /, 'the current alt text is shown');
    assert.ok(box.value.length > 0 && box.value !== 'Screenshot', `a new proposal: ${JSON.stringify(box.value)}`);
    // The proposal was cached under the current alt text, apart from plain alt text answers.
    const cache = JSON.parse(readFileSync(join(session.server.root, 'loupe-home', 'alt-text-cache.json'), 'utf8')) as { entries: Record<string, { alt: string; refines?: string }> };
    assert.ok(Object.values(cache.entries).some((entry) => entry.refines === 'Screenshot' && entry.alt === box.value), 'refinement cached');
    await box.input.fill('The sign-in form with email and password fields.');
    await screenshot(page, 'alt-08-refine-review');
    await page.keyboard.press('Enter');
    await waitFor('the refined alt on disk', async () => altOf(ARCHITECTURE, '../images/login.png'), (alt) => alt === 'The sign-in form with email and password fields.');
    const placeholder = page.locator('.markers-panel .monaco-list-row', { hasText: 'Alt text "Screenshot" of image "../images/login.png" is a placeholder' });
    await placeholder.first().waitFor({ state: 'hidden' });
  });

  it('"Mark as decorative" turns a Markdown image into <img alt="">, as the message says', async () => {
    const finding = page.locator('.markers-panel .monaco-list-row', { hasText: 'Image "../images/divider.png" has empty alt text' });
    await finding.first().waitFor();
    assert.match(await finding.first().innerText(), /If it is decorative, the "Mark as decorative" fix writes it as <img alt="">/);
    const before = read(ARCHITECTURE);
    await applyQuickFix(page, lineOf(before, 'divider.png'), 'Mark as decorative (as <img alt="">)');
    await waitFor('architecture.md to be saved with the decorative image', async () => read(ARCHITECTURE), (text) => text !== before);
    const divider = images(ARCHITECTURE).find((image) => image.src === '../images/divider.png');
    assert.equal(divider?.syntax, 'html');
    assert.equal(divider?.altState, 'text');
    assert.equal(divider?.alt, '', 'alt="" marks it decorative');
    assert.equal(read(ARCHITECTURE).split('\n').length, before.split('\n').length, 'in place, on its own line');
    await finding.first().waitFor({ state: 'hidden' });
    await screenshot(page, 'alt-09-decorative');
  });
});

/** Opens a file created after the window opened, from the Explorer (Quick Open's index lags). */
async function openNewFile(page: Page, folder: string, fileName: string): Promise<void> {
  const collapsed = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${folder}"][aria-expanded="false"]`);
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${fileName}"]`);
  await waitFor(`${fileName} in the Explorer`, async () => {
    if (await collapsed.isVisible()) await collapsed.click();
    return row.isVisible();
  }, Boolean);
  await openFile(page, fileName);
}

/** The 1-based number of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((line) => line.includes(needle)) + 1;
}

/** The batch's review list (webview-ui/altReview/), two iframes deep like every webview. */
function altReview(page: Page) {
  const frame = page.frameLocator('iframe.webview.ready[src*="extensionId=loupe-dev.loupe"]').frameLocator('#active-frame');
  const items = frame.locator('li.proposal');
  return {
    items,
    apply: frame.locator('#apply'),
    summary: () => frame.locator('#summary').innerText(),
    locations: () => items.locator('.location').allInnerTexts(),
    proposals: () => items.locator('textarea').evaluateAll((fields) => fields.map((field) => (field as HTMLTextAreaElement).value)),
    accepted: () => items.locator('input[value="accept"]').evaluateAll((boxes) => boxes.map((box) => (box as HTMLInputElement).checked)),
    thumbnailWidths: () => items.locator('img.thumbnail').evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth)),
    field: (index: number) => items.nth(index).locator('textarea'),
    skip: (index: number) => items.nth(index).locator('input[value="skip"]'),
  };
}
