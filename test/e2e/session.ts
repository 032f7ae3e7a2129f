/**
 * One e2e session: a code-server with the VSIX installed, user settings written, a workspace
 * folder, and a Chromium page on it. Closing it leaves a final screenshot and removes the folder
 * (unless LOUPE_E2E_KEEP is set, for looking at it afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './codeServer';
import { E2E_SETTINGS, launchChromium, screenshot } from './workbench';

export interface E2eSession {
  server: CodeServer;
  browser: Browser;
  page: Page;
  /** The workspace folder the window opens. */
  workspace: string;
  close(): Promise<void>;
}

/** `extensions`: VSIX files installed beside Loupe's. */
export async function openSession(options: { name: string; settings: Record<string, unknown>; extensions?: string[] }): Promise<E2eSession> {
  const workspace = mkdtempSync(join(tmpdir(), `loupe-e2e-${options.name}-`));
  const server = await startCodeServer({ settings: { ...E2E_SETTINGS, ...options.settings }, extensions: options.extensions });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    await server.stop();
    throw error;
  }
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(60_000);
  return {
    server,
    browser,
    page,
    workspace,
    async close() {
      await screenshot(page, `${options.name}-zz-final`).catch(() => undefined);
      await browser.close();
      await server.stop();
      if (!process.env.LOUPE_E2E_KEEP) rmSync(workspace, { recursive: true, force: true });
    },
  };
}
