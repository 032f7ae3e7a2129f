// The record of a model's CPU-optimised copy counts only while the files it was made from are as
// they were, and Show Model Info says plainly what was done.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeOptimization, OPTIMIZED_MARKER, OPTIMIZER_VERSION, optimizedDir, readOptimization, stampsOf, type Optimization } from '../../../src/modelFolder/optimizedVariant';

const dtype = { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' } as const;

async function modelWithRecord(outcome: Optimization['outcome'], version = OPTIMIZER_VERSION) {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-optimized-'));
  mkdirSync(join(dir, 'onnx'));
  writeFileSync(join(dir, 'onnx', 'decoder_model_merged_q4.onnx'), 'graph');
  writeFileSync(join(dir, 'config.json'), '{}');
  const record: Optimization = {
    schemaVersion: 1,
    optimizerVersion: version,
    dtype,
    sources: await stampsOf(dir, ['onnx/decoder_model_merged_q4.onnx', 'config.json']),
    outcome,
    accuracyLevelNodes: 92,
    depthwiseConvNodes: 10,
    outputLayer: { rows: 65536, columns: 1024, bits: 8 },
    lastPositionOnly: true,
    verification: { positions: 40, top1Agreement: 0.975, meanKl: 0.0004 },
    createdAt: new Date().toISOString(),
  };
  mkdirSync(optimizedDir(dir));
  writeFileSync(join(optimizedDir(dir), OPTIMIZED_MARKER), JSON.stringify(record));
  return dir;
}

test('a record is read back while its source files are unchanged, and is stale once one changes', async () => {
  const dir = await modelWithRecord('optimized');
  try {
    assert.equal((await readOptimization(dir))?.outcome, 'optimized');
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'config.json'), later, later);
    assert.equal(await readOptimization(dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record for another precision, or made from other files, does not count', async () => {
  const dir = await modelWithRecord('optimized');
  try {
    assert.equal(await readOptimization(dir, { dtype: { ...dtype, decoder_model_merged: 'fp16' } }), undefined);
    assert.equal((await readOptimization(dir, { dtype, files: ['config.json', 'onnx/decoder_model_merged_q4.onnx'] }))?.outcome, 'optimized');
    assert.equal(await readOptimization(dir, { dtype, files: ['config.json', 'onnx/decoder_model_merged_q4.onnx', 'chat_template.jinja'] }), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record made by another optimiser version, or with a source gone, is stale', async () => {
  const older = await modelWithRecord('optimized', OPTIMIZER_VERSION - 1);
  const gone = await modelWithRecord('optimized');
  try {
    assert.equal(await readOptimization(older), undefined);
    rmSync(join(gone, 'config.json'));
    assert.equal(await readOptimization(gone), undefined);
  } finally {
    rmSync(older, { recursive: true, force: true });
    rmSync(gone, { recursive: true, force: true });
  }
});

test('Show Model Info names each change and the check, or why the copy is not used', async () => {
  const dir = await modelWithRecord('optimized');
  try {
    const line = describeOptimization(await readOptimization(dir, { dtype }), { enabled: true, dtype });
    assert.match(line, /int8 arithmetic for 92 4-bit layers/);
    assert.match(line, /output layer 65536×1024 fp32 → 8-bit/);
    assert.match(line, /10 short convolutions as multiply-adds/);
    assert.match(line, /next-token logits only/);
    assert.match(line, /same next token at 98% of 40 positions/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(describeOptimization(undefined, { enabled: true, dtype }), /not optimised for this CPU yet/);
  assert.match(describeOptimization(undefined, { enabled: false, dtype }), /off \(loupe\.model\.optimizeForCpu\)/);
  assert.match(describeOptimization(undefined, { enabled: true, dtype: { ...dtype, decoder_model_merged: 'fp16' } }), /only 4-bit \(q4\) decoders are optimised; this one is fp16/);
  const rejected = { outcome: 'rejected', reason: 'the rewritten decoder strayed', accuracyLevelNodes: 0 } as unknown as Optimization;
  assert.match(describeOptimization(rejected, { enabled: true, dtype }), /not used: the rewritten decoder strayed/);
});
