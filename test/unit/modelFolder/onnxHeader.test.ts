import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { OnnxFormatError, readOnnxHeader } from '../../../src/modelFolder/onnxHeader';
import { tinyModelDir } from '../../support/paths';
import { ELEM, embedTokensWithExternalTable, onnxModel } from './onnxWriter';
import { suiteScratchDir } from '../../support/scratchDir';

describe('ONNX header reader', () => {
  const dir = suiteScratchDir('loupe-onnx-');

  it('reads the same input and output names as onnxruntime on the tiny LFM2-VL graphs', async () => {
    for (const graph of ['vision_encoder', 'embed_tokens', 'decoder_model_merged']) {
      const path = join(tinyModelDir, 'onnx', `${graph}.onnx`);
      const header = await readOnnxHeader(path);
      const session = await ort.InferenceSession.create(path);
      assert.deepEqual(header.inputs, session.inputNames, graph);
      assert.deepEqual(header.outputs, session.outputNames, graph);
      // As in the real export: weights in <graph>.onnx_data, except embed_tokens.onnx, which is inline.
      assert.deepEqual(new Set(header.externalData.map((ref) => ref.location)), new Set(graph === 'embed_tokens' ? [] : [`${graph}.onnx_data`]), graph);
      await session.release();
    }
  });

  it('finds external-data references, and onnxruntime loads the same file', async () => {
    const { graph, data } = embedTokensWithExternalTable('embed_tokens.onnx_data', 8, 4);
    await writeFile(join(dir(), 'embed_tokens.onnx'), graph);
    await writeFile(join(dir(), 'embed_tokens.onnx_data'), data);
    const header = await readOnnxHeader(join(dir(), 'embed_tokens.onnx'));
    assert.deepEqual(header, {
      inputs: ['input_ids'],
      outputs: ['inputs_embeds'],
      externalData: [{ tensor: 'embed_weight', location: 'embed_tokens.onnx_data', offset: 0, length: 128 }],
    });
    const session = await ort.InferenceSession.create(join(dir(), 'embed_tokens.onnx'));
    const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from([3n]), [1, 1]) });
    assert.deepEqual(Array.from(out.inputs_embeds!.data as Float32Array).map((v) => Math.round(v * 10)), [12, 13, 14, 15]);
    await session.release();
  });

  it('finds external data hidden in a Constant node and leaves initializers out of the inputs', async () => {
    const path = join(dir(), 'constant.onnx');
    await writeFile(
      path,
      onnxModel({
        inputs: [
          { name: 'x', elem: ELEM.float, dims: [2] },
          { name: 'bias', elem: ELEM.float, dims: [2] },
        ],
        outputs: [{ name: 'y', elem: ELEM.float, dims: [2] }],
        initializers: [{ name: 'bias', elem: ELEM.float, dims: [2], raw: Buffer.alloc(8) }],
        nodes: [
          { op: 'Constant', inputs: [], outputs: ['c'], tensorAttribute: { name: 'value', tensor: { name: 'c_value', elem: ELEM.float, dims: [2], external: { location: '/etc/passwd', offset: 0, length: 8 } } } },
          { op: 'Add', inputs: ['x', 'c'], outputs: ['y'] },
        ],
      }),
    );
    const header = await readOnnxHeader(path);
    assert.deepEqual(header.inputs, ['x'], 'an initializer listed as an input is not fed at run time');
    assert.deepEqual(header.externalData, [{ tensor: 'c_value', location: '/etc/passwd', offset: 0, length: 8 }]);
  });

  it('refuses files that are not ONNX', async () => {
    const json = join(dir(), 'config.onnx');
    await writeFile(json, '{"model_type": "lfm2_vl"}');
    await assert.rejects(readOnnxHeader(json), (error: unknown) => error instanceof OnnxFormatError && /config\.onnx is not a valid ONNX file/.test((error as Error).message));
    const truncated = join(dir(), 'truncated.onnx');
    const { graph } = embedTokensWithExternalTable('x.onnx_data');
    await writeFile(truncated, graph.subarray(0, graph.length - 20));
    await assert.rejects(readOnnxHeader(truncated), OnnxFormatError);
    const empty = join(dir(), 'empty.onnx');
    await writeFile(empty, Buffer.alloc(0));
    await assert.rejects(readOnnxHeader(empty), /is empty \(0 bytes\): the download or copy is incomplete/);
    const fifo = join(dir(), 'fifo.onnx');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(readOnnxHeader(fifo), /is not a regular file/);
  });
});
