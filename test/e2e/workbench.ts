/**
 * Driving VS Code's workbench in code-server with Playwright, the way a user does: the command
 * palette, the Explorer's context menu, the editor, and the Ask panel's webview (which lives two
 * iframes deep). Every wait is on a visible UI state, never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { repoRoot } from '../support/paths';

export const artifactsDir = join(repoRoot, 'test', 'e2e', 'artifacts');
const LONG = 60_000;

/** User settings for every e2e window: a quiet workbench that saves edits to disk at once. */
export const E2E_SETTINGS: Record<string, unknown> = {
  'loupe.preset': 'fast',
  'loupe.ocr.groundPrompts': false,
  'files.autoSave': 'afterDelay',
  'files.autoSaveDelay': 200,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  // The one-time "Get Started" offer would cover other toasts; test/e2e/onboarding.test.ts turns it on.
  'loupe.welcome.offerWalkthrough': false,
};

/** Debian's Chromium, headless, with nothing reaching beyond loopback. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

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
  const trusted = editor.getByText('You trust this folder');
  // The editor renders its buttons after it shows: click Trust once it appears, unless already trusted.
  await waitFor(
    'the folder to be trusted',
    async () => {
      if (await trusted.isVisible()) return true;
      // Trusting re-renders the editor, which can detach the button mid-click: then look again.
      if (await trust.isVisible()) await trust.click({ timeout: 2_000 }).catch(() => undefined);
      return false;
    },
    Boolean,
  );
  await page.keyboard.press('Escape');
  await closeAllEditors(page);
}

export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
}

/**
 * Opens the command palette and types `text` into it. Two things went wrong here in CI: the widget
 * showed while still `inert` (as its close animation leaves it) and stayed so for a minute, and a
 * webview tab selected just before took focus late, which closes the palette under the typing.
 * Either way it is closed and opened again until the text stands in a palette that takes input.
 */
export async function openCommandPalette(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  const deadline = Date.now() + LONG;
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: LONG });
    const inertAncestor = () => input.evaluate((element) => element.closest('[inert]')?.className ?? '').catch(() => '');
    const inert = await waitFor('the command palette to take input', inertAncestor, (name) => name === '', 3_000).catch(() => undefined);
    if (inert === undefined) console.error(`# the command palette opened inert (${await inertAncestor()}); reopening it`);
    else if (await input.fill(text, { timeout: 3_000 }).then(() => true, () => false)) {
      // Still open a moment later, with the text: nothing took focus away meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 200));
      if ((await input.isVisible()) && (await input.inputValue().catch(() => '')) === text) return;
      console.error('# the command palette closed under the typing; reopening it');
    }
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) throw new Error(`The command palette never took "${text}"`);
  }
}

/**
 * Runs a command from the command palette by its full title ("Loupe: Ask About Image"). Commands
 * appear only once their contributor has loaded, so the palette is reopened until it lists it.
 */
export async function runCommand(page: Page, title: string, timeoutMs = LONG): Promise<void> {
  const item = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await openCommandPalette(page, `>${title}`);
    try {
      await item.waitFor({ timeout: 5_000 });
      break;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`The command palette never listed "${title}": ${String(error)}`);
    }
  }
  await item.click();
  // The palette closes, or gives way to a quick pick the command opens (with another label).
  await page.locator('.quick-input-widget input.input[aria-label="Type the name of a command to run."]').waitFor({ state: 'hidden', timeout: LONG });
}

export async function explorerRow(page: Page, name: string) {
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"]`);
  await row.waitFor({ timeout: LONG });
  return row;
}

/**
 * Right-clicks a file in the Explorer and picks a context menu entry, opening the "Loupe" submenu
 * first when the entry is in it. The menu is rebuilt when an extension activates meanwhile, which
 * can take the entry away under the click: then it is opened again.
 */
export async function explorerContextCommand(page: Page, fileName: string, menuLabel: string): Promise<void> {
  const row = await explorerRow(page, fileName);
  // The entry's own label, matched whole: an open submenu lies inside its parent's item, so the
  // "Loupe" item also contains the text of every entry in it.
  const exact = new RegExp(`^${menuLabel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const item = page.locator('.monaco-menu .action-item .action-label', { hasText: exact }).first();
  const deadline = Date.now() + LONG;
  for (;;) {
    await row.click({ button: 'right' });
    try {
      if (!(await item.isVisible())) {
        await explorerLoupeSubmenu(page).click({ timeout: 10_000 });
        // A click on a submenu entry does not always open it: the keyboard always does.
        await item.waitFor({ timeout: 2_000 }).catch(() => page.keyboard.press('ArrowRight'));
      }
      await item.click({ timeout: 10_000 });
      // A click that lands while the menu is rebuilt does nothing and leaves the menu open.
      await page.locator('.monaco-menu').first().waitFor({ state: 'hidden', timeout: 5_000 });
      return;
    } catch (error) {
      // Escape closes one level: the submenu, then the menu, so the row can be right-clicked again.
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`The Explorer context menu of ${fileName} never offered "${menuLabel}": ${String(error)}`);
    }
  }
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

/** The Ask panel's webview host frame (other webviews, such as the image preview, have other ids). */
export const ASK_PANEL_IFRAME = 'iframe.webview.ready[src*="extensionId=loupe-dev.loupe"]:not([src*="purpose=webviewView"])';

/** The Ask panel's document: the webview's outer iframe, then its active content frame. */
export function askPanel(page: Page): FrameLocator {
  return page.frameLocator(ASK_PANEL_IFRAME).frameLocator('#active-frame');
}

/** Opens a workspace file through Quick Open, in the active editor group. */
export async function quickOpen(page: Page, fileName: string): Promise<void> {
  await openCommandPalette(page, fileName);
  // The focused row, which Enter opens: the list may still show the recent files meanwhile.
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: fileName }).first().waitFor({ timeout: LONG });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor({ timeout: LONG });
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

/**
 * Waits for a file to be saved with new content: changed, and the same on two reads in a row
 * (a save can truncate the file before it writes, and a read between the two sees it empty).
 */
export async function waitForSaved(what: string, read: () => string, before: string, timeoutMs = LONG): Promise<string> {
  let last: string | undefined;
  const settled = (text: string) => {
    const same = text !== before && text === last;
    last = text;
    return same;
  };
  return waitFor(what, async () => read(), settled, timeoutMs, 50);
}

/** Fails at once with the panel's error message, instead of waiting out a timeout. */
async function panelError(panel: FrameLocator): Promise<string | undefined> {
  const error = panel.locator('#error');
  return (await error.isVisible()) ? error.innerText() : undefined;
}

export async function failOnPanelError(panel: FrameLocator): Promise<void> {
  const error = await panelError(panel);
  if (error) throw new Error(`The Ask panel shows an error: ${error}`);
}

/** Waits until an answer is being produced (the Stop button shows), failing on a panel error. */
/**
 * Waits for an answer to start (Stop shows). With `answersBefore`, an answer that already ended
 * counts too: a 64-token answer can start and end between two polls of a page starved by the engine.
 */
export async function waitForAnswerStart(panel: FrameLocator, answersBefore?: number): Promise<void> {
  const stop = panel.locator('#stop');
  const ended = async () => answersBefore !== undefined && (await panel.locator('.turn.assistant:not(.streaming)').count()) > answersBefore;
  await waitFor('the answer to start', async () => (await failOnPanelError(panel), (await stop.isVisible()) || (await ended())), Boolean, LONG, 20);
}

/** Does what asks (a click, Enter) and waits for its answer to start, or to have ended already. */
export async function startAnswer(panel: FrameLocator, asking: () => Promise<unknown>): Promise<void> {
  const answersBefore = await panel.locator('.turn.assistant:not(.streaming)').count();
  await asking();
  await waitForAnswerStart(panel, answersBefore);
}

/** Waits for the running answer to end, then checks how the latest one ended ("done", "stopped"). */
export async function waitForAnswerEnd(panel: FrameLocator, outcome: string, timeoutMs = 180_000): Promise<void> {
  const stop = panel.locator('#stop');
  await waitFor('the answer to end', async () => (await failOnPanelError(panel), stop.isHidden()), Boolean, timeoutMs);
  const last = panel.locator('.turn.assistant').last();
  assert.equal(await last.getAttribute('data-outcome'), outcome, 'how the latest answer ended');
}

/** Focuses an open editor by its tab (in the first group that has it). */
export async function focusTab(page: Page, fileName: string): Promise<void> {
  await page.locator('.tabs-container .tab', { hasText: fileName }).first().click();
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor({ timeout: LONG });
}

/**
 * Puts the cursor at the start of a 1-based line of the active editor and applies a quick fix by
 * its title. The menu lists Loupe's fixes once the extension's code action provider answers.
 */
export async function applyQuickFix(page: Page, line: number, title: string): Promise<void> {
  await goToLine(page, line);
  await page.keyboard.press('Home');
  const fix = page.locator('.action-widget .monaco-list-row.action', { hasText: title }).first();
  await waitFor(
    `the quick fix "${title}"`,
    async () => {
      await page.keyboard.press('Control+.');
      const shown = await fix.waitFor({ timeout: 10_000 }).then(() => true, () => false);
      if (!shown) await page.keyboard.press('Escape');
      return shown;
    },
    Boolean,
    LONG,
    0,
  );
  await fix.click();
}

/** A notification toast whose text matches. */
export function notification(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/** A status bar item whose text matches. */
export function statusBarItem(page: Page, text: string | RegExp): Locator {
  return page.locator('.statusbar-item', { hasText: text }).first();
}

/** Opens an image in VS Code's image preview and clicks Loupe's "Ask About Image" title button. */
export async function askAboutPreviewedImage(page: Page, fileName: string): Promise<void> {
  await quickOpen(page, fileName);
  await page.locator('.editor-group-container.active .editor-actions .action-item', { has: page.locator('[aria-label="Ask About Image"]') }).click();
}

/** The "Loupe" entry of the Explorer's context menu, which opens Loupe's submenu. */
export function explorerLoupeSubmenu(page: Page): Locator {
  return page.locator('.monaco-menu .action-item .action-label', { hasText: /^Loupe$/ }).first();
}

/**
 * Waits for an input box (a quick input without a list) whose title matches, as Loupe's prompt
 * for a server's API key opens, and returns its text, its hint and the field itself.
 */
export async function inputBoxTitled(page: Page, title: RegExp, timeoutMs = 180_000): Promise<{ value: string; prompt: string; input: Locator }> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: timeoutMs });
  const input = widget.locator('input.input');
  return { value: await input.inputValue(), prompt: await widget.locator('.quick-input-message').innerText(), input };
}

/**
 * Loupe's alt text review (webview-ui/altReview/) inside `root`: the batch's list, or one quick
 * fix's proposal with its image.
 */
export function altReviewIn(root: Frame | FrameLocator) {
  const items = root.locator('li.proposal');
  return {
    items,
    heading: () => root.locator('h1').innerText(),
    hint: () => root.locator('.hint').innerText(),
    apply: root.locator('#apply'),
    cancel: root.locator('#cancel'),
    summary: () => root.locator('#summary').innerText(),
    locations: () => items.locator('.location').allInnerTexts(),
    proposals: () => items.locator('textarea').evaluateAll((fields) => fields.map((field) => (field as HTMLTextAreaElement).value)),
    accepted: () => items.locator('input[value="accept"]').evaluateAll((boxes) => boxes.map((box) => (box as HTMLInputElement).checked)),
    thumbnailWidths: () => items.locator('img.thumbnail').evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth)),
    field: (index: number) => items.nth(index).locator('textarea'),
    skip: (index: number) => items.nth(index).locator('input[value="skip"]'),
    /** "Proposed by the local model.", "From the cache.", "Edited by you.", "Your edit, from …". */
    origin: (index: number) => items.nth(index).locator('.origin').innerText(),
    /** "Now: …", the origin and "37/125 characters." */
    meta: (index: number) => items.nth(index).locator('.meta').innerText(),
    warning: (index: number) => items.nth(index).locator('.warning'),
  };
}

/**
 * Waits for the alt text review and returns it, found by its content: the Ask panel is a Loupe
 * webview panel too, and a panel's frame carries nothing else that tells them apart.
 */
export async function shownAltReview(page: Page, timeoutMs = 180_000): Promise<ReturnType<typeof altReviewIn>> {
  const reviewFrame = async () => {
    for (const frame of page.frames()) if ((await frame.locator('#proposals li.proposal').count().catch(() => 0)) > 0) return frame;
    return undefined;
  };
  const frame = await waitFor('the alt text review', reviewFrame, (found) => found !== undefined, timeoutMs);
  return altReviewIn(frame!);
}

/** The side-bar chat's webview host frame (a webview VIEW: VS Code marks it purpose=webviewView). */
export const SIDE_BAR_CHAT_IFRAME = 'iframe.webview.ready[src*="extensionId=loupe-dev.loupe"][src*="purpose=webviewView"]';

/** The side-bar chat's document. */
export function sideBarChat(page: Page): FrameLocator {
  return page.frameLocator(SIDE_BAR_CHAT_IFRAME).frameLocator('#active-frame');
}

/** Picks a file in the file dialog VS Code opens in code-server (its own, typed path). */
export async function pickFileInDialog(page: Page, path: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: LONG });
  // The dialog opens empty and then lists its start folder, writing that folder (and, when it was
  // given a file, that file's name) into the box over whatever is there; an Enter meanwhile is held
  // and then accepts the dialog's own value. So type only once it has listed the folder.
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor({ timeout: LONG });
  // The dialog completes and filters as the path is typed; Enter before it settles is ignored.
  await input.fill(path);
  await waitFor(
    `the file dialog to take ${path}`,
    async () => {
      if (await input.isHidden()) return true;
      if ((await input.inputValue()) !== path) await input.fill(path);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await input.press('Enter').catch(() => undefined);
      return input.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false);
    },
    Boolean,
  );
}

/**
 * Switches the colour theme as a user does: "Preferences: Color Theme", then the theme by the label
 * the picker shows ("Dark Modern", "Dark High Contrast"). The `workbench.colorTheme` values are
 * theme ids, which differ from the labels and between VS Code versions.
 */
export async function pickColorTheme(page: Page, label: string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input.input');
  await input.fill(label);
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await page.locator('.quick-input-widget .monaco-list-row', { has: page.locator('.label-name', { hasText: exact }) }).first().click();
  await input.waitFor({ state: 'hidden', timeout: LONG });
}
