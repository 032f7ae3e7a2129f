/**
 * Alt text in a real VS Code (code-server), driven through real Chromium with the tiny model.
 * First "Loupe: Generate Missing Alt Text in Workspace": the batch proposes one edit for the
 * whole workspace, the author reviews it in the Refactor Preview (every entry starts unticked)
 * and applies part of it; a second run takes the rest from the content-hash cache; changing an
 * image afterwards flags its alt text as possibly stale. Then the "Describe diagram" and "Mark as
 * decorative" quick fixes ("Generate alt text" is in askPanel.test.ts). The tiny model's words
 * are random: the assertions are about which files change, where, and what the cache and the
 * notifications say.
 *
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { imagesIn, type ImageOccurrence } from '../../src/features/imageReferences';
import { imageFixture, tinyModelDir } from '../support/paths';
import { openSession, type E2eSession } from './session';
import {
  applyQuickFix,
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
/** Ignored by the workspace's .gitignore: the batch must leave it alone. */
const BUILD_COPY = 'build/guide.md';
/** Hidden by files.exclude: the batch must leave it alone. */
const ARCHIVED = 'archive/old.md';

/** Written after the batch ran, for the quick fixes. */
const ARCHITECTURE = 'docs/architecture.md';
const ARCHITECTURE_TEXT = ['# Architecture', '', 'How a request flows from the editor to the engine:', '', '![](../images/flow.png)', '', 'The next part:', '', '![](../images/divider.png)', ''].join('\n');

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
  const untouched = () => [BUILD_COPY, ARCHIVED].map((file) => [file, read(file)]);

  before(async () => {
    session = await openSession({ name: 'alt', settings: { 'loupe.model.path': tinyModelDir, 'files.exclude': { '**/archive': true } } });
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

  it('proposes every missing alt as one reviewed edit; only the ticked file changes', async () => {
    const before = { guide: read(GUIDE), page: read(PAGE), untouched: untouched() };
    await runCommand(page, 'Loupe: Generate Missing Alt Text in Workspace', 120_000);
    const preview = await refactorPreview(page);
    await screenshot(page, 'alt-01-refactor-preview');

    // The tree fills in as it renders: wait for the entries under both files.
    const entries = await waitFor('the preview entries', preview.entryTexts, (texts) => texts.length >= 3);
    assert.equal(entries.length, 3, `one entry per image without alt: ${JSON.stringify(entries)}`);
    const files = await preview.fileNames();
    assert.deepEqual([...files].sort(), ['guide.md', 'index.html'], 'the files the preview proposes to change');
    assert.deepEqual(await preview.checkedStates(), files.map(() => false), 'every entry starts unticked, awaiting review');

    await preview.tickFile('guide.md');
    await screenshot(page, 'alt-02-guide-ticked');
    await preview.apply();
    await notification(page, /added alt text to 2 of 3 images in 1 file; 1 left out in the preview \(2 described by the model, 1 from the cache\)\./).waitFor();

    const guide = await waitFor('docs/guide.md to be saved with alt text', async () => read(GUIDE), (text) => text !== before.guide);
    const filled = images(GUIDE);
    assert.deepEqual(
      filled.map((image) => image.src),
      ['../images/login.png', '../images/signups.png'],
    );
    for (const image of filled) assert.ok(image.alt && image.alt.length <= 125 && image.alt.endsWith('.'), `alt of ${image.src}: ${JSON.stringify(image.alt)}`);
    assert.match(guide, /"Sign-ups"\)/, 'the image title is kept');
    const otherLines = (text: string) => text.split('\n').filter((line) => !line.startsWith('!['));
    assert.deepEqual(otherLines(guide), otherLines(before.guide), 'only the image lines changed');
    assert.equal(read(PAGE), before.page, 'the unticked file is left as it was');
    assert.deepEqual(untouched(), before.untouched, '.gitignore and files.exclude are respected');
    await screenshot(page, 'alt-03-applied');
  });

  it('a second run takes the same image from the cache and writes the same words', async () => {
    await runCommand(page, 'Loupe: Generate Missing Alt Text in Workspace', 120_000);
    const preview = await refactorPreview(page);
    await waitFor('the preview entry', preview.entryTexts, (texts) => texts.length >= 1);
    assert.deepEqual(await preview.fileNames(), ['index.html']);
    await preview.tickFile('index.html');
    await preview.apply();
    await notification(page, /added alt text to 1 of 1 image in 1 file \(0 described by the model, 1 from the cache\)\./).waitFor();
    await waitFor('site/index.html to be saved with alt text', async () => images(PAGE)[0]?.altState, (state) => state === 'text');
    const loginAlt = images(GUIDE).find((image) => image.src === '../images/login.png')?.alt;
    assert.equal(images(PAGE)[0]?.alt, loginAlt, 'same image, same alt text');
    await screenshot(page, 'alt-04-from-cache');
  });

  it('changing an image after Loupe described it flags its alt text as possibly stale', async () => {
    await quickOpen(page, 'guide.md');
    copyFileSync(imageFixture('diagram.png'), join(workspace, 'images', 'signups.png'));
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const stale = page.locator('.markers-panel .monaco-list-row', { hasText: 'Image "../images/signups.png" changed since Loupe wrote its alt text' });
    await stale.first().waitFor({ timeout: 60_000 });
    await screenshot(page, 'alt-05-stale');
  });

  it('"Describe diagram" adds a collapsible description after a Markdown image', async () => {
    writeFileSync(join(workspace, ARCHITECTURE), ARCHITECTURE_TEXT);
    await openNewFile(page, 'docs', 'architecture.md');
    await applyQuickFix(page, lineOf(ARCHITECTURE_TEXT, 'flow.png'), 'Describe diagram (local model)');
    const after = await waitFor('architecture.md to be saved with a description', async () => read(ARCHITECTURE), (text) => text !== ARCHITECTURE_TEXT, 180_000);
    const lines = after.split('\n');
    const image = lineOf(after, 'flow.png') - 1;
    assert.equal(lines[image], '![](../images/flow.png)', 'the image itself is unchanged');
    assert.equal(lines[image + 1], '', 'a blank line separates the image from the block');
    assert.equal(lines[image + 2], '<details><summary>Diagram description</summary>');
    const close = lines.indexOf('</details>', image);
    assert.ok(close > image + 3 && lines.slice(image + 3, close).join('').trim().length > 0, `a description inside: ${JSON.stringify(lines.slice(image, close + 1))}`);
    assert.equal(lines.slice(close + 1).join('\n'), ARCHITECTURE_TEXT.split('\n').slice(image + 1).join('\n'), 'the rest of the file is unchanged');
    await screenshot(page, 'alt-06-describe-diagram');
  });

  it('"Mark as decorative" turns a Markdown image into <img alt="">', async () => {
    const before = read(ARCHITECTURE);
    await applyQuickFix(page, lineOf(before, 'divider.png'), 'Mark as decorative (as <img alt="">)');
    await waitFor('architecture.md to be saved with the decorative image', async () => read(ARCHITECTURE), (text) => text !== before);
    const divider = images(ARCHITECTURE).find((image) => image.src === '../images/divider.png');
    assert.equal(divider?.syntax, 'html');
    assert.equal(divider?.altState, 'text');
    assert.equal(divider?.alt, '', 'alt="" marks it decorative');
    assert.equal(read(ARCHITECTURE).split('\n').length, before.split('\n').length, 'in place, on its own line');
    const finding = page.locator('.markers-panel .monaco-list-row', { hasText: 'Image "../images/divider.png" has empty alt text' });
    await finding.first().waitFor({ state: 'hidden' });
    await screenshot(page, 'alt-07-decorative');
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

/** Waits for the Refactor Preview that `applyEdit` with confirmation opens, and drives it. */
async function refactorPreview(page: Page) {
  const pane = page.locator('.bulk-edit-panel');
  const apply = pane.locator('.monaco-button', { hasText: /^Apply$/ });
  await apply.waitFor({ timeout: 180_000 });
  const rows = pane.locator('.monaco-list-row');
  // File rows have a twistie that expands them; entry rows under them do not.
  const fileRows = rows.filter({ has: page.locator('.monaco-tl-twistie.collapsible') });
  const entryRows = rows.filter({ has: page.locator('.monaco-tl-twistie:not(.collapsible)') });
  return {
    fileNames: async () => (await fileRows.locator('.label-name').allInnerTexts()).map((name) => name.trim()),
    checkedStates: async () => (await fileRows.locator('.edit-checkbox').evaluateAll((boxes) => boxes.map((box) => box.getAttribute('aria-checked') === 'true'))),
    entryTexts: () => entryRows.allInnerTexts(),
    async tickFile(name: string): Promise<void> {
      const box = fileRows.filter({ has: page.locator('.label-name', { hasText: name }) }).locator('.edit-checkbox');
      await box.click();
      await waitFor(`the ${name} entries to be ticked`, () => box.getAttribute('aria-checked'), (checked) => checked === 'true');
    },
    async apply(): Promise<void> {
      await apply.click();
      await apply.waitFor({ state: 'hidden' });
    },
  };
}
