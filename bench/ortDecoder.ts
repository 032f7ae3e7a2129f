/**
 * Our decoder's prefill and decode speed measured at the ONNX Runtime session, the way
 * transformers.js drives it (inputs_embeds, attention mask, conv states and key/value caches fed
 * back): the same work llama.cpp does in bench/llamaCpp.ts, without the vision side.
 */
import * as ort from 'onnxruntime-node';
import { statSync } from 'node:fs';
import { emptyCacheFeeds } from '../src/engine/vlm/modelOptimization';
import { readOnnxHeader } from '../src/modelFolder/onnxHeader';
import { median } from './benchStats';
import { sessionOptions } from './machinePeaks';

const HIDDEN = 1024;
/** LFM2-350M's text_config, as config.json gives it (the decoder variants have no config beside them). */
const TEXT_CONFIG = { hidden_size: HIDDEN, num_attention_heads: 16, num_key_value_heads: 8, conv_L_cache: 3 };

export interface DecoderSpeed {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** The graph's weights: every byte a decode step reads. */
  weightBytes: number;
  /** Key/value cache bytes read by the last decode step. */
  cacheBytes: number;
  /** Prompt positions the prefill gives logits for (all, or the last only). */
  logitPositions: number;
}

function randomEmbeds(tokens: number, seed: number): ort.Tensor {
  const data = new Float32Array(tokens * HIDDEN);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = state / 2 ** 32 - 0.5;
  }
  return new ort.Tensor('float32', data, [1, tokens, HIDDEN]);
}

/** past_* inputs from the present_* outputs of the previous step. */
function carried(outputs: ort.InferenceSession.OnnxValueMapType): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, value] of Object.entries(outputs)) {
    if (name.startsWith('present_conv')) feeds[name.replace('present_conv', 'past_conv')] = value as ort.Tensor;
    else if (name.startsWith('present.')) feeds[name.replace('present.', 'past_key_values.')] = value as ort.Tensor;
  }
  return feeds;
}

/** The graph file (inline weights) and the external data its tensors name: an optimised copy's data file also holds the replaced fp32 output layer, which is never read. */
async function weightBytesOf(path: string): Promise<number> {
  const header = await readOnnxHeader(path);
  return statSync(path).size + header.externalData.reduce((sum, ref) => sum + (ref.length ?? 0), 0);
}

const mask = (length: number) => new ort.Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);

export async function measureOrtDecoder(path: string, threads: number, promptTokens = 128, decodeTokens = 32, runs = 3): Promise<DecoderSpeed> {
  const session = await ort.InferenceSession.create(path, sessionOptions(threads));
  const prefill: number[] = [];
  const decode: number[] = [];
  let cacheBytes = 0;
  let logitPositions = promptTokens;
  // Run 0 warms up allocations and is not counted.
  for (let run = 0; run <= runs; run++) {
    let started = performance.now();
    let outputs = await session.run(emptyCacheFeeds(session, randomEmbeds(promptTokens, run + 1), TEXT_CONFIG));
    const prefillMs = performance.now() - started;
    logitPositions = Number(outputs.logits!.dims[1]);
    started = performance.now();
    for (let step = 1; step <= decodeTokens; step++) {
      const past = carried(outputs);
      if (step === decodeTokens) cacheBytes = Object.values(past).reduce((sum, tensor) => sum + tensor.data.length * 4, 0);
      outputs = await session.run({ inputs_embeds: randomEmbeds(1, run * 1000 + step), attention_mask: mask(promptTokens + step), ...past });
    }
    const decodeMs = performance.now() - started;
    if (run === 0) continue;
    prefill.push((promptTokens * 1000) / prefillMs);
    decode.push((decodeTokens * 1000) / decodeMs);
  }
  await session.release();
  return {
    prefillTokensPerSecond: median(prefill),
    decodeTokensPerSecond: median(decode),
    weightBytes: await weightBytesOf(path),
    cacheBytes,
    logitPositions,
  };
}
