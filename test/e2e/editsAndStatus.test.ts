/**
 * Edits the user controls, and the status bar that leads to the chat (issue 25, items 6 and 9):
 * with auto-save off, Insert and "Use as alt text" leave the document changed but unsaved, as any
 * edit does, also when its editor is hidden or closed; clicking Loupe's status bar item focuses
 * the side-bar chat instead of opening another chat tab.
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { tinyModelDir } from '../support/paths';
import { writeSignInScreenshot } from '../support/signInScreenshot';
import { openSession, type E2eSession } from './session';
import {
  askPanel,
  explorerRow,
  focusTab,
  goToLine,
  openFile,
  openWorkbench,
  runCommand,
  screenshot,
  SIDE_BAR_CHAT_IFRAME,
  statusBarItem,
  trustFolder,
  waitFor,
  waitForAnswerEnd,
  waitForAnswerStart,
  waitForSaved,
  startAnswer,
} from './workbench';

const README = ['# Edits', '', '![](shot.png)', '', 'Notes:', ''].join('\n');

describe('Edits the user controls, and the status bar, in code-server', { timeout: 15 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  const readme = () => readFileSync(join(workspace, 'README.md'), 'utf8');
  const dirtyTab = (name: string) => page.locator('.tabs-container .tab.dirty', { hasText: name });

  before(async () => {
    session = await openSession({ name: 'edits', settings: { 'loupe.model.path': tinyModelDir, 'files.autoSave': 'off' } });
    ({ page, workspace } = session);
    writeFileSync(join(workspace, 'README.md'), README);
    await writeSignInScreenshot(join(workspace, 'shot.png'));
  });

  after(() => session?.close());

  it('gets an answer about the image in README.md', async () => {
    await openWorkbench(page, session.server.url, workspace);
    await trustFolder(page);
    await openFile(page, 'README.md');
    await statusBarItem(page, 'Loupe: not loaded').waitFor({ timeout: 120_000 });
    await goToLine(page, 3);
    await runCommand(page, 'Loupe: Ask About Image Under Cursor');
    const panel = askPanel(page);
    await panel.locator('#thumbnail').waitFor({ state: 'visible' });
    await panel.locator('#question').fill('What is this?');
    await startAnswer(panel, () => panel.locator('#question').press('Enter'));
    await waitForAnswerEnd(panel, 'done');
  });

  it('Insert with auto-save off leaves README.md changed but unsaved, also when an image covers its editor', async () => {
    // The image preview is no text editor: README.md stays the place answers go, hidden behind it.
    await focusTab(page, 'README.md');
    await (await explorerRow(page, 'shot.png')).dblclick();
    await page.locator('.tabs-container .tab.active', { hasText: 'shot.png' }).waitFor();
    await page.locator('.tabs-container .tab:not(.active)', { hasText: 'README.md' }).waitFor();
    const panel = askPanel(page);
    await panel.locator('.turn.assistant').last().locator('[data-insert="cursor"]').click();
    await panel.locator('#notice', { hasText: 'Inserted into README.md' }).waitFor();
    await dirtyTab('README.md').waitFor();
    // Auto-save would have written by now; nothing may reach the disk until the user saves.
    await page.waitForTimeout(1500);
    assert.equal(readme(), README, 'README.md on disk is as it was');
    await screenshot(page, 'edits-01-inserted-unsaved');
  });

  it('"Use as alt text" with auto-save off leaves the change unsaved too, and Save writes it', async () => {
    await focusTab(page, 'README.md');
    await runCommand(page, 'File: Revert File');
    await waitFor('README.md to be clean again', () => dirtyTab('README.md').count(), (count) => count === 0);
    await runCommand(page, 'View: Close Editor');
    const panel = askPanel(page);
    const answers = await panel.locator('.turn.assistant').count();
    await panel.locator('.chip[data-task="alt-text"]').click();
    await waitForAnswerStart(panel, answers);
    await waitForAnswerEnd(panel, 'done');
    await panel.locator('.turn.assistant').last().locator('[data-insert="altText"]').click();
    await panel.locator('#notice', { hasText: /Set the alt text of shot\.png in README\.md/ }).waitFor();
    await dirtyTab('README.md').waitFor();
    await page.waitForTimeout(1500);
    assert.equal(readme(), README);
    await focusTab(page, 'README.md');
    await runCommand(page, 'File: Save');
    const saved = await waitForSaved('README.md to be saved', () => readme(), README);
    assert.match(saved, /^# Edits\n\n!\[[^\]]+\]\(shot\.png\)\n/);
  });

  it('clicking the status bar item focuses the side-bar chat, without a second chat tab', async () => {
    const loupeTabs = page.locator('.tabs-container .tab', { hasText: 'Loupe' });
    const tabsBefore = await loupeTabs.count();
    await statusBarItem(page, /Loupe: /).click();
    await page.locator(SIDE_BAR_CHAT_IFRAME).waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await loupeTabs.count(), tabsBefore, 'no new Loupe tab');
    await screenshot(page, 'edits-02-status-bar-chat');
  });
});
