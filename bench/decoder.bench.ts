/**
 * Our decoder against llama.cpp, in one run, at the same thread counts and prompt length, with
 * this machine's ceilings measured in the same run: prefill of a 128-token prompt and decode
 * speed of LFM2-350M-sized decoders (random weights; compute and memory traffic do not depend on
 * their values). Ours at the session level, in the precisions the export ships and with the
 * variations that decide its speed (accuracy_level, the output layer's precision); llama.cpp's
 * Q4_0 and Q8_0 through node-llama-cpp's prebuilt CPU binary. Writes bench/results/decoder.json.
 * Models: npm run bench:models. Run: node --import tsx bench/decoder.bench.ts [runs]
 */
import '../src/protocol/onnxPrivacy';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/support/paths';
import { measureLlamaCpp } from './llamaCpp';
import { round } from './benchStats';
import { measurePeaks } from './machinePeaks';
import { decoderFlops } from './modelFlops';
import { measureOrtDecoder } from './ortDecoder';

const runs = Number(process.argv[2] ?? 3);
const PROMPT_TOKENS = 128;
const DECODE_TOKENS = 32;
const models = join(repoRoot, 'bench', 'models');

const ORT_DECODERS = [
  { name: 'onnx fp32', path: 'lfm2-vl-450m-random/onnx/decoder_model_merged.onnx' },
  { name: 'onnx q4, accuracy_level unset (transformers.js quantize.py)', path: 'lfm2-vl-450m-random-decoders/q4-acc0.onnx' },
  { name: 'onnx q4, accuracy_level 4, fp32 output layer (as the export)', path: 'lfm2-vl-450m-random-q4/onnx/decoder_model_merged_q4.onnx' },
  { name: 'onnx q4, 8-bit output layer', path: 'lfm2-vl-450m-random-decoders/q4-head8.onnx' },
  { name: 'onnx q4, 4-bit output layer', path: 'lfm2-vl-450m-random-decoders/q4-head4.onnx' },
  { name: 'onnx q4 as Loupe runs an installed model (optimised copy: 8-bit output layer, short convolutions as multiply-adds, next-token logits only)', path: 'lfm2-vl-450m-random-q4/loupe-optimized/onnx/decoder_model_merged_q4.onnx' },
];
const GGUFS = [
  { name: 'llama.cpp Q4_0 (output Q6_K)', path: 'lfm2-350m-random-Q4_0.gguf' },
  { name: 'llama.cpp Q8_0', path: 'lfm2-350m-random-Q8_0.gguf' },
];

async function main(): Promise<void> {
  for (const { path } of [...ORT_DECODERS, ...GGUFS]) {
    if (!existsSync(join(models, path))) throw new Error(`${path} is missing: run npm run bench:models first`);
  }
  const rows: Array<Record<string, unknown>> = [];
  const peaks = [];
  for (const threads of [1, 2]) {
    const peak = await measurePeaks(threads);
    peaks.push(peak);
    console.log(peak);
    const row = (name: string, prefill: number, decode: number, bytesPerToken: number, logitPositions = PROMPT_TOKENS) => {
      const bound = (peak.readGBps * 1e9) / bytesPerToken;
      const measured = {
        name,
        threads,
        prefillTokensPerSecond: round(prefill),
        prefillShareOfMatmulPeak: round((prefill * (decoderFlops(PROMPT_TOKENS, 0, logitPositions) / PROMPT_TOKENS)) / 1e9 / peak.matmulGflops, 2),
        decodeTokensPerSecond: round(decode),
        bytesReadPerTokenMb: round(bytesPerToken / 1e6),
        decodeBandwidthBound: round(bound),
        decodeShareOfBound: round(decode / bound, 2),
      };
      console.log(measured);
      rows.push(measured);
    };
    for (const { name, path } of ORT_DECODERS) {
      const speed = await measureOrtDecoder(join(models, path), threads, PROMPT_TOKENS, DECODE_TOKENS, runs);
      row(name, speed.prefillTokensPerSecond, speed.decodeTokensPerSecond, speed.weightBytes + speed.cacheBytes, speed.logitPositions);
    }
    for (const { name, path } of GGUFS) {
      const speed = await measureLlamaCpp(join(models, path), threads, PROMPT_TOKENS, DECODE_TOKENS, runs);
      // llama.cpp computes logits for the last prompt position only; its key/value cache is not counted.
      row(name, speed.prefillTokensPerSecond, speed.decodeTokensPerSecond, speed.weightBytes, 1);
    }
  }
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench', 'results', 'decoder.json'),
    `${JSON.stringify({ machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, date: new Date().toISOString().slice(0, 10), runs, promptTokens: PROMPT_TOKENS, decodeTokens: DECODE_TOKENS, peaks, rows }, null, 2)}\n`,
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
