// The pure parts of the CPU optimisation: the protobuf writer round-trips through the reader, the
// 8-bit output layer reproduces its weights within half a step, and the verification rule tells a
// faithful rewrite from a broken one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareLogits, VERIFICATION_LIMITS } from '../../../../src/engine/vlm/logitComparison';
import { quantizeRows } from '../../../../src/engine/vlm/decoderRewrite';
import { bytesField, fieldsOf, int64sOf, message, textOf, varintField } from '../../../../src/engine/vlm/protobufWire';

test('fields written by the protobuf writer read back, including large and negative int64s', () => {
  const bytes = message(bytesField(8, 'logits'), varintField(1, 65536), varintField(1, 2 ** 40), varintField(1, -1), bytesField(9, Uint8Array.of(1, 2, 3)));
  const fields = fieldsOf(bytes);
  assert.equal(textOf(fields[0]!), 'logits');
  assert.deepEqual(int64sOf(fields, 1), [65536, 2 ** 40, -1]);
  assert.deepEqual([...fields[4]!.payload], [1, 2, 3]);
  assert.deepEqual(Buffer.from(message(...fields.map((f) => f.raw))), Buffer.from(bytes), 'kept fields are copied byte for byte');
});

test('a truncated message is refused instead of read past its end', () => {
  const bytes = bytesField(7, 'a graph');
  assert.throws(() => fieldsOf(bytes.subarray(0, bytes.length - 2)), /runs past/);
});

test('8-bit blocks of 32 reproduce every weight within half a quantisation step, in both layouts', () => {
  const [rows, columns] = [3, 70]; // 70: the last block is padded
  const weight = Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
  for (const layout of ['vocabByHidden', 'hiddenByVocab'] as const) {
    const value = (r: number, k: number) => (layout === 'vocabByHidden' ? weight[r * columns + k]! : weight[k * rows + r]!);
    const { packed, scales } = quantizeRows(weight, rows, columns, layout);
    const blocks = Math.ceil(columns / 32);
    assert.equal(packed.length, rows * blocks * 32);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < columns; k++) {
        const scale = scales[r * blocks + Math.floor(k / 32)]!;
        const restored = (packed[(r * blocks + Math.floor(k / 32)) * 32 + (k % 32)]! - 128) * scale;
        assert.ok(Math.abs(restored - value(r, k)) <= scale / 2 + 1e-6, `${layout} (${r}, ${k}): ${restored} vs ${value(r, k)}`);
      }
    }
  }
});

test('verification accepts near-identical logits and rejects a rewrite that changes the predictions', () => {
  const vocabulary = 50;
  const positions = 20;
  const original = Float32Array.from({ length: vocabulary * positions }, (_, i) => Math.cos(i * 0.91) * 4);
  const close = compareLogits(original, original.map((v, i) => v + Math.sin(i) * 0.01), vocabulary);
  assert.equal(close.positions, positions);
  assert.ok(close.top1Agreement >= VERIFICATION_LIMITS.minTop1Agreement && close.meanKl <= VERIFICATION_LIMITS.maxMeanKl, JSON.stringify(close));
  const shifted = original.map((_, i) => original[(i + 7) % original.length]!);
  const broken = compareLogits(original, shifted, vocabulary);
  assert.ok(broken.top1Agreement < VERIFICATION_LIMITS.minTop1Agreement || broken.meanKl > VERIFICATION_LIMITS.maxMeanKl, JSON.stringify(broken));
});
