/**
 * Webview code run where it runs: `source` (TypeScript importing from webview-ui/, resolved from
 * the repository root) bundled by esbuild as the build does for the webview, for a page of real
 * Chromium. No network: the page gets only what the test adds.
 */
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from './paths';

export async function bundleForBrowser(source: string): Promise<string> {
  const bundle = await esbuild.build({
    stdin: { contents: source, resolveDir: repoRoot, loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return bundle.outputFiles[0]!.text;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}
