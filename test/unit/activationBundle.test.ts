/**
 * What VS Code loads when Loupe activates (in every window, at start-up) is the shell alone:
 * under 400 KB as shipped, and nothing in it can reach the model store, the engine client, the
 * download stack or a document parser; those come with the features bundle on first use.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { builtinModules } from 'node:module';
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

it('every require() left in the shell and features bundles is a Node built-in or a declared external', async () => {
  const { nodeBundles } = (await import(pathToFileURL(join(repoRoot, 'scripts/build.mjs')).href)) as { nodeBundles: esbuild.BuildOptions[] };
  for (const outfile of ['dist/extension.js', 'dist/features.js']) {
    const options = nodeBundles.find((bundle) => bundle.outfile === outfile)!;
    const result = await esbuild.build({ ...options, absWorkingDir: repoRoot, minify: false, sourcemap: false, write: false, outfile: 'bundle.js' });
    const text = new TextDecoder().decode(result.outputFiles.find((file) => file.path.endsWith('bundle.js'))!.contents);
    // A relative require means a package esbuild could not bundle (a UMD wrapper): it throws when VS Code loads the file.
    const unresolved = [...text.matchAll(/\brequire\w*\("([^"]+)"\)/g)]
      .map((match) => match[1]!)
      .filter((name) => !name.startsWith('node:') && !builtinModules.includes(name) && !(options.external ?? []).some((external) => name === external || name.startsWith(`${external}/`)));
    assert.deepEqual([...new Set(unresolved)], [], outfile);
  }
});
