// The CPU-optimised copy of an installed q4 model, made by the real engine through the CLI:
// rewritten decoder (accuracy_level 4, 8-bit output layer) beside the untouched download,
// verified against the original, reused until the files change, never made for a plain folder.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { imageFixture, repoRoot, tinyModelDir } from '../support/paths';
import { suiteScratchDir } from '../support/scratchDir';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;
const DECODER = join('onnx', 'decoder_model_merged_q4.onnx');

describe('the CPU-optimised copy of an installed model', { skip: !available && 'no python3 with onnx + numpy' }, () => {
  const scratch = suiteScratchDir('loupe-optimize-');
  let revision: string;
  let plainFolder: string;

  const loupeWith = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, LOUPE_HOME: join(scratch(), 'home'), ...env } });
  const loupe = (...args: string[]) => loupeWith({}, ...args);
  const askWith = (env: NodeJS.ProcessEnv, model: string) => loupeWith(env, 'ask', imageFixture('screenshot-256x384.png'), 'What is this?', '--model', model, '--json', '--max-new-tokens', '4');
  const ask = (model: string) => askWith({}, model);
  const record = () => JSON.parse(readFileSync(join(revision, 'loupe-optimized', 'optimized.json'), 'utf8')) as Record<string, unknown> & { verification: { top1Agreement: number; meanKl: number } };
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  before(() => {
    // A q4 model as transformers.js's quantize.py makes it: no accuracy_level, fp32 output layer.
    const made = spawnSync(PYTHON, ['scripts/lfm2vl_precisions.py', tinyModelDir, join(scratch(), 'tiny'), '--vocab', '1024', '--decoder-variants'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    plainFolder = join(scratch(), 'tiny-q4');
    cpSync(join(scratch(), 'tiny-decoders', 'q4-acc0.onnx'), join(plainFolder, DECODER));
    cpSync(join(scratch(), 'tiny-decoders', 'q4-acc0.onnx_data'), join(plainFolder, 'onnx', 'q4-acc0.onnx_data'));
    const imported = loupe('models', 'import', plainFolder, '--as', 'tiny-q4');
    assert.equal(imported.status, 0, imported.stderr);
    const modelDir = join(scratch(), 'home', 'models', 'tiny-q4');
    revision = join(modelDir, readdirSync(modelDir)[0]!);
  });

  it('is not made when turned off (LOUPE_OPTIMIZE_MODELS=0, the CLI form of loupe.model.optimizeForCpu)', () => {
    const run = askWith({ LOUPE_OPTIMIZE_MODELS: '0' }, 'tiny-q4');
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /optimising/);
    assert.ok(!existsSync(join(revision, 'loupe-optimized')));
  });

  it('is made and verified before the first answer, beside the download, which stays as it was', () => {
    const installed = JSON.parse(readFileSync(join(revision, 'installed.json'), 'utf8')) as { files: Array<{ path: string; sha256: string }> };
    // Left by an optimisation whose process died (no such pid).
    mkdirSync(join(revision, 'loupe-optimized.2147483646.tmp'));
    const run = ask('tiny-q4');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /optimising the model for this CPU/);
    assert.ok((JSON.parse(run.stdout) as { stats: { generatedTokens: number } }).stats.generatedTokens > 0);
    const made = record();
    assert.equal(made.outcome, 'optimized');
    assert.ok((made.accuracyLevelNodes as number) > 0, 'the 4-bit layers get int8 arithmetic');
    assert.deepEqual(made.outputLayer, { rows: 1024, columns: 64, bits: 8 });
    assert.ok((made.depthwiseConvNodes as number) > 0, 'the short convolutions become multiply-adds');
    assert.ok(made.verification.top1Agreement >= 0.9 && made.verification.meanKl <= 0.05, JSON.stringify(made.verification));
    for (const file of installed.files) assert.equal(sha256(join(revision, file.path)), file.sha256, `${file.path} is unchanged`);
    assert.ok(existsSync(join(revision, 'loupe-optimized', DECODER)));
    assert.deepEqual(readdirSync(revision).filter((name) => name.startsWith('loupe-optimized')), ['loupe-optimized'], 'no scratch folders left');
  });

  it('is reused by later loads, and made again when the files it came from change', () => {
    const again = ask('tiny-q4');
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /optimising/);
    const createdAt = record().createdAt;
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(revision, DECODER), later, later);
    const changed = ask('tiny-q4');
    assert.equal(changed.status, 0, changed.stderr);
    assert.match(changed.stderr, /optimising the model for this CPU/);
    assert.notEqual(record().createdAt, createdAt);
  });

  it('falls back to the downloaded files when the copy cannot be loaded, and remembers that', () => {
    // The rewritten graph is the copy's own file (not a link to the download): break it.
    writeFileSync(join(revision, 'loupe-optimized', DECODER), 'not an ONNX graph');
    const run = ask('tiny-q4');
    assert.equal(run.status, 0, run.stderr);
    const made = record();
    assert.equal(made.outcome, 'failed');
    assert.match(String(made.reason), /could not be loaded/);
    assert.ok(!existsSync(join(revision, 'loupe-optimized', DECODER)), 'the broken copy is removed');
    const again = ask('tiny-q4');
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /optimising/);
  });

  it('is never written into a folder given as --model', () => {
    const run = ask(plainFolder);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!existsSync(join(plainFolder, 'loupe-optimized')));
  });
});
