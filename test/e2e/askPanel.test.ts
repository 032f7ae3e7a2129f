/**
 * The Ask panel in a real VS Code (code-server) driven through real Chromium: Explorer context
 * menu -> panel with thumbnail -> streamed answer from the tiny model -> Stop -> Insert at cursor
 * -> alt text of the image under the cursor. The tiny model's words are random; the assertions
 * are about behaviour (streaming, stopping, what lands in the file), not content.
 *
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { imagesIn } from '../../src/features/imageReferences';
import { tinyModelDir } from '../support/paths';
import { startCodeServer, type CodeServer } from './codeServer';
import {
  askPanel,
  explorerContextCommand,
  goToLine,
  openFile,
  openWorkbench,
  panelError,
  runCommand,
  screenshot,
  trustFolder,
  waitFor,
  waitForAnswer,
} from './workbench';

const README = ['# Loupe e2e', '', 'The login screen:', '', '![](shot.png)', '', 'Notes:', ''].join('\n');
const IMAGE_LINE = 5;

/** A small UI-like screenshot (title bar, form, button) rendered by sharp. */
async function writeScreenshot(path: string): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="300">
    <rect width="480" height="300" fill="#f3f3f3"/>
    <rect width="480" height="36" fill="#2b579a"/>
    <text x="16" y="24" font-family="DejaVu Sans" font-size="16" fill="#fff">Sign in</text>
    <rect x="40" y="80" width="400" height="36" fill="#fff" stroke="#999"/>
    <text x="52" y="104" font-family="DejaVu Sans" font-size="15" fill="#555">Email address</text>
    <rect x="40" y="136" width="400" height="36" fill="#fff" stroke="#999"/>
    <text x="52" y="160" font-family="DejaVu Sans" font-size="15" fill="#555">Password</text>
    <rect x="40" y="200" width="140" height="40" rx="4" fill="#107c10"/>
    <text x="78" y="226" font-family="DejaVu Sans" font-size="16" fill="#fff">Log in</text>
  </svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
}

describe('Ask panel in code-server', { timeout: 20 * 60_000 }, () => {
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let workspace: string;
  const readme = () => readFileSync(join(workspace, 'README.md'), 'utf8');

  before(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'loupe-e2e-workspace-'));
    writeFileSync(join(workspace, 'README.md'), README);
    await writeScreenshot(join(workspace, 'shot.png'));
    server = await startCodeServer({
      settings: {
        'loupe.model.path': tinyModelDir,
        // Long answers, so the stream can be watched growing and stopped.
        'loupe.preset': 'detailed',
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
      },
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(60_000);
  });

  after(async () => {
    if (page) await screenshot(page, 'zz-final').catch(() => undefined);
    await browser?.close();
    await server?.stop();
    if (workspace && !process.env.LOUPE_E2E_KEEP) rmSync(workspace, { recursive: true, force: true });
  });

  it('opens the workspace in VS Code and trusts it', async () => {
    await openWorkbench(page, server.url, workspace);
    await screenshot(page, '01-workbench');
    await trustFolder(page);
    await screenshot(page, '02-trusted');
  });

  it('"Ask About Image" from the Explorer context menu shows the image in the panel', async () => {
    await openFile(page, 'README.md');
    // Opening Markdown activates the extension; its status bar item says the model is found.
    await page.locator('.statusbar-item', { hasText: 'Loupe: not loaded' }).first().waitFor({ timeout: 120_000 });
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
    await panel.locator('#preset').selectOption('fast');
    await panel.locator('#question').fill('What does this screen ask for?');
    await panel.locator('#question').press('Enter');
    const body = panel.locator('#streaming-answer .turn-body');
    const snapshots: string[] = [];
    // Sample the live answer until it finishes; keep each distinct non-empty text seen.
    await waitFor(
      'the answer to finish',
      async () => {
        const text = (await body.count()) ? await body.innerText().catch(() => '') : '';
        if (text && text !== snapshots.at(-1)) snapshots.push(text);
        if (snapshots.length === 2) await screenshot(page, '04-streaming');
        const error = await panelError(panel);
        if (error) throw new Error(`The Ask panel shows an error: ${error}`);
        return panel.locator('.turn.assistant[data-outcome="done"]').count();
      },
      (count) => count > 0,
      180_000,
      25,
    );
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
    await panel.locator('[data-insert="cursor"]').click();
    await panel.locator('#notice', { hasText: 'Inserted into README.md' }).waitFor();
    const after = await waitFor('README.md to be saved with the answer', async () => readme(), (text) => text !== before);
    assert.ok(after.startsWith(before), 'the answer went in at the cursor (the end of the file)');
    assert.ok(after.length > before.length + 5, `inserted ${after.length - before.length} characters`);
    await screenshot(page, '06-inserted');
  });

  it('Stop ends a long answer early and keeps what arrived', async () => {
    const panel = askPanel(page);
    await panel.locator('#preset').selectOption('detailed');
    await panel.locator('.chip[data-task="describe-diagram"]').click();
    await waitFor('a few streamed tokens', () => panel.locator('#readout').innerText(), (text) => Number(/^(\d+) tokens/.exec(text)?.[1] ?? 0) >= 5);
    await panel.locator('#stop').click();
    await waitForAnswer(panel, 'stopped');
    const readout = await panel.locator('#readout').innerText();
    const tokens = Number(/^(\d+) tokens/.exec(readout)?.[1]);
    assert.match(readout, /stopped$/);
    assert.ok(tokens >= 5 && tokens < 1024, `stopped after ${tokens} of up to 1024 tokens`);
    assert.equal(await panel.locator('#stop').isHidden(), true);
    await screenshot(page, '07-stopped');
  });

  it('the alt text of the image under the cursor is filled, escaped for Markdown', async () => {
    await openFile(page, 'README.md');
    await goToLine(page, IMAGE_LINE);
    await runCommand(page, 'Loupe: Ask About Image Under Cursor');
    const panel = askPanel(page);
    const altButton = panel.locator('[data-insert="altText"]');
    await panel.locator('.chip[data-task="alt-text"]').click();
    await waitForAnswer(panel, 'done');
    await altButton.waitFor({ state: 'visible' });
    assert.match(await altButton.getAttribute('title') ?? '', /shot\.png in README\.md:5/);
    const before = readme();
    await altButton.click();
    await panel.locator('#notice', { hasText: 'Set the alt text of shot.png' }).waitFor();
    const after = await waitFor('README.md to be saved with the alt text', async () => readme(), (text) => text !== before);
    const [image] = imagesIn(after, 'README.md', 'markdown');
    assert.equal(image?.src, 'shot.png', 'the image still points at the same file');
    assert.ok(image.alt && image.alt.trim().length > 0, `alt text filled: ${JSON.stringify(image.alt)}`);
    const otherLines = (text: string) => text.split('\n').filter((_, i) => i !== IMAGE_LINE - 1);
    assert.deepEqual(otherLines(after), otherLines(before), 'only the image line changed');
    await screenshot(page, '08-alt-text');
  });
});
