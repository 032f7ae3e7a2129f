/**
 * The first-run path in a real VS Code (code-server): no model installed, "Loupe: Download Model"
 * from the command palette, consent and license dialogs, a progress notification that can be
 * cancelled, a second run that resumes instead of starting over, and then an answer from the
 * downloaded model with the hub switched off. A loopback server stands in for the Hugging Face
 * hub and serves the tiny generated model under the default model's repository and file names.
 *
 * Needs: `bash scripts/install-code-server.sh` and `npm run package` (the VSIX under test).
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { getManifest } from '../../src/catalog/catalog';
import { escapeRegExp } from '../../src/store/download';
import { graphFile } from '../../src/modelFolder/modelLayout';
import { hubFixturesDir } from '../support/generatedFixtures';
import { repoFromFolder, startLoopbackHub, type LoopbackHub } from '../support/loopbackHub';
import { imageFixture } from '../support/paths';
import { openSession, type E2eSession } from './session';
import {
  askAboutPreviewedImage,
  askPanel,
  notification,
  openWorkbench,
  runCommand,
  screenshot,
  statusBarItem,
  trustFolder,
  waitFor,
  waitForAnswerEnd,
  startAnswer,
} from './workbench';

const MODEL = getManifest('lfm2.5-vl-450m');
const PRECISION = MODEL.precisions.find((precision) => precision.id === MODEL.defaultPrecision)!;
/** The largest file: the q4 decoder's weights (faults are injected there). */
const DECODER_DATA = `${graphFile('decoder_model_merged', PRECISION.graphs.decoder_model_merged)}_data`;
/** The default model's repository as its manifest's evidence lists it (scripts/gen_hub_fixtures.py). */
const REPO_DIR = join(hubFixturesDir(), MODEL.id);

describe('Model download and management in code-server', { timeout: 20 * 60_000 }, () => {
  let hub: LoopbackHub;
  let session: E2eSession;
  let page: Page;

  before(async () => {
    hub = await startLoopbackHub({ repos: [await repoFromFolder(REPO_DIR, MODEL.hub.repo, MODEL.hub.revision)] });
    session = await openSession({ name: 'models', settings: { 'loupe.hub.endpoint': hub.endpoint } });
    page = session.page;
    copyFileSync(imageFixture('screenshot-256x384.png'), join(session.workspace, 'screen.png'));
  });

  after(async () => {
    await session?.close();
    await hub?.close();
  });

  it('starts with no model and says so in the status bar', async () => {
    await openWorkbench(page, session.server.url, session.workspace);
    await trustFolder(page);
    await statusBarItem(page, 'Loupe: no model').waitFor({ timeout: 120_000 });
  });

  it('asks before downloading, shows where from and how big, and asks to accept the license', async () => {
    // Slow the largest file down so the download is still running when it is cancelled.
    hub.setFault(DECODER_DATA, { chunkDelayMs: 400 });
    await runCommand(page, 'Loupe: Download Model');
    await pickQuickItem(page, MODEL.label);
    const consent = await dialog(page, `Download ${MODEL.label}?`);
    const detail = await consent.locator('.dialog-message-detail').innerText();
    assert.match(detail, new RegExp(`From: ${escapeRegExp(new URL(hub.endpoint).host)}, ${escapeRegExp(MODEL.hub.repo)}`));
    assert.match(detail, /After this, Loupe works offline/);
    await screenshot(page, 'models-01-consent');
    await consent.locator('.monaco-button', { hasText: /^Download$/ }).click();
    const license = await dialog(page, `licensed under the ${MODEL.license.name}`);
    await screenshot(page, 'models-02-license');
    await license.locator('.monaco-button', { hasText: /^Accept License$/ }).click();
  });

  it('shows progress and can be cancelled, keeping what it fetched', async () => {
    const progress = notification(page, `Downloading ${MODEL.label}`);
    await progress.waitFor();
    await waitFor('part of the decoder to arrive', async () => hub.bytesServed(DECODER_DATA), (bytes) => bytes > 200_000, 120_000);
    await screenshot(page, 'models-03-progress');
    await progress.hover();
    await progress.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
    const cancelled = notification(page, `download of ${MODEL.label} cancelled`);
    await cancelled.waitFor();
    assert.match(await cancelled.innerText(), /kept; run "Loupe: Download Model" again to resume/);
    await statusBarItem(page, 'Loupe: no model').waitFor();
    await screenshot(page, 'models-04-cancelled');
  });

  it('a second run resumes where the first stopped and selects the model', async () => {
    const servedBefore = hub.bytesServed(DECODER_DATA);
    const requestsBefore = hub.requests.length;
    hub.clearFaults();
    await runCommand(page, 'Loupe: Download Model');
    await pickQuickItem(page, MODEL.label);
    const consent = await dialog(page, `Download ${MODEL.label}?`);
    await consent.locator('.monaco-button', { hasText: /^Download$/ }).click();
    // The license was accepted once: no second question. The model is selected when done.
    await statusBarItem(page, /Loupe: not loaded/).waitFor({ timeout: 120_000 });
    const decoderSize = readFileSync(join(REPO_DIR, DECODER_DATA)).length;
    const resumed = hub.requests.slice(requestsBefore).filter((request) => request.server === 'storage' && request.path === DECODER_DATA);
    assert.equal(resumed.length, 1, 'one request for the rest of the decoder');
    assert.match(resumed[0]!.range ?? '', /^bytes=[1-9]\d*-$/, 'it asks only for the bytes it lacks');
    assert.equal(hub.bytesServed(DECODER_DATA) - servedBefore, decoderSize - Number(/^bytes=(\d+)-$/.exec(resumed[0]!.range!)![1]));
    await screenshot(page, 'models-05-installed');
  });

  it('the downloaded model answers with the hub switched off', async () => {
    await hub.close();
    await askAboutPreviewedImage(page, 'screen.png');
    const panel = askPanel(page);
    // Enter before the image has arrived asks nothing (the question stays in the box).
    await waitFor('the previewed image in the panel', () => panel.locator('#image-caption').innerText(), (text) => text.startsWith('screen.png'));
    await panel.locator('#question').fill('What is on this screen?');
    await startAnswer(panel, () => panel.locator('#question').press('Enter'));
    await waitForAnswerEnd(panel, 'done');
    assert.match(await panel.locator('#model-status').innerText(), new RegExp(`Model ready · ${escapeRegExp(MODEL.label)}`));
    await screenshot(page, 'models-06-answer');
  });

  it('Show Model Info names the repository, commit and precision it came from', async () => {
    await runCommand(page, 'Loupe: Show Model Info');
    const info = await dialog(page, MODEL.label);
    const detail = await info.locator('.dialog-message-detail').innerText();
    assert.match(detail, new RegExp(`Source: ${escapeRegExp(MODEL.hub.repo)} at commit ${MODEL.hub.revision}\n`), 'a pinned commit is named once');
    assert.match(detail, /Precision: q4 \(vision fp16, embeddings fp16, decoder q4\)/);
    assert.match(detail, new RegExp(`License: ${escapeRegExp(MODEL.license.name)} \\(accepted \\d{4}-\\d\\d-\\d\\d\\)`));
    await screenshot(page, 'models-07-info');
    await page.keyboard.press('Escape');
    await info.waitFor({ state: 'hidden' });
  });

  it('Delete Model asks first, frees the model, and the status bar says no model', async () => {
    await runCommand(page, 'Loupe: Delete Model');
    await pickQuickItem(page, MODEL.label);
    const confirm = await dialog(page, `Delete ${MODEL.label}?`);
    assert.match(await confirm.locator('.dialog-message-detail').innerText(), /This frees [\d.]+ MB in .*lfm2\.5-vl-450m/);
    await confirm.locator('.monaco-button', { hasText: /^Delete$/ }).click();
    await notification(page, `deleted ${MODEL.label}`).waitFor();
    await statusBarItem(page, 'Loupe: no model').waitFor();
    await screenshot(page, 'models-08-deleted');
  });
});


async function pickQuickItem(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.click();
}

/** A modal dialog whose message contains `text`. */
async function dialog(page: Page, text: string) {
  const box = page.locator('.monaco-dialog-box', { has: page.locator('.dialog-message-text', { hasText: text }) });
  await box.waitFor();
  return box;
}
