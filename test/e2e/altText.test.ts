/**
 * Alt text in a real VS Code (code-server), driven through real Chromium with the tiny model.
 * Without a model first: the batch and the quick fix stop at once with a "Download Model" action.
 * Then "Loupe: Generate Missing Alt Text in Workspace": the proposals open in a review list where
 * every one starts accepted, and Apply without changes writes them all to disk; `.loupe/alt-text.json`
 * is created only after the author says Create. A second run takes its answers from the
 * content-hash cache, an edited proposal is written as edited and a skipped one not at all; "Show
 * Skipped" lists the images Loupe could not describe and opens them. An edit goes to the same image
 * in another file, labelled as the author's. Changing an image afterwards flags its alt text as
 * possibly stale. Then the quick fixes, reviewed in the same page with the image shown: "Describe
 * diagram" (alt text and a description), "Refine alt text" (the current alt text as context;
 * Cancel writes nothing, an edit is written) and "Mark as decorative"; remote images get no
 * Generate, but a fix that puts the cursor in their alt text. Last, another folder where the
 * author answers "Not in This Workspace": no records there, and no second question. The tiny
 * model's words are random: the assertions are about which files change, where, and what the
 * review, the cache and the notifications say.
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
  altReviewIn,
  applyQuickFix,
  goToLine,
  notification,
  openFile,
  openWorkbench,
  quickOpen,
  runCommand,
  screenshot,
  trustFolder,
  waitFor,
  waitForSaved,
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

/** Written after the second batch: the same new image in both, for the shared edit. */
const INTRO = 'docs/intro.md';
const SETUP = 'docs/setup.md';
/** Remote images: no model fixes there. */
const LINKS = 'docs/links.md';
const LINKS_TEXT = ['# Links', '', '![](https://example.invalid/badge.svg)', '', '<img src="https://example.invalid/logo.png">', ''].join('\n');
const WRITE_REMOTE = 'Write alt text for this remote image (Loupe does not download images)';

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

    // The records meant to be committed: created only once the author agrees (once per workspace).
    const question = notification(page, /Loupe wrote alt text\. Create \.loupe\/alt-text\.json to record it\? .*it is meant to be committed/);
    await question.waitFor();
    assert.ok(!existsSync(join(workspace, '.loupe')), 'nothing is created before the answer');
    await screenshot(page, 'alt-02-records-question');
    await question.locator('.monaco-button', { hasText: /^Create$/ }).click();
    await waitFor('.loupe/alt-text.json', async () => existsSync(join(workspace, '.loupe', 'alt-text.json')), Boolean);
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

  it("an edit goes to the same image in another file, labelled as the author's, and is written there too", async () => {
    for (const file of [INTRO, SETUP]) writeFileSync(join(workspace, file), `# ${file}\n\n![](../images/flow.png)\n`);
    const review = altReview(page);
    await runCommand(page, 'Loupe: Generate Missing Alt Text in Workspace');
    await waitFor('three proposals', () => review.items.count(), (count) => count === 3, 180_000);
    assert.deepEqual(await review.locations(), ['docs/faq.md:5', `${INTRO}:3`, `${SETUP}:3`], 'the image skipped before, and the same new image twice');
    const [, proposal] = await review.proposals();
    assert.equal((await review.proposals())[2], proposal, 'the same image gets the same words');
    assert.match(await review.origin(2), /^From the cache\.$/);
    await review.skip(0).check();
    const edited = 'Request flow: the editor, the extension host, then the engine.';
    await review.field(1).fill(edited);
    assert.equal((await review.proposals())[2], edited, 'the same image in the other file takes the edit');
    assert.equal(await review.origin(1), `Edited by you; also used for the same image at ${SETUP}:3.`);
    assert.equal(await review.origin(2), `Your edit, from ${INTRO}:3 (the same image).`);
    await screenshot(page, 'alt-04b-edit-shared');
    await review.apply.click();
    await notification(page, /added alt text to 2 of 4 images in 2 files; 2 edited by you; 1 skipped in the review; 1 not described/).waitFor();
    await waitFor('both files on disk', async () => [altOf(INTRO, '../images/flow.png'), altOf(SETUP, '../images/flow.png')], (alts) => alts.every((alt) => alt === edited));
    const records = JSON.parse(read('.loupe/alt-text.json')) as { images: Record<string, unknown> };
    assert.ok(!('images/flow.png' in records.images), "the author's words are not recorded as Loupe's");
    await runCommand(page, 'Notifications: Clear All Notifications');
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
    // The batch's review, for this one proposal: the image shown, the text, its length against the limit.
    const review = altReview(page);
    await waitFor('the proposal', () => review.items.count(), (count) => count === 1, 180_000);
    assert.equal(await review.heading(), 'Alt text for ../images/flow.png');
    assert.deepEqual(await review.locations(), ['docs/architecture.md:5']);
    const [proposal] = await review.proposals();
    assert.ok(proposal.length > 0, 'a proposal to review');
    assert.match(await review.meta(0), new RegExp(`(Proposed by the local model|From the cache)\\. ${proposal.trim().length}/125 characters\\.$`));
    assert.match(await review.hint(), /Apply \(Enter\) writes it into the document; Cancel \(Escape\) writes nothing\. The diagram description is written with it\./);
    await waitFor('the image', review.thumbnailWidths, (widths) => widths.length === 1 && widths[0] > 0);
    // Shown large, not as the batch's 96-pixel thumbnail (flow.png is 640 pixels wide).
    assert.ok(((await review.items.first().locator('img.thumbnail').boundingBox())?.width ?? 0) > 200, 'the image is shown large');
    assert.equal(await review.skip(0).isVisible(), false, 'one proposal: Apply or Cancel, no Accept/Skip');
    await screenshot(page, 'alt-06-describe-review');
    // Its file:line shows the document in the group that has it, beside the review: no third group.
    const groups = page.locator('.part.editor .editor-group-container');
    const groupCount = await groups.count();
    await review.items.first().locator('.location').click();
    await page.locator('.part.editor .editor-group-container.active .tab.active', { hasText: 'architecture.md' }).first().waitFor();
    assert.equal(await groups.count(), groupCount, 'the document is revealed where it is, not in a new group');
    assert.equal(read(ARCHITECTURE), ARCHITECTURE_TEXT, 'nothing written before Apply');
    await review.apply.click();
    const after = await waitForSaved('architecture.md to be saved with a description', () => read(ARCHITECTURE), ARCHITECTURE_TEXT, 180_000);
    const lines = after.split('\n');
    const image = lineOf(after, 'flow.png') - 1;
    assert.equal(altOf(ARCHITECTURE, '../images/flow.png'), proposal, 'the reviewed alt text is written');
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
    const review = altReview(page);
    await applyQuickFix(page, lineOf(before, 'Screenshot'), 'Refine alt text (local model)');
    await waitFor('the proposal', () => review.items.count(), (count) => count === 1, 180_000);
    assert.equal(await review.heading(), 'Alt text for ../images/login.png');
    assert.match(await review.meta(0), /^Now: "Screenshot"\. Proposed by the local model\./, 'the current alt text is shown');
    const [proposal] = await review.proposals();
    assert.ok(proposal.length > 0 && proposal !== 'Screenshot', `a new proposal: ${JSON.stringify(proposal)}`);
    // The proposal was cached under the current alt text, apart from plain alt text answers.
    const cache = JSON.parse(readFileSync(join(session.server.root, 'loupe-home', 'alt-text-cache.json'), 'utf8')) as { entries: Record<string, { alt: string; refines?: string }> };
    assert.ok(Object.values(cache.entries).some((entry) => entry.refines === 'Screenshot' && entry.alt === proposal), 'refinement cached');
    await review.cancel.click();
    await review.items.first().waitFor({ state: 'detached' });
    assert.equal(read(ARCHITECTURE), before, 'Cancel writes nothing');

    // Again: the refinement comes from the cache; the author edits it before it is written.
    await applyQuickFix(page, lineOf(before, 'Screenshot'), 'Refine alt text (local model)');
    await waitFor('the proposal again', () => review.items.count(), (count) => count === 1, 60_000);
    assert.deepEqual(await review.proposals(), [proposal]);
    assert.match(await review.origin(0), /^From the cache\.$/);
    await review.field(0).fill('image');
    assert.match(await review.warning(0).innerText(), /"image" is a placeholder: Loupe will flag it/, "the checks' advice as the author types");
    await review.field(0).fill('The sign-in form with email and password fields.');
    assert.equal(await review.origin(0), 'Edited by you.');
    assert.equal(await review.warning(0).isVisible(), false);
    await screenshot(page, 'alt-08-refine-review');
    await review.field(0).press('Enter');
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
    await waitForSaved('architecture.md to be saved with the decorative image', () => read(ARCHITECTURE), before);
    const divider = images(ARCHITECTURE).find((image) => image.src === '../images/divider.png');
    assert.equal(divider?.syntax, 'html');
    assert.equal(divider?.altState, 'text');
    assert.equal(divider?.alt, '', 'alt="" marks it decorative');
    assert.equal(read(ARCHITECTURE).split('\n').length, before.split('\n').length, 'in place, on its own line');
    await finding.first().waitFor({ state: 'hidden' });
    await screenshot(page, 'alt-09-decorative');
  });

  it('remote images get no "Generate alt text", but a fix that says why and puts the cursor in their alt text', async () => {
    writeFileSync(join(workspace, LINKS), LINKS_TEXT);
    await openNewFile(page, 'docs', 'links.md');
    const finding = page.locator('.markers-panel .monaco-list-row', { hasText: 'Image "https://example.invalid/badge.svg" has empty alt text' });
    await finding.first().waitFor();
    const titles = await quickFixTitles(page, lineOf(LINKS_TEXT, 'badge.svg'), WRITE_REMOTE);
    assert.deepEqual(titles.filter((title) => /Generate|Refine|Describe/.test(title)), [], `no model fixes: ${JSON.stringify(titles)}`);
    await screenshot(page, 'alt-10-remote-fixes');
    await page.keyboard.press('Escape');

    await applyQuickFix(page, lineOf(LINKS_TEXT, 'badge.svg'), WRITE_REMOTE);
    // The cursor goes between the brackets: `![|](…)`.
    await page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${lineOf(LINKS_TEXT, 'badge.svg')}, Col 3\\b`) }).first().waitFor();
    await page.keyboard.type('Build status: passing');
    await waitFor('the Markdown alt text on disk', async () => altOf(LINKS, 'https://example.invalid/badge.svg'), (alt) => alt === 'Build status: passing');
    await applyQuickFix(page, lineOf(LINKS_TEXT, 'logo.png'), WRITE_REMOTE);
    // `<img alt="image" src=…>` with "image" selected: a placeholder still flagged (alt="" would mark it decorative), typed over.
    await page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${lineOf(LINKS_TEXT, 'logo.png')}, Col 16 \\(5 selected\\)`) }).first().waitFor();
    await page.keyboard.type('The Loupe logo');
    await waitFor('the HTML alt text on disk', async () => altOf(LINKS, 'https://example.invalid/logo.png'), (alt) => alt === 'The Loupe logo');
    assert.match(read(LINKS), /<img alt="The Loupe logo" src="https:\/\/example\.invalid\/logo\.png">/);
    await finding.first().waitFor({ state: 'hidden' });
  });

  it('in another workspace, "Not in This Workspace" keeps .loupe/alt-text.json out of it, and is not asked again', async () => {
    const other = join(workspace, 'other-project');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.md'), '# Notes\n\n![](shot.png)\n\n![](chart.png)\n');
    // Images described before (the cache answers at once).
    copyFileSync(imageFixture('screenshot-256x384.png'), join(other, 'shot.png'));
    copyFileSync(imageFixture('chart.png'), join(other, 'chart.png'));
    const otherAlt = (src: string) => imagesIn(readFileSync(join(other, 'notes.md'), 'utf8'), 'notes.md', 'markdown').find((image) => image.src === src)?.alt;
    // A second window on the same code-server, as opening another folder does.
    const secondWindow = await session.browser.newPage({ viewport: { width: 1400, height: 900 } });
    secondWindow.setDefaultTimeout(60_000);
    await openWorkbench(secondWindow, session.server.url, other);
    await trustFolder(secondWindow);
    await quickOpen(secondWindow, 'notes.md');
    const review = altReview(secondWindow);

    await applyQuickFix(secondWindow, 3, 'Generate alt text (local model)');
    await waitFor('the proposal', () => review.items.count(), (count) => count === 1, 180_000);
    const [first] = await review.proposals();
    await review.apply.click();
    const question = notification(secondWindow, /Create \.loupe\/alt-text\.json to record it\?/);
    await question.waitFor();
    await question.locator('.monaco-button', { hasText: /^Not in This Workspace$/ }).click();
    await waitFor('the first alt text on disk', async () => otherAlt('shot.png'), (alt) => alt === first);
    assert.ok(!existsSync(join(other, '.loupe')), 'no records');

    await applyQuickFix(secondWindow, 5, 'Generate alt text (local model)');
    await waitFor('the second proposal', () => review.items.count(), (count) => count === 1, 180_000);
    const [second] = await review.proposals();
    await review.apply.click();
    // Saved 200 ms after the edit, which is when the question would have been asked.
    await waitFor('the second alt text on disk', async () => otherAlt('chart.png'), (alt) => alt === second);
    assert.equal(await question.count(), 0, 'not asked again in this workspace');
    assert.ok(!existsSync(join(other, '.loupe')), 'still no records');
    await screenshot(secondWindow, 'alt-11-not-in-this-workspace');
    await secondWindow.close();
  });
});

/** The fixes the quick-fix menu lists on a 1-based line, once `expected` is among them; the menu stays open. */
async function quickFixTitles(page: Page, line: number, expected: string): Promise<string[]> {
  await goToLine(page, line);
  await page.keyboard.press('Home');
  const rows = page.locator('.action-widget .monaco-list-row.action');
  return waitFor(
    `the quick fix "${expected}"`,
    async () => {
      await page.keyboard.press('Control+.');
      const shown = await rows.filter({ hasText: expected }).first().waitFor({ timeout: 10_000 }).then(() => true, () => false);
      if (shown) return rows.allInnerTexts();
      await page.keyboard.press('Escape');
      return [];
    },
    (titles) => titles.length > 0,
    60_000,
    0,
  );
}

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

/** The alt text review (the batch's list, or one quick fix's proposal), two iframes deep like every webview; no other Loupe webview is open here. */
function altReview(page: Page) {
  return altReviewIn(page.frameLocator('iframe.webview.ready[src*="extensionId=loupe-dev.loupe"]').frameLocator('#active-frame'));
}
