import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  architectureForModelType,
  DTYPES,
  externalDataChunks,
  unsupportedExportProblem,
  findGraphFiles,
  graphFile,
  isExternalDataChunk,
  missingGraphsProblem,
  precisionsOf,
  requiredRootFiles,
} from '../../../src/modelFolder/modelLayout';
import { repoRoot } from '../../support/paths';
import { ELEM, onnxModel } from './onnxWriter';

const transformersSrc = (path: string) => readFileSync(join(repoRoot, 'node_modules/@huggingface/transformers/src', path), 'utf8');

describe('model layout', () => {
  it('names graph files exactly as transformers.js 4.3.1 does for every dtype the engine loads', () => {
    const block = /DEFAULT_DTYPE_SUFFIX_MAPPING = Object\.freeze\(\{([\s\S]*?)\}\)/.exec(transformersSrc('utils/dtypes.js'))?.[1] ?? '';
    const library = Object.fromEntries([...block.matchAll(/\[DATA_TYPES\.(\w+)\]: '([^']*)'/g)].map((m) => [m[1], m[2]]));
    for (const dtype of DTYPES) assert.equal(graphFile('decoder_model_merged', dtype), `onnx/decoder_model_merged${library[dtype]}.onnx`, dtype);
    assert.deepEqual(Object.keys(library).filter((d) => !(DTYPES as readonly string[]).includes(d)).sort(), ['q1', 'q1f16', 'q2', 'q2f16'], 'only the 1- and 2-bit dtypes are left out');
  });

  it('loads bnb4: onnxruntime-node runs MatMulBnb4 on the CPU', async () => {
    // Y = A x dequant(B): NF4 code 0 is -1.0 and every block's absmax is 1, so each output is -sum(A).
    const [K, N, blockSize] = [32, 8, 16];
    const graph = onnxModel({
      inputs: [{ name: 'A', elem: ELEM.float, dims: [1, K] }],
      outputs: [{ name: 'Y', elem: ELEM.float, dims: [1, N] }],
      initializers: [
        { name: 'B', elem: ELEM.uint8, dims: [(N * K) / 2], raw: Buffer.alloc((N * K) / 2) },
        { name: 'absmax', elem: ELEM.float, dims: [(N * K) / blockSize], raw: Buffer.from(new Float32Array((N * K) / blockSize).fill(1).buffer) },
      ],
      nodes: [{ op: 'MatMulBnb4', domain: 'com.microsoft', inputs: ['A', 'B', 'absmax'], outputs: ['Y'], ints: { K, N, block_size: blockSize, quant_type: 1 } }],
      opsets: { 'com.microsoft': 1 },
    });
    const session = await ort.InferenceSession.create(graph, { executionProviders: ['cpu'] });
    const { Y } = await session.run({ A: new ort.Tensor('float32', new Float32Array(K).fill(1), [1, K]) });
    assert.deepEqual(Array.from(Y?.data as Float32Array), new Array(N).fill(-K));
    await session.release();
  });

  it('maps config.json model types transformers.js registers as image-text-to-text models', () => {
    const registry = transformersSrc('models/registry.js');
    for (const type of ['lfm2_vl', 'idefics3', 'smolvlm']) assert.match(registry, new RegExp(`\\['${type}', '\\w+ForConditionalGeneration'\\]`), type);
    assert.equal(architectureForModelType('lfm2_vl'), 'lfm2-vl');
    assert.equal(architectureForModelType('idefics3'), 'smolvlm');
    assert.equal(architectureForModelType('smolvlm'), 'smolvlm');
    assert.equal(architectureForModelType('qwen2_vl'), undefined);
    assert.equal(architectureForModelType('constructor'), undefined);
    assert.deepEqual(requiredRootFiles('smolvlm').at(-1), 'processor_config.json', 'Idefics3Processor reads processor_config.json');
    assert.ok(!requiredRootFiles('lfm2-vl').includes('processor_config.json'));
  });

  it('finds graphs under both spellings of 8-bit, the transformers.js one first', () => {
    const found = findGraphFiles(['onnx/vision_encoder_q8.onnx', 'onnx/embed_tokens_quantized.onnx', 'onnx/embed_tokens_q8.onnx', 'onnx/decoder_model_merged_bnb4.onnx', 'onnx/decoder_model_q4.onnx', 'vision_encoder.onnx']);
    assert.deepEqual(found.map((g) => `${g.path} -> ${g.file}`), [
      'onnx/vision_encoder_q8.onnx -> onnx/vision_encoder_quantized.onnx',
      'onnx/embed_tokens_quantized.onnx -> onnx/embed_tokens_quantized.onnx',
      'onnx/decoder_model_merged_bnb4.onnx -> onnx/decoder_model_merged_bnb4.onnx',
    ], 'decoder_model_q4.onnx is no graph name, vision_encoder.onnx is not in onnx/');
  });

  it('recognises external-data chunks next to a graph', () => {
    const graph = 'onnx/decoder_model_merged_q4.onnx';
    assert.ok(isExternalDataChunk(graph, `${graph}_data`));
    assert.ok(isExternalDataChunk(graph, `${graph}_data_12`));
    assert.ok(!isExternalDataChunk(graph, `${graph}_database`));
    assert.ok(!isExternalDataChunk(graph, 'onnx/decoder_model_merged_q4f16.onnx_data'));
  });

  it('offers the manifest precisions a folder completes, else uniform dtypes, else a mix', () => {
    const files = ['vision_encoder_fp16', 'vision_encoder', 'embed_tokens_fp16', 'embed_tokens', 'decoder_model_merged_q4', 'decoder_model_merged'].map((n) => `onnx/${n}.onnx`);
    const found = findGraphFiles(files);
    const named = [
      { id: 'q4', dtype: { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' } as const },
      { id: 'q4-small', dtype: { vision_encoder: 'q4', embed_tokens: 'fp16', decoder_model_merged: 'q4' } as const },
    ];
    assert.deepEqual(precisionsOf(found, named).map((p) => p.id), ['q4']);
    assert.deepEqual(precisionsOf(found).map((p) => p.id), ['fp32'], 'fp16 lacks a decoder');
    const mixed = precisionsOf(findGraphFiles(['onnx/vision_encoder_fp16.onnx', 'onnx/embed_tokens_int8.onnx', 'onnx/decoder_model_merged_q4.onnx']));
    assert.deepEqual(mixed, [{ id: 'mixed', dtype: { vision_encoder: 'fp16', embed_tokens: 'int8', decoder_model_merged: 'q4' } }]);
    assert.deepEqual(precisionsOf(findGraphFiles(['onnx/vision_encoder.onnx'])), []);
  });

  it('explains a missing graph with the ONNX files that are there', () => {
    const problem = missingGraphsProblem(['onnx/vision_encoder_fp16.onnx', 'onnx/decoder_q4.onnx', 'onnx/embeddings_fp16.onnx', 'config.json']);
    assert.equal(
      problem,
      'no embed_tokens graph that Loupe can load (looked for onnx/embed_tokens*.onnx); ONNX files present: onnx/decoder_q4.onnx, onnx/embeddings_fp16.onnx, onnx/vision_encoder_fp16.onnx',
    );
    assert.equal(missingGraphsProblem(['onnx/vision_encoder.onnx', 'onnx/embed_tokens.onnx', 'onnx/decoder_model_merged.onnx']), undefined);
  });

  it("tells transformers.js per graph file which external data sits beside it, whatever config.json says", () => {
    const chunks = externalDataChunks([
      'onnx/embed_tokens.onnx',
      'onnx/vision_encoder_fp16.onnx',
      'onnx/embed_images_fp16.onnx_data',
      'onnx/decoder_model_merged_fp16.onnx',
      'onnx/decoder_model_merged_fp16.onnx_data',
      'onnx/decoder_model_merged_fp16.onnx_data_1',
      'config.json',
    ]);
    // Inline (the real fp32 embed_tokens), renamed (reads the data its protobuf names), two chunks.
    assert.deepEqual(chunks, { 'embed_tokens.onnx': 0, 'vision_encoder_fp16.onnx': 0, 'decoder_model_merged_fp16.onnx': 2 });
  });

  it("finds Liquid AI's embed_images and decoder graphs as the vision_encoder and decoder_model_merged sessions", () => {
    const found = findGraphFiles(['onnx/embed_images_fp16.onnx', 'onnx/embed_tokens_fp16.onnx', 'onnx/decoder_q4.onnx', 'onnx/decoder_q8.onnx']);
    assert.deepEqual(
      found.map((g) => [g.path, g.file]),
      [
        ['onnx/embed_images_fp16.onnx', 'onnx/vision_encoder_fp16.onnx'],
        ['onnx/embed_tokens_fp16.onnx', 'onnx/embed_tokens_fp16.onnx'],
        ['onnx/decoder_q8.onnx', 'onnx/decoder_model_merged_quantized.onnx'],
        ['onnx/decoder_q4.onnx', 'onnx/decoder_model_merged_q4.onnx'],
      ],
    );
  });

  it('refuses an onnxruntime-genai export whose names partly match', () => {
    assert.match(unsupportedExportProblem(['genai_config.json', 'onnx/vision_encoder_fp16.onnx', 'onnx/decoder_q4.onnx']) ?? '', /onnxruntime-genai export/);
    assert.equal(unsupportedExportProblem(['config.json']), undefined);
  });
});
