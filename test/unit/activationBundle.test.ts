/**
 * What VS Code loads when Loupe activates (in every window, at start-up) is the shell alone:
 * under 400 KB as shipped, and nothing in it can reach the model store, the engine client, the
 * download stack or a document parser; those come with the features bundle on first use.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { it } from 'node:test';
import * as esbuild from 'esbuild';
import { repoRoot } from '../support/paths';

it('the activation bundle is under 400 KB and holds no model store, engine client or parser', async () => {
  const { nodeBundles } = (await import(pathToFileURL(join(repoRoot, 'scripts/build.mjs')).href)) as { nodeBundles: esbuild.BuildOptions[] };
  const shell = nodeBundles.find((options) => options.outfile === 'dist/extension.js')!;
  const result = await esbuild.build({ ...shell, absWorkingDir: repoRoot, minify: true, sourcemap: false, write: false, metafile: true, outfile: 'shell.js' });
  const bytes = result.outputFiles.find((file) => file.path.endsWith('shell.js'))!.contents.byteLength;
  console.log(`activation bundle: ${(bytes / 1024).toFixed(1)} KB`);
  assert.ok(bytes < 400 * 1024, `${bytes} bytes`);
  const inputs = Object.keys(result.metafile.inputs);
  const forbidden = inputs.filter((input) => /src\/models\/|src\/client\/|src\/altText\/|node_modules\/(zod|undici|parse5|micromark|typescript)\//.test(input));
  assert.deepEqual(forbidden, []);
});
