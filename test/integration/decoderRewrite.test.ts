// The decoder rewrites on layouts of the real export, built here byte by byte (onnx.proto field
// numbers), rewritten, and run in ONNX Runtime against the original: the output layer as
// logits = hidden x Transpose(embedding table), the table also read by a Gather (the generated
// models do not have it; the logits of a synthetic table have near ties, so they are compared by
// value), and LFM2's short convolution as Liquid AI's builder writes it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { rewriteDecoder } from '../../src/engine/vlm/decoderRewrite';
import { bytesField, message, varintField } from '../../src/engine/vlm/protobufWire';

const [VOCAB, HIDDEN, TOKENS] = [96, 64, 5];
const FLOAT = 1;
const INT64 = 7;

const UINT8 = 2;

const intAttribute = (name: string, value: number) => bytesField(5, message(bytesField(1, name), varintField(3, value), varintField(20, 2)));
const node = (op: string, inputs: string[], outputs: string[], extra: Uint8Array[] = []) =>
  bytesField(1, message(...inputs.map((i) => bytesField(1, i)), ...outputs.map((o) => bytesField(2, o)), bytesField(3, `${op}_${outputs[0]}`), bytesField(4, op), ...extra));
const tensor = (name: string, dims: number[], type: number, raw: Uint8Array) =>
  bytesField(5, message(...dims.map((d) => varintField(1, d)), varintField(2, type), bytesField(8, name), bytesField(9, raw)));
const dim = (value: number | string) => bytesField(1, typeof value === 'number' ? varintField(1, value) : bytesField(2, value));
/** A ModelProto (IR 8) around a graph, importing the ONNX (17) and com.microsoft opsets. */
const onnxModel = (graph: Uint8Array) =>
  message(varintField(1, 8), bytesField(8, message(bytesField(1, ''), varintField(2, 17))), bytesField(8, message(bytesField(1, 'com.microsoft'), varintField(2, 1))), bytesField(7, graph));
const largestDifference = (a: Float32Array, b: Float32Array) => a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);
const valueInfo = (field: number, name: string, elemType: number, dims: Array<number | string>) =>
  bytesField(field, message(bytesField(1, name), bytesField(2, bytesField(1, message(varintField(1, elemType), bytesField(2, message(...dims.map(dim))))))));

/**
 * A 4-bit decoder's tail as Liquid AI's export writes it: one 4-bit layer (no accuracy_level),
 * then logits = hidden x Transpose(table). `withEmbedding`: the table is also read by a Gather.
 */
function tiedHead(table: Float32Array, withEmbedding: boolean): Uint8Array {
  const blocks = HIDDEN / 32;
  const packed = Uint8Array.from({ length: HIDDEN * blocks * 16 }, (_, i) => (i * 37) % 256);
  const scales = new Float32Array(HIDDEN * blocks).fill(0.02);
  const nodes = [
    node('MatMulNBits', ['hidden', 'layer.B', 'layer.scales'], ['mixed'], [intAttribute('K', HIDDEN), intAttribute('N', HIDDEN), intAttribute('bits', 4), intAttribute('block_size', 32), bytesField(7, 'com.microsoft')]),
    node('Transpose', ['table'], ['table_t']),
    node('MatMul', ['mixed', 'table_t'], ['logits']),
  ];
  if (withEmbedding) nodes.push(node('Gather', ['table', 'ids'], ['embeds']));
  const graph = message(
    ...nodes,
    bytesField(2, 'tied_head'),
    tensor('table', [VOCAB, HIDDEN], FLOAT, new Uint8Array(table.buffer)),
    tensor('layer.B', [HIDDEN, blocks, 16], UINT8, packed),
    tensor('layer.scales', [HIDDEN * blocks], FLOAT, new Uint8Array(scales.buffer)),
    valueInfo(11, 'hidden', FLOAT, [1, 'sequence_length', HIDDEN]),
    ...(withEmbedding ? [valueInfo(11, 'ids', INT64, [1, 'sequence_length'])] : []),
    valueInfo(12, 'logits', FLOAT, [1, 'sequence_length', VOCAB]),
    ...(withEmbedding ? [valueInfo(12, 'embeds', FLOAT, [1, 'sequence_length', HIDDEN])] : []),
  );
  return onnxModel(graph);
}

describe('the output-layer rewrite on a tied embedding table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-rewrite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const table = Float32Array.from({ length: VOCAB * HIDDEN }, (_, i) => Math.sin(i * 0.731) * 0.2);
  const hidden = new ort.Tensor('float32', Float32Array.from({ length: TOKENS * HIDDEN }, (_, i) => ((i * 7919) % 1009) / 1009 - 0.5), [1, TOKENS, HIDDEN]);
  const ids = new ort.Tensor('int64', BigInt64Array.from({ length: TOKENS }, (_, i) => BigInt((i * 17) % VOCAB)), [1, TOKENS]);

  async function run(path: string, withEmbedding: boolean) {
    const session = await ort.InferenceSession.create(path);
    const out = await session.run(withEmbedding ? { hidden, ids } : { hidden });
    await session.release();
    return { logits: out.logits!, embeds: out.embeds };
  }

  async function rewritten(withEmbedding: boolean, lastPositionOnly: boolean) {
    const original = join(dir, `original-${withEmbedding}.onnx`);
    writeFileSync(original, tiedHead(table, withEmbedding));
    const rewrite = await rewriteDecoder(original);
    assert.ok(rewrite, 'a 4-bit decoder with an fp32 output layer is rewritten');
    const path = join(dir, `rewritten-${withEmbedding}-${lastPositionOnly}.onnx`);
    writeFileSync(path, rewrite.bytes({ lastPositionOnly }));
    return { rewrite, before: await run(original, withEmbedding), after: await run(path, withEmbedding), path };
  }

  it('finds the head through the Transpose, quantises it to 8 bits and sets accuracy_level on the 4-bit layer', async () => {
    const { rewrite, before, after: result } = await rewritten(true, false);
    assert.equal(rewrite.accuracyLevelNodes, 1);
    assert.deepEqual(rewrite.outputLayer, { rows: VOCAB, columns: HIDDEN, bits: 8 });
    const [was, now] = [before.logits.data as Float32Array, result.logits.data as Float32Array];
    const range = Math.max(...was) - Math.min(...was);
    const worst = largestDifference(now, was);
    assert.ok(worst < 0.02 * range, `largest logit difference ${worst} of a ${range} range`);
    // The embedding still reads the fp32 table, unchanged.
    assert.deepEqual(result.embeds!.data, before.embeds!.data);
  });

  it('drops the fp32 table when nothing else reads it, and with next-token logits only gives the last position', async () => {
    const kept = await rewritten(true, false);
    const dropped = await rewritten(false, true);
    assert.ok(statSync(dropped.path).size < statSync(kept.path).size - VOCAB * HIDDEN * 4 * 0.9, 'the fp32 table is gone');
    assert.deepEqual(dropped.after.logits.dims, [1, 1, VOCAB]);
    const last = (dropped.before.logits.data as Float32Array).subarray((TOKENS - 1) * VOCAB);
    const worst = largestDifference(dropped.after.logits.data as Float32Array, last);
    assert.ok(worst < 0.05, `largest logit difference ${worst}`);
  });

  it('leaves a graph without 4-bit layers alone', async () => {
    const path = join(dir, 'fp32.onnx');
    // The same tail without its 4-bit layer: not a q4 decoder.
    const plain = onnxModel(message(
      node('Transpose', ['table'], ['table_t']),
      node('MatMul', ['hidden', 'table_t'], ['logits']),
      bytesField(2, 'plain'),
      tensor('table', [VOCAB, HIDDEN], FLOAT, new Uint8Array(table.buffer)),
      valueInfo(11, 'hidden', FLOAT, [1, 'sequence_length', HIDDEN]),
      valueInfo(12, 'logits', FLOAT, [1, 'sequence_length', VOCAB]),
    ));
    writeFileSync(path, plain);
    assert.equal(await rewriteDecoder(path), undefined);
  });
});

const [CHANNELS, TAPS] = [48, 3];
const intsAttribute = (name: string, values: number[]) => bytesField(5, message(bytesField(1, name), ...values.map((v) => varintField(8, v)), varintField(20, 7)));

/**
 * LFM2's short convolution as Liquid AI's builder writes it: Concat(past_conv, x) on the time
 * axis, then a depthwise Conv (kernel_shape [3], group = channels), beside a 4-bit layer that
 * already has accuracy_level 4 (so the convolution is the only thing to change). `convAttributes`
 * replace the builder's two.
 */
function shortConv(weight: Float32Array, convAttributes?: Uint8Array[], bias = false): Uint8Array {
  const blocks = CHANNELS / 32;
  const packed = Uint8Array.from({ length: CHANNELS * Math.ceil(blocks) * 16 }, (_, i) => (i * 29) % 256);
  const scales = new Float32Array(CHANNELS * Math.ceil(blocks)).fill(0.02);
  const graph = message(
    node('MatMulNBits', ['hidden', 'layer.B', 'layer.scales'], ['mixed'], [intAttribute('K', CHANNELS), intAttribute('N', CHANNELS), intAttribute('bits', 4), intAttribute('block_size', 32), intAttribute('accuracy_level', 4), bytesField(7, 'com.microsoft')]),
    node('Concat', ['past_conv', 'x'], ['window'], [intAttribute('axis', 2)]),
    node('Conv', ['window', 'conv.weight', ...(bias ? ['conv.bias'] : [])], ['conv_out'], convAttributes ?? [intsAttribute('kernel_shape', [TAPS]), intAttribute('group', CHANNELS)]),
    bytesField(2, 'short_conv'),
    tensor('conv.weight', [CHANNELS, 1, TAPS], FLOAT, new Uint8Array(weight.buffer)),
    ...(bias ? [tensor('conv.bias', [CHANNELS], FLOAT, new Uint8Array(new Float32Array(CHANNELS).fill(0.5).buffer))] : []),
    tensor('layer.B', [CHANNELS, Math.ceil(blocks), 16], UINT8, packed),
    tensor('layer.scales', [scales.length], FLOAT, new Uint8Array(scales.buffer)),
    valueInfo(11, 'hidden', FLOAT, [1, 'sequence_length', CHANNELS]),
    valueInfo(11, 'past_conv', FLOAT, [1, CHANNELS, TAPS]),
    valueInfo(11, 'x', FLOAT, [1, CHANNELS, 'sequence_length']),
    valueInfo(12, 'mixed', FLOAT, [1, 'sequence_length', CHANNELS]),
    valueInfo(12, 'conv_out', FLOAT, [1, CHANNELS, 'window_length']),
  );
  return onnxModel(graph);
}

describe('the depthwise convolution rewrite on LFM2\'s short convolution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-rewrite-conv-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const weight = Float32Array.from({ length: CHANNELS * TAPS }, (_, i) => Math.cos(i * 0.37) * 0.8);
  const values = (count: number, seed: number) => Float32Array.from({ length: count }, (_, i) => Math.sin((i + seed) * 1.113) * 2);

  async function outputs(path: string, steps: number) {
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({
      hidden: new ort.Tensor('float32', values(steps * CHANNELS, 1), [1, steps, CHANNELS]),
      past_conv: new ort.Tensor('float32', values(CHANNELS * TAPS, 2), [1, CHANNELS, TAPS]),
      x: new ort.Tensor('float32', values(CHANNELS * steps, 3), [1, CHANNELS, steps]),
    });
    await session.release();
    return out;
  }

  async function rewrite(name: string, graph: Uint8Array) {
    const original = join(dir, `${name}.onnx`);
    writeFileSync(original, graph);
    const result = await rewriteDecoder(original);
    const path = join(dir, `${name}-rewritten.onnx`);
    if (result) writeFileSync(path, result.bytes({ lastPositionOnly: false }));
    return { original, path, result };
  }

  for (const [label, attributes] of [
    ['as Liquid AI\'s builder writes it', undefined],
    ['with the attributes torch.onnx.export spells out', [intsAttribute('kernel_shape', [TAPS]), intAttribute('group', CHANNELS), intsAttribute('pads', [0, 0]), intsAttribute('strides', [1]), intsAttribute('dilations', [1])]],
  ] as const) {
    it(`gives the Conv's outputs for a prompt and for one decode step, ${label}`, async () => {
      const { original, path, result } = await rewrite(label.replace(/\W+/g, '-'), shortConv(weight, attributes ? [...attributes] : undefined));
      assert.ok(result);
      assert.equal(result.depthwiseConvNodes, 1);
      assert.equal(result.accuracyLevelNodes, 0);
      for (const steps of [7, 1]) {
        const [before, after] = [await outputs(original, steps), await outputs(path, steps)];
        assert.deepEqual(after.conv_out!.dims, before.conv_out!.dims);
        const [was, now] = [before.conv_out!.data as Float32Array, after.conv_out!.data as Float32Array];
        const worst = largestDifference(now, was);
        assert.ok(worst < 1e-5, `${steps} steps: largest difference ${worst}`);
        assert.deepEqual(after.mixed!.data, before.mixed!.data);
      }
    });
  }

  it('leaves a padded, strided or biased Conv, and a graph with nothing else to change, alone', async () => {
    const padded = await rewrite('padded', shortConv(weight, [intsAttribute('kernel_shape', [TAPS]), intAttribute('group', CHANNELS), intsAttribute('pads', [2, 0])]));
    assert.equal(padded.result, undefined);
    const strided = await rewrite('strided', shortConv(weight, [intsAttribute('kernel_shape', [TAPS]), intAttribute('group', CHANNELS), intsAttribute('strides', [2])]));
    assert.equal(strided.result, undefined);
    const biased = await rewrite('biased', shortConv(weight, undefined, true));
    assert.equal(biased.result, undefined);
    const grouped = await rewrite('grouped', shortConv(weight, [intsAttribute('kernel_shape', [TAPS]), intAttribute('group', 1)]));
    assert.equal(grouped.result, undefined);
  });
});
