/**
 * Offline, in a real VS Code (code-server): a download from a hub whose name does not resolve
 * fails in plain words (no errno, no commit hash) with the ways out as buttons — Retry, Import
 * Folder…, Add Server…, Proxy Settings — and the technical account behind Details, in Loupe's
 * output channel. Then the way out: importing the tiny model folder, with no model in use, is
 * recognised from its config.json, used at once (the status bar shows it without a click) and
 * confirmed by a toast.
 *
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fg from 'fast-glob';
import type { Locator, Page } from 'playwright-core';
import { getManifest } from '../../src/catalog/catalog';
import { tinyModelDir } from '../support/paths';
import { openSession, type E2eSession } from './session';
import { notification, openWorkbench, runCommand, screenshot, statusBarItem, trustFolder, waitFor } from './workbench';

/** The model the download is tried for. */
const MODEL = getManifest('smolvlm-256m');
/** What the tiny folder's config.json points to: its language model is LFM2-350M. */
const IMPORTED = getManifest('lfm2-vl-450m');
/** A name that never resolves (RFC 2606): the DNS failure an offline machine gets. */
const OFFLINE_HUB = 'https://hub.invalid';
const OFFLINE_MESSAGE = /Could not find the model hub \(hub\.invalid\): this machine seems to be offline or a proxy is needed/;
const LONG = 120_000;

describe('Offline download errors and importing a model folder, in code-server', { timeout: 15 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let licenseAccepted = false;

  before(async () => {
    session = await openSession({ name: 'offline', settings: { 'loupe.hub.endpoint': OFFLINE_HUB } });
    page = session.page;
    // The workbench counts as open once the Explorer lists something.
    writeFileSync(join(session.workspace, 'README.md'), '# Offline\n');
  });

  after(async () => {
    await session?.close();
  });

  /** Download Model, the model, the consent dialog; the license is asked only the first time. */
  async function startDownload(): Promise<Locator> {
    await runCommand(page, 'Loupe: Download Model');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: MODEL.label }).first().click();
    await dialogButton(page, `Download ${MODEL.label}?`, 'Download');
    if (MODEL.license.requiresAcceptance && !licenseAccepted) {
      await dialogButton(page, `licensed under the ${MODEL.license.name}`, 'Accept License');
      licenseAccepted = true;
    }
    const error = notification(page, OFFLINE_MESSAGE);
    await error.waitFor({ timeout: LONG });
    return error;
  }

  it('starts with no model', async () => {
    await openWorkbench(page, session.server.url, session.workspace);
    await trustFolder(page);
    await statusBarItem(page, 'Loupe: no model').waitFor({ timeout: LONG });
  });

  it('a download from an unreachable hub says so in plain words, with the ways out as buttons', async () => {
    const error = await startDownload();
    const text = await error.innerText();
    assert.match(text, /Without the hub, you can import a model folder copied from another machine, or answer from a model server\./);
    assert.doesNotMatch(text, /ENOTFOUND|EAI_AGAIN|getaddrinfo|errno|[0-9a-f]{40}/, 'no error code and no commit hash in the message');
    assert.deepEqual(await buttons(error), ['Retry', 'Import Folder…', 'Add Server…', 'Proxy Settings', 'Details']);
    await screenshot(page, 'offline-01-download-error');
  });

  it("Details opens Loupe's output with the request and the error code", async () => {
    await notification(page, OFFLINE_MESSAGE).locator('.monaco-button', { hasText: /^Details$/ }).click();
    const output = page.locator('.part.panel .monaco-editor .view-lines').first();
    const shown = await waitFor('the details in the output panel', () => output.innerText().catch(() => ''), (value) => /ENOTFOUND|EAI_AGAIN/.test(value), LONG);
    // The editor draws spaces as no-break spaces.
    assert.match(shown.replace(/\u00a0/g, ' '), /Request: GET https:\/\/hub\.invalid\/api\/models\//);
    // The same lines in Loupe's log file, whatever the panel scrolled to.
    const log = loupeLog(session.server.root);
    assert.match(log, new RegExp(`Download of ${MODEL.label} failed: Could not find the model hub \\(hub\\.invalid\\)`));
    assert.match(log, /Error: .*(ENOTFOUND|EAI_AGAIN) hub\.invalid/);
    assert.match(log, /Proxy: none/);
  });

  it('importing the tiny model folder with no model in use: suggested from config.json, used at once, confirmed', async () => {
    await runCommand(page, 'Loupe: Import Model from Folder…');
    await pickFolderInDialog(page, tinyModelDir, page.locator('.quick-input-widget .quick-input-title', { hasText: 'Which model is in this folder?' }));
    const suggestion = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first();
    await waitFor('the suggested model', () => suggestion.innerText().catch(() => ''), (text) => text.includes(IMPORTED.label), LONG);
    assert.match(await suggestion.innerText(), /suggested by its config\.json/);
    assert.equal(await page.locator('.quick-input-widget input.input').getAttribute('placeholder'), 'config.json says LFM2-VL with the LFM2-350M language model.');
    await page.keyboard.press('Enter');
    if (IMPORTED.license.requiresAcceptance) await dialogButton(page, `licensed under the ${IMPORTED.license.name}`, 'Accept License');
    // No "Use It Now" to find: the status bar names the imported model by itself.
    await statusBarItem(page, new RegExp(`Loupe: not loaded · ${IMPORTED.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).waitFor({ timeout: LONG });
    const done = notification(page, `Loupe imported ${IMPORTED.label} and uses it now.`);
    await done.waitFor({ timeout: LONG });
    assert.doesNotMatch(await done.innerText(), /local-|\(imported\)|Use It Now/);
    await screenshot(page, 'import-01-done');
  });

  // Last two: the settings editor opens over the workbench.
  it("Proxy Settings opens VS Code's http.proxy setting", async () => {
    const error = await startDownload();
    await error.locator('.monaco-button', { hasText: /^Proxy Settings$/ }).click();
    await page.locator('.settings-editor .setting-item-title', { hasText: /Http:\s*Proxy/ }).first().waitFor({ timeout: LONG });
  });

  it('Settings shows the id of the model in use as text, not as the first entry of a list', async () => {
    // The settings editor Proxy Settings left open: search it for the setting.
    await page.locator('.settings-editor .search-container .monaco-editor').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('loupe.model.id');
    const item = page.locator('.settings-editor .setting-item', { has: page.locator('.setting-item-title', { hasText: /Model:\s*ID/i }) }).first();
    await waitFor('the model id in Settings', () => item.locator('input').first().inputValue().catch(() => ''), (value) => value === IMPORTED.id, LONG);
    await screenshot(page, 'import-02-settings-model-id');
  });
});

/** Loupe's output channel, as code-server writes it to disk. */
function loupeLog(serverRoot: string): string {
  return fg.sync('**/loupe-dev.loupe/Loupe.log', { cwd: serverRoot, absolute: true }).map((path) => readFileSync(path, 'utf8')).join('\n');
}

/**
 * Picks a folder in code-server's own file dialog: typed with a trailing slash the dialog moves
 * into it (listing its subfolders, here onnx/), and Enter then takes that folder. Typing stops
 * as soon as `next` shows (the quick pick that follows reuses the same input box).
 */
async function pickFolderInDialog(page: Page, folder: string, next: Locator): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor({ timeout: LONG });
  const path = `${folder}/`;
  await waitFor(
    `the file dialog to take ${folder}`,
    async () => {
      if (await next.isVisible()) return true;
      if ((await input.inputValue()) !== path) await input.fill(path);
      const inside = await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'onnx' }).first().waitFor({ timeout: 2_000 }).then(() => true, () => false);
      if (inside && !(await next.isVisible())) await input.press('Enter').catch(() => undefined);
      return next.waitFor({ timeout: 2_000 }).then(() => true, () => false);
    },
    Boolean,
    LONG,
    0,
  );
}

/** The titles of a notification's buttons, in order. */
async function buttons(toast: Locator): Promise<string[]> {
  return (await toast.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts()).map((title) => title.trim());
}

/** Clicks a button of the modal dialog whose message contains `text`. */
async function dialogButton(page: Page, text: string, button: string): Promise<void> {
  const box = page.locator('.monaco-dialog-box', { has: page.locator('.dialog-message-text', { hasText: text }) });
  await box.waitFor({ timeout: 10_000 });
  await box.locator('.monaco-button', { hasText: new RegExp(`^${button}$`) }).click();
  await box.waitFor({ state: 'hidden' });
}
