// The generated tiny LFM2-VL (scripts/gen_lfm2vl_fixture.py) must load and run in transformers.js
// 4.3.1 exactly like the real LiquidAI/LFM2.5-VL-450M-ONNX export: same ONNX contract, same
// processor behaviour, working caches. Everything runs for real (ORT, tokenizer, processor).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import {
  AutoProcessor,
  Lfm2VlForConditionalGeneration,
  RawImage,
  Tensor,
  env,
  type Processor,
} from '@huggingface/transformers';
import { useUpstreamPreprocessing } from '../../src/engine/vlm/lfm2VlPreprocessing';
import { externalDataChunks } from '../../src/modelFolder/modelLayout';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL_DIR = path.join(REPO_ROOT, 'test/fixtures/models/lfm2-vl-tiny');
const GENERATOR_PYTHON = '/usr/bin/python3'; // Debian's, with torch 1.13 + onnx 1.12

// Token ids of the real LFM2-VL tokenizer (see docs/model-contract.md).
const IDS = {
  bos: 1,
  image: 396,
  imageStart: 498,
  imageEnd: 499,
  thumbnail: 497,
  rowCol: (row: number, col: number) => 397 + (row - 1) * 10 + (col - 1),
};

const LAYER_TYPES = ['conv', 'conv', 'attn', 'conv', 'conv', 'attn', 'conv', 'conv', 'attn', 'conv', 'attn', 'conv', 'attn', 'conv', 'attn', 'conv'];

interface IoSpec {
  name: string;
  type: 'float32' | 'int64';
  /** symbolic dims by name as in the real export; numbers are sizes ('H' etc. resolved per model) */
  shape: (string | number)[];
}

/** The real export's ONNX I/O (onnx_io_contract.json), with sizes as placeholders H/KV/D/V. */
function realContract(): Record<string, { inputs: IoSpec[]; outputs: IoSpec[] }> {
  const past: IoSpec[] = [];
  const present: IoSpec[] = [];
  LAYER_TYPES.forEach((kind, i) => {
    if (kind === 'conv') {
      past.push({ name: `past_conv.${i}`, type: 'float32', shape: ['batch_size', 'H', 3] });
      present.push({ name: `present_conv.${i}`, type: 'float32', shape: ['batch_size', 'H', 3] });
      return;
    }
    for (const part of ['key', 'value']) {
      past.push({ name: `past_key_values.${i}.${part}`, type: 'float32', shape: ['batch_size', 'KV', 'past_sequence_length', 'D'] });
      present.push({ name: `present.${i}.${part}`, type: 'float32', shape: ['batch_size', 'KV', 'total_sequence_length', 'D'] });
    }
  });
  return {
    vision_encoder: {
      inputs: [
        { name: 'pixel_values', type: 'float32', shape: ['batch_size', 'num_patches', 768] },
        { name: 'pixel_attention_mask', type: 'int64', shape: ['batch_size', 'num_patches'] },
        { name: 'spatial_shapes', type: 'int64', shape: ['batch_size', 2] },
      ],
      outputs: [{ name: 'image_features', type: 'float32', shape: ['num_image_tokens', 'H'] }],
    },
    embed_tokens: {
      inputs: [{ name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] }],
      outputs: [{ name: 'inputs_embeds', type: 'float32', shape: ['batch_size', 'sequence_length', 'H'] }],
    },
    decoder_model_merged: {
      inputs: [
        { name: 'inputs_embeds', type: 'float32', shape: ['batch_size', 'sequence_length', 'H'] },
        { name: 'attention_mask', type: 'int64', shape: ['batch_size', 'total_sequence_length'] },
        ...past,
      ],
      outputs: [{ name: 'logits', type: 'float32', shape: ['batch_size', 'sequence_length', 'V'] }, ...present],
    },
  };
}

/** Deterministic RGB test pattern: gradients plus seeded noise, so different seeds differ everywhere. */
function syntheticImage(width: number, height: number, seed: number): RawImage {
  const data = new Uint8ClampedArray(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width + (state & 31);
      data[i + 1] = (y * 255) / height + ((state >>> 8) & 31);
      data[i + 2] = (state >>> 16) & 255;
    }
  }
  return new RawImage(data, width, height, 3);
}

let processor: Processor;
let model: Lfm2VlForConditionalGeneration;
let sessions: Record<'vision_encoder' | 'embed_tokens' | 'decoder_model_merged', ort.InferenceSession>;
let config: { text_config: { hidden_size: number; num_key_value_heads: number; num_attention_heads: number; vocab_size: number } };

before(async () => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  config = JSON.parse(await readFile(path.join(MODEL_DIR, 'config.json'), 'utf8'));
  processor = await AutoProcessor.from_pretrained(MODEL_DIR, { local_files_only: true });
  // As the engine does: upstream geometry and resampling under transformers.js's processor.
  useUpstreamPreprocessing(processor.image_processor!);
  model = (await Lfm2VlForConditionalGeneration.from_pretrained(MODEL_DIR, {
    local_files_only: true,
    dtype: 'fp32',
    // As the engine does: external data per file, not config.json's flag (the real export's
    // embed_tokens.onnx is inline although the flag says otherwise).
    use_external_data_format: externalDataChunks((await readdir(path.join(MODEL_DIR, 'onnx'))).map((name) => `onnx/${name}`)),
  })) as Lfm2VlForConditionalGeneration;
  const open = (name: string) => ort.InferenceSession.create(path.join(MODEL_DIR, 'onnx', `${name}.onnx`));
  sessions = {
    vision_encoder: await open('vision_encoder'),
    embed_tokens: await open('embed_tokens'),
    decoder_model_merged: await open('decoder_model_merged'),
  };
});

after(async () => {
  await model?.dispose();
  for (const session of Object.values(sessions ?? {})) await session.release();
});

/** Expand the image placeholder the way LFM2-VL's processor does. */
async function prepare(image: RawImage, prompt = '<image>Describe this image.') {
  const text = processor.apply_chat_template([{ role: 'user', content: prompt }], { add_generation_prompt: true }) as string;
  return processor(image, text, { add_special_tokens: false });
}

function tensorMeta(meta: ort.InferenceSession.ValueMetadata): ort.InferenceSession.TensorValueMetadata {
  assert.ok(meta.isTensor, `${meta.name} should be a tensor`);
  return meta;
}

const count = (ids: number[], id: number) => ids.filter((x) => x === id).length;
const idsOf = (tensor: Tensor) => Array.from(tensor.data as BigInt64Array, Number);

test('all three graphs have the real export names, dtypes and ranks', () => {
  const t = config.text_config;
  const sizes: Record<string, number> = {
    H: t.hidden_size,
    KV: t.num_key_value_heads,
    D: t.hidden_size / t.num_attention_heads,
    V: t.vocab_size,
  };
  for (const [graph, spec] of Object.entries(realContract())) {
    const session = sessions[graph as keyof typeof sessions];
    assert.deepEqual(session.inputNames, spec.inputs.map((s) => s.name), `${graph} input names`);
    assert.deepEqual(session.outputNames, spec.outputs.map((s) => s.name), `${graph} output names`);
    const actual = [...session.inputMetadata, ...session.outputMetadata];
    [...spec.inputs, ...spec.outputs].forEach((expected, i) => {
      const meta = tensorMeta(actual[i]!);
      const shape = expected.shape.map((d) => (typeof d === 'string' && d in sizes ? sizes[d] : d));
      assert.equal(meta.type, expected.type, `${graph} ${expected.name} dtype`);
      assert.deepEqual(meta.shape, shape, `${graph} ${expected.name} shape`);
    });
  }
});

test('tokenizer puts LFM2-VL special tokens at their real ids and round-trips UTF-8', () => {
  const tokenizer = processor.tokenizer!;
  const specials = '<|pad|><|startoftext|><|im_start|><|im_end|><image><|image_start|><|image_end|><|img_thumbnail|><|img_row_1_col_1|><|img_row_3_col_2|><|img_row_10_col_10|>';
  assert.deepEqual(tokenizer.encode(specials, { add_special_tokens: false }), [0, 1, 6, 7, 396, 498, 499, 497, 397, 418, 496]);
  for (const text of ['Hello, wörld! 🎉 naïve — 東京 \n\tcode()', 'Ünïcödé  spaces   and\r\nnewlines']) {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    assert.ok(ids.every((id) => id > 500 && id < config.text_config.vocab_size), 'plain text uses byte/merge tokens');
    assert.equal(tokenizer.decode(ids), text);
  }
  // The real tokenizer.json's post-processor prepends BOS when special tokens are added.
  assert.equal(tokenizer.encode('Hi')[0], IDS.bos);
});

test('chat template renders like the real model', () => {
  const rendered = processor.apply_chat_template(
    [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe.' }] },
    ] as never,
    { add_generation_prompt: true },
  );
  assert.equal(
    rendered,
    '<|startoftext|><|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n<image>Describe.<|im_end|>\n<|im_start|>assistant\n',
  );
});

test('a 256x384 image becomes 96 <image> tokens and 96 feature rows', async () => {
  const inputs = await prepare(syntheticImage(256, 384, 1));
  const ids = idsOf(inputs.input_ids);
  assert.equal(count(ids, IDS.image), 96);
  assert.deepEqual((inputs.spatial_shapes as Tensor).tolist().map((r) => r.map(Number)), [[24, 16]]);
  const start = ids.indexOf(IDS.imageStart);
  assert.ok(start > 0);
  assert.equal(ids[start + 97], IDS.imageEnd, 'single tile: no row/col markers, no thumbnail');
  const features = await model.encode_image(inputs);
  assert.deepEqual(features.dims, [96, config.text_config.hidden_size]);
});

test('a 1000x3000 image becomes 3 tiles of 256 tokens plus a thumbnail, one feature row per token', async () => {
  const inputs = await prepare(syntheticImage(1000, 3000, 2));
  const ids = idsOf(inputs.input_ids);
  const start = ids.indexOf(IDS.imageStart);
  const end = ids.indexOf(IDS.imageEnd);
  const tile = Array<number>(256).fill(IDS.image);
  // Geometric markers, as upstream today: a tall grid (3 high, 1 wide) is row_1..3_col_1.
  const thumbnailTokens = 27 * 9; // thumbnail resized to 864x288 px = 54x18 patches
  const expected = [
    IDS.imageStart,
    IDS.rowCol(1, 1), ...tile,
    IDS.rowCol(2, 1), ...tile,
    IDS.rowCol(3, 1), ...tile,
    IDS.thumbnail, ...Array<number>(thumbnailTokens).fill(IDS.image),
    IDS.imageEnd,
  ];
  assert.deepEqual(ids.slice(start, end + 1), expected);
  assert.deepEqual(
    (inputs.spatial_shapes as Tensor).tolist().map((r) => r.map(Number)),
    [[32, 32], [32, 32], [32, 32], [54, 18]],
  );
  const features = await model.encode_image(inputs);
  assert.equal(features.dims[0], 3 * 256 + thumbnailTokens);
});

const markersOf = (ids: number[]) =>
  ids.filter((id) => id >= IDS.rowCol(1, 1) && id <= IDS.rowCol(10, 10)).map((id) => [Math.floor((id - 397) / 10) + 1, ((id - 397) % 10) + 1]);

test('tile markers are geometric: rows top to bottom, columns left to right, rows outer', async () => {
  const knobs = processor.image_processor as unknown as { max_tiles: number; do_image_splitting: boolean };
  const grids: [number, number, number, number[][]][] = [
    // width, height, max tiles, expected [row, col] of each marker
    [1920, 1080, 10, [[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [2, 3], [2, 4]]], // landscape, 2 high x 4 wide
    [1080, 1920, 10, [[1, 1], [1, 2], [2, 1], [2, 2], [3, 1], [3, 2], [4, 1], [4, 2]]], // portrait, 4 high x 2 wide
    [3000, 1000, 4, [[1, 1], [1, 2], [1, 3]]], // 1 x N
    [1000, 3000, 4, [[1, 1], [2, 1], [3, 1]]], // N x 1
  ];
  try {
    for (const [width, height, maxTiles, expected] of grids) {
      Object.assign(knobs, { max_tiles: maxTiles, do_image_splitting: true });
      const inputs = await prepare(syntheticImage(width, height, 3));
      assert.deepEqual(markersOf(idsOf(inputs.input_ids)), expected, `${width}x${height}`);
    }
  } finally {
    Object.assign(knobs, { max_tiles: 10 });
  }
});

test('two images in one prompt: features for all tiles, in prompt order, and generate runs', async () => {
  const text = processor.apply_chat_template(
    [{ role: 'user', content: '<image>then<image>Compare.' }],
    { add_generation_prompt: true },
  ) as string;
  const tall = syntheticImage(1000, 3000, 2);
  const small = syntheticImage(256, 384, 1);
  const inputs = await processor([small, tall], text, { add_special_tokens: false });
  const ids = idsOf(inputs.input_ids);
  assert.equal(count(ids, IDS.image), 96 + 3 * 256 + 243);
  const features = await model.encode_image(inputs);
  assert.equal(features.dims[0], 96 + 3 * 256 + 243);
  // The small image's rows come first and equal what it produces alone.
  const alone = await model.encode_image(await prepare(small));
  const head = (features.data as Float32Array).subarray(0, alone.data.length);
  (alone.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - head[i]!) < 1e-4, `row value ${i}`));
  const out = (await model.generate({ ...inputs, max_new_tokens: 3, do_sample: false })) as Tensor;
  assert.ok(out.dims[1] > ids.length);
});

test('image features depend on the pixels', async () => {
  const a = await model.encode_image(await prepare(syntheticImage(256, 384, 1)));
  const b = await model.encode_image(await prepare(syntheticImage(256, 384, 9)));
  const diff = (a.data as Float32Array).reduce((acc, v, i) => acc + Math.abs(v - (b.data as Float32Array)[i]), 0);
  assert.ok(diff / a.data.length > 1e-2, `mean abs difference ${diff / a.data.length}`);
});

test('generate produces tokens and greedy decoding is deterministic', async () => {
  const inputs = await prepare(syntheticImage(256, 384, 1));
  const promptLength = inputs.input_ids.dims[1];
  const run = async () => {
    const out = (await model.generate({ ...inputs, max_new_tokens: 8, do_sample: false })) as Tensor;
    return idsOf(out).slice(promptLength);
  };
  const first = await run();
  assert.ok(first.length > 0, 'at least one new token');
  assert.deepEqual(await run(), first);
  const text = processor.batch_decode(first.length ? [first] : [[]], { skip_special_tokens: true })[0];
  assert.equal(typeof text, 'string');
});

/** Runs the decoder session directly; past=null means "recompute from scratch" (empty caches). */
async function decoderStep(embeds: ort.Tensor, totalLength: number, past: Record<string, ort.Tensor> | null) {
  const session = sessions.decoder_model_merged;
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: embeds,
    attention_mask: new ort.Tensor('int64', new BigInt64Array(totalLength).fill(1n), [1, totalLength]),
  };
  for (const meta of session.inputMetadata) {
    if (meta.name in feeds) continue;
    if (past) {
      feeds[meta.name] = past[meta.name.replace('past_key_values', 'present').replace('past_conv', 'present_conv')]!;
      continue;
    }
    const shape = tensorMeta(meta).shape.map((d) => (d === 'batch_size' ? 1 : typeof d === 'number' ? d : 0));
    feeds[meta.name] = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
  const out = await session.run(feeds);
  const logits = out.logits!;
  const [, seq, vocab] = logits.dims as number[];
  const last = (logits.data as Float32Array).subarray((seq! - 1) * vocab!, seq! * vocab!);
  let best = 0;
  for (let i = 1; i < last.length; i++) if (last[i]! > last[best]!) best = i;
  return { next: best, presents: out };
}

async function embed(ids: number[]): Promise<Float32Array> {
  const out = await sessions.embed_tokens.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
  });
  return out.inputs_embeds!.data as Float32Array;
}

test("a small image's tile is padded only to its own patches, and its features are those of upstream's 1,024-patch padding", async () => {
  const inputs = await prepare(syntheticImage(256, 384, 3));
  const [tiles, patches, width] = inputs.pixel_values.dims as number[];
  const realPatches = Number((inputs.spatial_shapes.data as BigInt64Array)[0]) * Number((inputs.spatial_shapes.data as BigInt64Array)[1]);
  assert.deepEqual([tiles, patches], [1, realPatches], 'one tile, no padding beyond its patches');
  assert.ok(realPatches < 1024);
  const encode = async (length: number) => {
    const values = new Float32Array(length * width!);
    values.set(inputs.pixel_values.data as Float32Array);
    const mask = new BigInt64Array(length);
    mask.set(inputs.pixel_attention_mask.data as BigInt64Array);
    const out = await sessions.vision_encoder.run({
      pixel_values: new ort.Tensor('float32', values, [1, length, width!]),
      pixel_attention_mask: new ort.Tensor('int64', mask, [1, length]),
      spatial_shapes: new ort.Tensor('int64', inputs.spatial_shapes.data as BigInt64Array, inputs.spatial_shapes.dims),
    });
    return out.image_features!.data as Float32Array;
  };
  const trimmed = await encode(realPatches);
  const upstream = await encode(1024);
  assert.equal(trimmed.length, upstream.length);
  const worst = trimmed.reduce((max, v, i) => Math.max(max, Math.abs(v - upstream[i]!)), 0);
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
});

test('cached decoding equals recomputing the whole sequence, in ORT and in model.generate', async () => {
  const inputs = await prepare(syntheticImage(256, 384, 1));
  const promptIds = idsOf(inputs.input_ids);
  const hidden = config.text_config.hidden_size;
  const steps = 8;

  // Prompt embeddings with image features scattered into the <image> positions.
  const vision = await sessions.vision_encoder.run({
    pixel_values: new ort.Tensor('float32', inputs.pixel_values.data as Float32Array, inputs.pixel_values.dims),
    pixel_attention_mask: new ort.Tensor('int64', inputs.pixel_attention_mask.data as BigInt64Array, inputs.pixel_attention_mask.dims),
    spatial_shapes: new ort.Tensor('int64', inputs.spatial_shapes.data as BigInt64Array, inputs.spatial_shapes.dims),
  });
  const features = vision.image_features!.data as Float32Array;
  const promptEmbeds = await embed(promptIds);
  let row = 0;
  promptIds.forEach((id, pos) => {
    if (id === IDS.image) promptEmbeds.set(features.subarray(row * hidden, ++row * hidden), pos * hidden);
  });
  assert.equal(row * hidden, features.length, 'every feature row lands on an <image> token');

  // No cache: rerun the full sequence each step.
  const recomputed: number[] = [];
  let sequence = promptEmbeds;
  for (let step = 0; step < steps; step++) {
    const length = sequence.length / hidden;
    const { next } = await decoderStep(new ort.Tensor('float32', sequence, [1, length, hidden]), length, null);
    recomputed.push(next);
    const grown = new Float32Array(sequence.length + hidden);
    grown.set(sequence);
    grown.set(await embed([next]), sequence.length);
    sequence = grown;
  }

  // With cache: prefill once, then one token per step feeding present_* back as past_*.
  const cached: number[] = [];
  let length = promptIds.length;
  let step = await decoderStep(new ort.Tensor('float32', promptEmbeds, [1, length, hidden]), length, null);
  for (let i = 0; i < steps; i++) {
    cached.push(step.next);
    length += 1;
    step = await decoderStep(new ort.Tensor('float32', await embed([step.next]), [1, 1, hidden]), length, step.presents);
  }
  assert.deepEqual(cached, recomputed);
  assert.ok(new Set(recomputed).size > 1, `random model should not repeat one token: ${recomputed}`);

  const generated = (await model.generate({
    ...inputs,
    max_new_tokens: steps,
    do_sample: false,
    eos_token_id: -1, // let all 8 steps run even if the random model emits <|im_end|>
  } as never)) as Tensor;
  assert.deepEqual(idsOf(generated).slice(promptIds.length), recomputed);
});

const generatorAvailable =
  spawnSync(GENERATOR_PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;

test('the committed fixture is exactly what the generator script produces', { skip: !generatorAvailable && 'no python3 with torch + onnx' }, () => {
  const result = spawnSync(GENERATOR_PYTHON, ['scripts/gen_lfm2vl_fixture.py', '--check'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(result.status, 0, `gen_lfm2vl_fixture.py --check failed:\n${result.stderr}${result.stdout}`);
});
