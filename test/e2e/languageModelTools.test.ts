/**
 * Loupe's language-model tools in a real VS Code (code-server), called the way another extension
 * or an agent calls them: a helper extension (test/e2e/fixtures/tool-caller) lists `vscode.lm.tools`
 * and calls each Loupe tool with `vscode.lm.invokeTool` and no chat request behind it. Outside a
 * chat, VS Code asks for each call's confirmation in a modal dialog, which this test reads and
 * accepts as a user would. The tiny model's words are random; the assertions are about what the
 * calling model gets: text parts, the provenance line, OCR's lines, cancellation and refusals.
 *
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fg from 'fast-glob';
import type { Page } from 'playwright-core';
import { repoRoot, tinyModelDir } from '../support/paths';
import { writeSignInScreenshot } from '../support/signInScreenshot';
import { openSession, type E2eSession } from './session';
import { openWorkbench, runCommand, screenshot, statusBarItem, trustFolder, waitFor } from './workbench';

const LOUPE_TOOLS = ['loupe_alt_text', 'loupe_ask_image', 'loupe_describe_image', 'loupe_find_in_image', 'loupe_read_image_text'];
const README = ['# Sign-in', '', '![](shot.png)', ''].join('\n');

interface Call {
  label: string;
  name: string;
  ms: number;
  parts?: { text?: string; other?: string }[];
  error?: string;
}
interface Results {
  mcpApi: boolean;
  tools: { name: string; tags: string[]; inputSchema: { properties?: Record<string, unknown> } }[];
  calls: Call[];
}

/** Log files under code-server's folder, joined (empty before they exist). */
function logs(serverRoot: string, pattern: string): string {
  return fg.sync(pattern, { cwd: serverRoot, absolute: true }).map((path) => readFileSync(path, 'utf8')).join('\n');
}
/** Loupe's output channel. */
const loupeLog = (serverRoot: string) => logs(serverRoot, '**/loupe-dev.loupe/Loupe.log');

/** The helper extension as a VSIX: code-server installs extensions from VSIX files only. */
function packToolCaller(outDir: string): string {
  const out = join(outDir, 'tool-caller.vsix');
  const vsce = join(repoRoot, 'node_modules', '.bin', 'vsce');
  const packed = spawnSync(vsce, ['package', '--skip-license', '--allow-missing-repository', '--no-dependencies', '--out', out], {
    cwd: join(repoRoot, 'test', 'e2e', 'fixtures', 'tool-caller'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (packed.status !== 0) throw new Error(`Packing the tool caller failed:\n${packed.stdout}\n${packed.stderr}`);
  return out;
}

describe("Loupe's language-model tools in code-server", { timeout: 15 * 60_000 }, () => {
  let session: E2eSession;
  let page: Page;
  let workspace: string;
  const scratch = mkdtempSync(join(tmpdir(), 'loupe-e2e-lmtools-scratch-'));
  const outsideImage = join(scratch, 'secret.png');

  before(async () => {
    // Balanced allows 512 new tokens: seconds of generating on the tiny model, time enough to cancel.
    session = await openSession({ name: 'lmtools', settings: { 'loupe.model.path': tinyModelDir, 'loupe.preset': 'balanced' }, extensions: [packToolCaller(scratch)] });
    ({ page, workspace } = session);
    await writeSignInScreenshot(join(workspace, 'shot.png'));
    await writeSignInScreenshot(outsideImage);
    writeFileSync(join(workspace, 'README.md'), README);
    writeFileSync(join(workspace, 'tool-caller-input.json'), JSON.stringify({ outsideImage }));
  });

  after(async () => {
    await session?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('another extension finds the tools and calls them: answers, OCR lines, a cancel and a refusal', async () => {
    await openWorkbench(page, session.server.url, workspace);
    // The tool caller declares no Restricted Mode support: VS Code enables it in trusted folders only.
    await trustFolder(page);
    await runCommand(page, 'Tool Caller: Call Loupe Tools');

    const confirmations: string[] = [];
    const dialog = page.locator('.monaco-dialog-box');
    const file = (name: string) => join(workspace, name);
    let armed = false;
    await waitFor(
      'the tool caller to write its results',
      async () => {
        if (await dialog.isVisible()) {
          confirmations.push(await dialog.innerText());
          if (confirmations.length === 1) await screenshot(page, 'lmtools-01-confirm');
          // The call after cancel-ready is the one to cancel, once its engine job runs.
          armed = existsSync(file('cancel-ready'));
          await dialog.locator('.monaco-button', { hasText: /^Yes$/ }).click();
        }
        if (armed && !existsSync(file('cancel-now')) && (await statusBarItem(page, /Generating/).isVisible())) writeFileSync(file('cancel-now'), '');
        return existsSync(file('tool-results.json'));
      },
      Boolean,
      12 * 60_000,
      100,
    );
    // The file shows before its text is all written: read it until it parses.
    const written = await waitFor('tool-results.json to be written whole', async () => readFileSync(file('tool-results.json'), 'utf8'), parses, 10_000, 50);
    const results = JSON.parse(written) as Results;
    await page.locator('.tabs-container .tab.active', { hasText: 'tool-results.json' }).waitFor();
    await screenshot(page, 'lmtools-02-results');

    assert.deepEqual(results.tools.map((tool) => tool.name).sort(), LOUPE_TOOLS);
    for (const tool of results.tools) {
      assert.ok(tool.tags.includes('loupe'), `${tool.name} tags: ${tool.tags.join(', ')}`);
      assert.ok(tool.inputSchema.properties?.image, `${tool.name} has its input schema`);
    }

    assert.equal(confirmations.length, results.calls.length, `one confirmation per call: ${JSON.stringify(confirmations)}`);
    assert.ok(confirmations.some((text) => /Loupe: Describe an image[\s\S]*The model on this machine looks at shot\.png; nothing leaves the machine\./.test(text)), JSON.stringify(confirmations));
    assert.ok(confirmations.some((text) => /OCR on this machine reads shot\.png/.test(text)), JSON.stringify(confirmations));
    assert.ok(confirmations.some((text) => /the image on line 3 of README\.md/.test(text)), JSON.stringify(confirmations));

    const byLabel = new Map(results.calls.map((call) => [call.label, call]));
    const text = (label: string) => {
      const call = byLabel.get(label);
      assert.ok(call && !call.error, `${label}: ${JSON.stringify(call)}`);
      assert.ok(call.parts!.length > 0 && call.parts!.every((part) => typeof part.text === 'string'), `${label} returns text parts: ${JSON.stringify(call.parts)}`);
      return call.parts!.map((part) => part.text!);
    };
    const provenance = /\n\n\[Loupe looked at \S*shot\.png, PNG 480×300 · the model on this machine \([^)]*lfm2-vl-tiny, [^)]+\) · preset balanced[^\]]*\]$/;
    for (const label of ['describe', 'ask', 'alt', 'after-cancel']) {
      const [answer] = text(label);
      assert.match(answer!, provenance, label);
      assert.ok(answer!.split('\n\n[Loupe looked at')[0]!.trim().length > 0, `${label} has an answer before its provenance`);
    }

    const [ocrText, ocrJson] = text('ocr');
    assert.match(ocrText!, /\n\n\[Loupe looked at \S*shot\.png, PNG 480×300 · PaddleOCR PP-OCRv4 on this machine\]$/);
    const ocr = JSON.parse(ocrJson!) as { width: number; height: number; lines: { text: string; confidence: number; box: number[][] }[] };
    assert.deepEqual([ocr.width, ocr.height], [480, 300]);
    assert.ok(ocr.lines.some((line) => /password/i.test(line.text)), `OCR lines: ${JSON.stringify(ocr.lines.map((line) => line.text))}`);
    assert.ok(ocr.lines.every((line) => line.box.length === 4), 'every line has its four corners');

    const [findText, findJson] = text('find');
    const found = JSON.parse(findJson!) as { image: { width: number; height: number }; boxes: { label: string; x: number; y: number; width: number; height: number }[] };
    assert.deepEqual(found.image, { width: 480, height: 300 });
    assert.match(findText!, new RegExp(`^${found.boxes.length} found \\(x, y, width, height in pixels of the 480×300 image\\)`));
    assert.ok(found.boxes.every((box) => findText!.includes(`: ${box.x}, ${box.y}, ${box.width}, ${box.height}`)), 'every box is in the text');

    // VS Code's extension host races a tool's invoke against the caller's token and rejects with a
    // CancellationError once it is cancelled, dropping what the tool returns; Loupe's answer
    // ("The call was cancelled.", the engine job stopped) shows in its log.
    assert.ok(existsSync(file('cancel-now')), 'the test saw the cancellable call generating and cancelled it');
    assert.equal(byLabel.get('cancelled')?.error, 'Canceled: Canceled');
    const log = await waitFor('Loupe to log the cancelled call', async () => loupeLog(session.server.root), (text) => /loupe_describe_image: The call was cancelled\./.test(text), 10_000);
    assert.match(log, /loupe_describe_image: The call was cancelled\./);
    const [refusal] = text('outside');
    assert.match(refusal!, /secret\.png is outside the folders open here \(.+\); Loupe reads no image from outside them\./);

    // The MCP provider registers in activate(), where this VS Code has the API: activation did not fail on it.
    assert.equal(results.mcpApi, true, 'VS Code 1.139 has registerMcpServerDefinitionProvider and McpStdioServerDefinition');
    const hostLog = logs(session.server.root, '**/remoteexthost.log');
    assert.match(hostLog, /_doActivateExtension loupe-dev\.loupe/);
    assert.doesNotMatch(hostLog, /Activating extension loupe-dev\.loupe failed/);
  });
});

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
