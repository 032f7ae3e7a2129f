/**
 * Plots in a Jupyter notebook (issue 21, item 4): a notebook whose code cell holds a PNG output
 * (as Jupyter saves it, no kernel needed) opens in VS Code's notebook editor; "Explain This Plot"
 * on the selected cell answers in the panel, and "Insert as Markdown cell" adds the answer below
 * that cell, which is saved to the .ipynb file.
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { tinyModelDir } from '../support/paths';
import { openSession, type E2eSession } from './session';
import { askPanel, explorerRow, focusTab, openWorkbench, runCommand, screenshot, statusBarItem, trustFolder, waitFor, waitForAnswerEnd, waitForAnswerStart } from './workbench';

/** A bar chart as matplotlib would save it into a cell's output. */
async function barChartPng(): Promise<string> {
  const bars = [40, 90, 65, 120]
    .map((height, i) => `<rect x="${60 + i * 80}" y="${200 - height}" width="50" height="${height}" fill="#1f77b4"/><text x="${72 + i * 80}" y="222" font-family="DejaVu Sans" font-size="14">Q${i + 1}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="240"><rect width="400" height="240" fill="#fff"/><line x1="50" y1="200" x2="380" y2="200" stroke="#000"/>${bars}<text x="150" y="24" font-family="DejaVu Sans" font-size="16">Sales by quarter</text></svg>`;
  return (await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64');
}

async function writeNotebook(path: string): Promise<void> {
  const notebook = {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: ['# Sales'] },
      {
        cell_type: 'code',
        execution_count: 1,
        metadata: {},
        source: ['plot_sales()'],
        outputs: [{ output_type: 'display_data', metadata: {}, data: { 'image/png': await barChartPng(), 'text/plain': ['<Figure size 400x240>'] } }],
      },
    ],
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  writeFileSync(path, JSON.stringify(notebook, null, 1));
}

interface SavedCell {
  cell_type: string;
  source: string | string[];
}

describe('Notebook plots in code-server', { timeout: 15 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  const cells = (): SavedCell[] => (JSON.parse(readFileSync(join(workspace, 'plots.ipynb'), 'utf8')) as { cells: SavedCell[] }).cells;
  const source = (cell: SavedCell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);

  before(async () => {
    session = await openSession({ name: 'notebook', settings: { 'loupe.model.path': tinyModelDir } });
    ({ page, workspace } = session);
    await writeNotebook(join(workspace, 'plots.ipynb'));
  });

  after(() => session?.close());

  it('"Explain This Plot" on the selected cell answers about its image output in the panel', async () => {
    await openWorkbench(page, session.server.url, workspace);
    await trustFolder(page);
    await (await explorerRow(page, 'plots.ipynb')).dblclick();
    await page.locator('.notebookOverlay .cell-list-container .code-cell-row').first().waitFor({ timeout: 60_000 });
    await statusBarItem(page, 'Loupe: not loaded').waitFor({ timeout: 120_000 });
    // The code cell: its editor takes the click, which selects the cell.
    const codeCell = page.locator('.notebookOverlay .cell-list-container .code-cell-row').first();
    await codeCell.locator('.monaco-editor .view-lines').click();
    await runCommand(page, 'Loupe: Explain This Plot');
    const panel = askPanel(page);
    await waitFor('the plot in the panel', () => panel.locator('#image-caption').innerText().catch(() => ''), (text) => text.startsWith('plots-cell-2.png · 400×240 px · plots.ipynb, cell 2'));
    await waitForAnswerStart(panel, 0);
    await waitForAnswerEnd(panel, 'done');
    assert.match(await panel.locator('.turn.assistant').last().locator('.turn-label').innerText(), /Describe diagram/);
  });

  it('"Insert as Markdown cell" adds the answer below the plot\'s cell, and it is saved with the notebook', async () => {
    const panel = askPanel(page);
    const insert = panel.locator('.turn.assistant').last().locator('[data-insert="markdownCell"]');
    await insert.waitFor({ state: 'visible' });
    assert.equal(await insert.getAttribute('title'), 'A new Markdown cell below cell 2 of plots.ipynb');
    const answer = await panel.locator('.turn.assistant').last().locator('.turn-body').innerText();
    await insert.click();
    await panel.locator('#notice', { hasText: 'Added a Markdown cell below cell 2 of plots.ipynb.' }).waitFor();
    await screenshot(page, 'notebook-01-inserted');
    await focusTab(page, 'plots.ipynb');
    await runCommand(page, 'File: Save');
    const saved = await waitFor('plots.ipynb saved with a third cell', async () => cells(), (now) => now.length === 3);
    assert.deepEqual(saved.slice(0, 2).map((cell) => cell.cell_type), ['markdown', 'code'], 'the cells before it stay');
    assert.equal(saved[2]!.cell_type, 'markdown');
    // The answer's words are in the new cell (its Markdown source, as the chat rendered it).
    const words = answer.match(/[A-Za-z]{4,}/g)?.slice(0, 5) ?? [];
    assert.ok(words.length > 0 && words.every((word) => source(saved[2]!).includes(word)), `the answer's words ${JSON.stringify(words)} in ${JSON.stringify(source(saved[2]!).slice(0, 200))}`);
  });

  it('a cell without an image output says so', async () => {
    // Markdown cells render in the notebook's webview: the keyboard selects one (Escape leaves the
    // code cell's editor, the arrow goes to the cell above).
    await page.locator('.notebookOverlay .cell-list-container .code-cell-row').first().locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('ArrowUp');
    await page.locator('.notebookOverlay .markdown-cell-row.focused').first().waitFor({ state: 'attached' });
    await runCommand(page, 'Loupe: Chart to Table (This Plot)');
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'Cell 1 of plots.ipynb has no image output' }).waitFor();
  });
});
