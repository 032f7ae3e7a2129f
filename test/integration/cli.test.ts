/** The `loupe` CLI as a user runs it: the built bundle, real engine, real files, exit codes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { imageFixture, repoRoot, tinyModelDir } from '../support/paths';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as it arrived, chunk by chunk. */
  chunks: string[];
}

const emptyHome = mkdtempSync(join(tmpdir(), 'loupe-home-'));

function loupe(args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], {
      cwd,
      env: { ...process.env, LOUPE_HOME: emptyHome, ...env },
    });
    const run: Run = { code: null, stdout: '', stderr: '', chunks: [] };
    child.stdout.on('data', (chunk: Buffer) => {
      run.chunks.push(chunk.toString());
      run.stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk));
    child.on('close', (code) => resolve({ ...run, code }));
  });
}

const screenshot = imageFixture('screenshot-256x384.png');
const scratch = mkdtempSync(join(tmpdir(), 'loupe-cli-'));

/** A plain image of the given size, written once per test run. */
async function imageOfSize(width: number, height: number): Promise<string> {
  const path = join(scratch, `${width}x${height}.png`);
  await sharp({ create: { width, height, channels: 3, background: '#3366aa' } }).png().toFile(path);
  return path;
}

const marker = (row: number, col: number) => `<|img_row_${row}_col_${col}|>`;

describe('loupe prompt', () => {
  it('shows geometric tile markers for a 1920x1080 screenshot on Balanced and Detailed', async () => {
    const image = await imageOfSize(1920, 1080);
    const expectations = {
      balanced: { grid: { rows: 1, cols: 2 }, markers: [marker(1, 1), marker(1, 2)], imageTokens: 2 * 256 + 252 },
      detailed: {
        grid: { rows: 2, cols: 4 },
        markers: [1, 2].flatMap((row) => [1, 2, 3, 4].map((col) => marker(row, col))),
        imageTokens: 8 * 256 + 252,
      },
    };
    for (const [preset, expected] of Object.entries(expectations)) {
      const run = await loupe(['prompt', image, 'What is this?', '--model', tinyModelDir, '--preset', preset, '--json', '--no-ocr']);
      assert.equal(run.code, 0, run.stderr);
      const preview = JSON.parse(run.stdout) as { text: string; grid: unknown; imageTokens: number; resized: unknown; thumbnail: boolean };
      assert.deepEqual(preview.grid, expected.grid, preset);
      assert.deepEqual(preview.text.match(/<\|img_row_\d+_col_\d+\|>/g), expected.markers, preset);
      assert.equal(preview.imageTokens, expected.imageTokens, preset);
      assert.deepEqual(preview.resized, { width: 672, height: 384 });
      assert.match(preview.text, /<\|img_thumbnail\|><image>x252<\|image_end\|>/);
      assert.match(preview.text, /What is this\?<\|im_end\|>/);
    }
  });

  it('gives upstream token counts where transformers.js rounds differently', async () => {
    const cases: [number, number, string, number, number][] = [
      [272, 272, 'fast', 64, 1],
      [400, 400, 'fast', 144, 1],
      [144, 650, 'fast', 80, 1],
      [1200, 80, 'fast', 76, 1],
      [720, 720, 'balanced', 256, 1],
      [720, 720, 'detailed', 256, 1],
    ];
    for (const [width, height, preset, imageTokens, tiles] of cases) {
      const run = await loupe(['prompt', await imageOfSize(width, height), '--model', tinyModelDir, '--preset', preset, '--json', '--no-ocr']);
      assert.equal(run.code, 0, run.stderr);
      const preview = JSON.parse(run.stdout) as { imageTokens: number; tiles: number; text: string };
      assert.deepEqual([preview.imageTokens, preview.tiles], [imageTokens, tiles], `${width}x${height} ${preset}`);
      assert.match(preview.text, new RegExp(`<\\|image_start\\|><image>x${imageTokens}<\\|image_end\\|>`));
    }
  });

  it('prints the prompt and a summary for people', async () => {
    const run = await loupe(['prompt', await imageOfSize(1920, 1080), '--model', tinyModelDir, '--preset', 'detailed', '--no-ocr']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /tiles 4 wide x 2 high of 512x512 \+ thumbnail 672x384/);
    assert.match(run.stdout, /2300 image tokens in 9 tiles, \d+ prompt tokens/);
  });
});

/** Starts `loupe` and sends Ctrl-C once `ready` sees the output it waits for. */
function interrupt(args: string[], ready: (run: { stdout: string; stderr: string }) => boolean): Promise<Run & { signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], { env: { ...process.env, LOUPE_HOME: emptyHome } });
    const run = { code: null as number | null, stdout: '', stderr: '', chunks: [] as string[] };
    let sent = false;
    const check = () => {
      if (sent || !ready(run)) return;
      sent = true;
      child.kill('SIGINT');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk;
      check();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      run.stderr += chunk;
      check();
    });
    child.on('close', (code, signal) => resolve({ ...run, code, signal }));
  });
}

describe('loupe chat', () => {
  it('answers each line on stdin, keeping the conversation and reusing its state', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'chat', screenshot, '--model', tinyModelDir, '--preset', 'fast', '--json', '--no-ocr'], {
      env: { ...process.env, LOUPE_HOME: emptyHome },
    });
    child.stdin.end('What is this?\n\nAnd the title?\nWhich colour?\n');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as { question: string; text: string; stats: { cache: string; timeToFirstTokenMs: number } });
    assert.deepEqual(answers.map((a) => a.question), ['What is this?', 'And the title?', 'Which colour?'], 'blank lines are skipped');
    assert.deepEqual(answers.map((a) => a.stats.cache), ['none', 'conversation', 'conversation']);
    assert.ok(answers.every((a) => a.text.length > 0 && a.stats.timeToFirstTokenMs >= 0));
  });
});

describe('loupe CLI with hostile model folders', () => {
  const modelCopy = (name: string) => {
    const dir = join(scratch, name);
    cpSync(tinyModelDir, dir, { recursive: true });
    return dir;
  };

  it('refuses a FIFO named config.json, an empty graph and external data outside the folder, without hanging', { timeout: 60_000 }, async () => {
    const fifo = modelCopy('fifo-model');
    rmSync(join(fifo, 'config.json'));
    execFileSync('mkfifo', [join(fifo, 'config.json')]);
    const empty = modelCopy('empty-graph');
    writeFileSync(join(empty, 'onnx', 'embed_tokens.onnx'), '');
    for (const [dir, problem] of [[fifo, /config\.json: missing or not a regular file/], [empty, /onnx\/embed_tokens\.onnx: is empty \(0 bytes\)/]] as const) {
      const run = await loupe(['ask', screenshot, 'What is this?', '--model', dir, '--no-ocr']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, problem);
    }
  });

  it('imports a Hugging Face cache snapshot (files are links into blobs/) as real files, and answers from it', { timeout: 60_000 }, async () => {
    const repo = join(scratch, 'models--LiquidAI--tiny');
    const snapshot = join(repo, 'snapshots', 'abc123');
    for (const file of readdirSync(tinyModelDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
      const relativePath = join(relative(tinyModelDir, file.parentPath), file.name);
      const blob = join(repo, 'blobs', relativePath.replace(/\//g, '_'));
      mkdirSync(dirname(blob), { recursive: true });
      cpSync(join(file.parentPath, file.name), blob);
      mkdirSync(dirname(join(snapshot, relativePath)), { recursive: true });
      symlinkSync(relative(dirname(join(snapshot, relativePath)), blob), join(snapshot, relativePath));
    }
    const home = mkdtempSync(join(tmpdir(), 'loupe-hf-home-'));
    const imported = await loupe(['models', 'import', snapshot], { LOUPE_HOME: home });
    assert.equal(imported.code, 0, imported.stderr);
    const stored = readdirSync(join(home, 'models'), { recursive: true, withFileTypes: true });
    assert.deepEqual(stored.filter((e) => e.isSymbolicLink()).map((e) => e.name), [], 'no links in the store');
    assert.ok(stored.some((e) => e.isFile() && e.name === 'decoder_model_merged.onnx'));
    const answer = await loupe(['ask', screenshot, 'What is this?', '--model', 'local-tiny', '--no-ocr', '--max-new-tokens', '4'], { LOUPE_HOME: home });
    assert.equal(answer.code, 0, answer.stderr);
  });
});

describe('loupe CLI', () => {
  it('Ctrl-C while the model loads and while it answers: a clean stop and exit 130', async () => {
    const args = ['ask', screenshot, 'What is this?', '--model', tinyModelDir, '--max-new-tokens', '3000', '--no-ocr'];
    const loading = await interrupt(args, (run) => run.stderr.includes('loading the model'));
    assert.equal(loading.code, 130, `${loading.signal ?? ''} ${loading.stderr}`);
    assert.match(loading.stderr, /stopping/);
    const answering = await interrupt(args, (run) => run.stdout.length > 20);
    assert.equal(answering.code, 130, `${answering.signal ?? ''} ${answering.stderr}`);
    assert.doesNotMatch(answering.stderr, /Error|\n\s+at /, 'no stack trace');
  });

  it('ask streams the answer to stdout, timing to stderr, and exits 0', async () => {
    const run = await loupe(['ask', screenshot, 'What is this?', '--model', tinyModelDir, '--max-new-tokens', '40']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.chunks.length > 2, `streamed in ${run.chunks.length} chunks`);
    assert.ok(run.stdout.trim().length > 0);
    assert.match(run.stderr, /time to first token \d+ ms · \d+ tokens · [\d.]+ tok\/s · 96 image tokens in 1 tile/);
    assert.equal(run.stderr.match(/loading the model/g)?.length, 1, 'said once');
  });

  it('--json prints one object with the text and stats', async () => {
    const run = await loupe(['ask', screenshot, 'What is this?', '--model', tinyModelDir, '--max-new-tokens', '8', '--json', '--preset', 'fast']);
    assert.equal(run.code, 0, run.stderr);
    const parsed = JSON.parse(run.stdout) as { text: string; stats: { imageTokens: number; generatedTokens: number } };
    assert.equal(typeof parsed.text, 'string');
    assert.equal(parsed.stats.imageTokens, 96);
    assert.ok(parsed.stats.generatedTokens <= 8);
  });

  it('alt prints one sentence ending with a period', async () => {
    const run = await loupe(['alt', screenshot, '--model', tinyModelDir]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.ok(lines[0].length <= 125);
    assert.match(lines[0], /\.$/);
  });

  it('exits 2 with a clear message for a file that is not an image', async () => {
    const run = await loupe(['ask', '/etc/hostname', 'x']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /hostname is not an image/);
  });

  it('exits 2 for a missing file, naming it', async () => {
    const run = await loupe(['ask', '/nonexistent/shot.png', 'x', '--model', tinyModelDir]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /shot\.png/);
  });

  it('exits 2 with the first-run choice when no model is installed', async () => {
    const run = await loupe(['describe', screenshot]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /No model is installed yet/);
    assert.match(run.stderr, /loupe models download lfm2\.5-vl-450m/);
  });

  it('exits 2 for an unknown model id and a folder that is not a model', async () => {
    assert.equal((await loupe(['ask', screenshot, 'x', '--model', 'no-such-model'])).code, 2);
    const notModel = await loupe(['ask', screenshot, 'x', '--model', join(repoRoot, 'test')]);
    assert.equal(notModel.code, 2);
    assert.match(notModel.stderr, /not a model/);
  });

  it('exits 2 with one line for an image too thin to read and for a question over the limit', async () => {
    for (const [width, height] of [[1, 20000], [20000, 1]]) {
      const run = await loupe(['ask', await imageOfSize(width, height), 'What is this?', '--model', tinyModelDir, '--no-ocr']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^loupe: The image is ${width} x ${height} pixels \\(about 1:20000\\), too (wide|tall) .*Crop it`, 'm'));
      assert.equal(run.stderr.trim().split('\n').filter((line) => !line.includes('loading the model')).length, 1, run.stderr);
    }
    const run = await loupe(['ask', screenshot, 'x'.repeat(25_000), '--model', tinyModelDir]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'loupe: The question is 25,000 characters; Loupe takes up to 20,000. Shorten it.\n');
  });

  it('asks about a 100-megapixel PNG in under 1 GB, decoding it once', { timeout: 120_000 }, async () => {
    const path = join(scratch, '100mp.png');
    await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#eef' }, limitInputPixels: false })
      .composite([{ input: Buffer.from('<svg width="4000" height="600"><text x="10" y="300" font-size="200">Hello 123</text></svg>'), left: 100, top: 100 }])
      .png()
      .toFile(path);
    const run = await loupe(['ask', path, 'What is this?', '--model', tinyModelDir, '--max-new-tokens', '4'], {
      NODE_OPTIONS: `--require ${join(repoRoot, 'test/support/reportMaxRss.cjs')}`,
    });
    assert.equal(run.code, 0, run.stderr);
    const peakMb = Number(/maxrss-kb (\d+)/.exec(run.stderr)?.[1]) / 1024;
    console.log(`peak RSS asking about a 100-megapixel PNG (Balanced): ${peakMb.toFixed(0)} MB`);
    assert.ok(peakMb < 1024, `peak ${peakMb.toFixed(0)} MB`);
  });

  it('exits 2 for bad options', async () => {
    const run = await loupe(['ask', screenshot, 'x', '--model', tinyModelDir, '--preset', 'turbo']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /fast, balanced, detailed/);
  });

  it('models list shows the five models with sizes and licenses', async () => {
    const run = await loupe(['models', 'list']);
    assert.equal(run.code, 0, run.stderr);
    for (const id of ['lfm2.5-vl-450m', 'lfm2.5-vl-1.6b', 'lfm2-vl-450m', 'lfm2-vl-1.6b', 'smolvlm-256m']) {
      assert.match(run.stdout, new RegExp(id.replace(/\./g, '\\.')));
    }
    assert.match(run.stdout, /LFM Open License v1\.0/);
    assert.match(run.stdout, /Apache-2\.0/);
    assert.match(run.stdout, /MB|GB/);
  });

  it('alt-text check prints path:line:col for each flagged image and exits 1', async () => {
    const run = await loupe(['alt-text', 'check', 'test/fixtures/docs']);
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.ok(lines.length > 5);
    for (const line of lines) assert.match(line, /^test\/fixtures\/docs\/\S+:\d+:\d+: /);
    assert.match(lines[0], /^test\/fixtures\/docs\/README\.md:7:1: Image "images\/screenshot\.png" has empty alt text/);
    assert.match(run.stderr, /image\(s\) need alt text/);
  });

  it('alt-text check exits 0 on documents with good alt text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-clean-docs-'));
    cpSync(join(repoRoot, 'test/fixtures/docs/images'), join(dir, 'images'), { recursive: true });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'ok.md'), '# Fine\n\n![Sign-in form with email and password fields.](images/screenshot.png)\n');
    const run = await loupe(['alt-text', 'check', join(dir, 'ok.md')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout, '');
  });

  it('alt-text fix --dry-run shows a diff, fix writes it with the tiny model, and a second fix changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-fix-docs-'));
    cpSync(join(repoRoot, 'test/fixtures/docs/images'), join(dir, 'images'), { recursive: true });
    const { writeFileSync } = await import('node:fs');
    const doc = join(dir, 'page.md');
    const original = '# Page\n\nThe sign-in form:\n\n![](images/screenshot.png)\n';
    writeFileSync(doc, original);
    const env = { LOUPE_MODEL: tinyModelDir };
    const dry = await loupe(['alt-text', 'fix', 'page.md', '--dry-run'], env, dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^-!\[\]\(images\/screenshot\.png\)$/m);
    assert.match(dry.stdout, /^\+!\[.+\]\(images\/screenshot\.png\)$/m);
    assert.equal(readFileSync(doc, 'utf8'), original, 'dry run leaves the file alone');

    const fixed = await loupe(['alt-text', 'fix', 'page.md'], env, dir);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stderr, /0 generated, 1 from cache/, 'the dry run filled the cache');
    const after = readFileSync(doc, 'utf8');
    assert.notEqual(after, original);
    assert.equal((await loupe(['alt-text', 'check', 'page.md'], env, dir)).code, 0, 'nothing left to flag');
    const again = await loupe(['alt-text', 'fix', 'page.md'], env, dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(doc, 'utf8'), after, 'idempotent');
    // Run from the docs' folder, as in a repository: the records land there, the cache is per user.
    const records = JSON.parse(readFileSync(join(dir, '.loupe', 'alt-text.json'), 'utf8'));
    assert.deepEqual(Object.keys(records.images), ['images/screenshot.png']);
    assert.deepEqual(readdirSync(join(dir, '.loupe')), ['alt-text.json']);
    const cache = JSON.parse(readFileSync(join(emptyHome, 'alt-text-cache.json'), 'utf8'));
    assert.deepEqual(
      Object.values(cache.entries).map((entry) => (entry as { maxLength: number }).maxLength),
      [125],
    );
  });
});
