/**
 * "Loupe: Generate Missing Alt Text in Workspace" in a real VS Code (code-server), driven through
 * real Chromium with the tiny model: the batch proposes one edit for the whole workspace, the
 * author reviews it in the Refactor Preview (every entry starts unticked) and applies part of it;
 * a second run takes the rest from the content-hash cache; changing an image afterwards flags
 * its alt text as possibly stale. The tiny model's words are random: the assertions are about
 * which files change, where, and what the cache and the notifications say.
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

describe('Alt text workspace batch in code-server', { timeout: 20 * 60_000 }, () => {
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

    const files = await preview.fileNames();
    assert.deepEqual([...files].sort(), ['guide.md', 'index.html'], 'the files the preview proposes to change');
    assert.deepEqual(await preview.checkedStates(), files.map(() => false), 'every entry starts unticked, awaiting review');
    const entries = await preview.entryTexts();
    assert.equal(entries.length, 3, `one entry per image without alt: ${JSON.stringify(entries)}`);

    await preview.tickFile('guide.md');
    await screenshot(page, 'alt-02-guide-ticked');
    await preview.apply();
    await notification(page, /added alt text to 2 of 3 images in 1 file; 1 left out in the preview \(2 described by the model, 1 from the cache\)\./);

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
    assert.deepEqual(await preview.fileNames(), ['index.html']);
    await preview.tickFile('index.html');
    await preview.apply();
    await notification(page, /added alt text to 1 of 1 image in 1 file \(0 described by the model, 1 from the cache\)\./);
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
});

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

async function notification(page: Page, text: RegExp): Promise<void> {
  await page.locator('.notifications-toasts .notification-toast', { hasText: text }).first().waitFor({ timeout: 60_000 });
}
