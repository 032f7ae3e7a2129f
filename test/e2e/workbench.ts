/**
 * Driving VS Code's workbench in code-server with Playwright, the way a user does: the command
 * palette, the Explorer's context menu, the editor, and the Ask panel's webview (which lives two
 * iframes deep). Every wait is on a visible UI state, never a fixed sleep.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { repoRoot } from '../support/paths';

export const artifactsDir = join(repoRoot, 'test', 'e2e', 'artifacts');
const LONG = 60_000;

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export async function openWorkbench(page: Page, url: string, folder: string): Promise<void> {
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: LONG });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: LONG });
}

/** Trusts the open folder through the Workspace Trust editor, as a user would. */
export async function trustFolder(page: Page): Promise<void> {
  await runCommand(page, 'Workspaces: Manage Workspace Trust');
  const editor = page.locator('.workspace-trust-editor');
  await editor.waitFor({ timeout: LONG });
  const trust = editor.locator('.monaco-button', { hasText: /^Trust( Folder)?$/ }).first();
  if (await trust.isVisible()) await trust.click();
  await editor.getByText('You trust this folder').waitFor({ timeout: LONG });
  await page.keyboard.press('Escape');
  await closeAllEditors(page);
}

export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
}

/** Runs a command from the command palette by its full title ("Loupe: Ask About Image"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: LONG });
  await input.fill(`>${title}`);
  const item = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await item.waitFor({ timeout: LONG });
  await item.click();
  await input.waitFor({ state: 'hidden', timeout: LONG });
}

export async function explorerRow(page: Page, name: string) {
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"]`);
  await row.waitFor({ timeout: LONG });
  return row;
}

/** Right-clicks a file in the Explorer and picks a context menu entry. */
export async function explorerContextCommand(page: Page, fileName: string, menuLabel: string): Promise<void> {
  const row = await explorerRow(page, fileName);
  await row.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: menuLabel }).first();
  await item.waitFor({ timeout: LONG });
  await item.click();
}

export async function openFile(page: Page, fileName: string): Promise<void> {
  const row = await explorerRow(page, fileName);
  await row.dblclick();
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor({ timeout: LONG });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: LONG });
}

/** Puts the cursor on a 1-based line (at its end) in the active text editor, via Go to Line. */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: LONG });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: LONG });
  await page.keyboard.press('End');
}

/** The Ask panel's document: the webview's outer iframe, then its active content frame. */
export function askPanel(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
}

/** Polls `read` until `done` says so, failing with the last value after `timeoutMs`. */
export async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = LONG, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await read();
  }
  return value;
}

/** Fails at once with the panel's error message, instead of waiting out a timeout. */
export async function panelError(panel: FrameLocator): Promise<string | undefined> {
  const error = panel.locator('#error');
  return (await error.isVisible()) ? error.innerText() : undefined;
}

/** Waits for the latest answer to end with `outcome` ("done", "stopped", "ocr"). */
export async function waitForAnswer(panel: FrameLocator, outcome: string, timeoutMs = 180_000): Promise<void> {
  const turn = panel.locator(`.turn.assistant[data-outcome="${outcome}"]`);
  const before = await turn.count();
  await waitFor(
    `an answer that ends "${outcome}"`,
    async () => {
      const error = await panelError(panel);
      if (error) throw new Error(`The Ask panel shows an error: ${error}`);
      return turn.count();
    },
    (count) => count > before,
    timeoutMs,
  );
}
