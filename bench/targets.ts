/**
 * Issue 11's speed targets against the results files the benches just wrote (each target with
 * its measured figure, the ratio and met or not), and the tables of docs/performance.md, written
 * between its bench markers. Writes bench/results/targets.json. Run last by `npm run bench`.
 */
// As in every bench program, though this one loads no model (docs/privacy.md).
import '../src/protocol/onnxPrivacy';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/support/paths';
import { writeMarkedSection } from './docsSection';
import { round } from './benchStats';
import type { MachinePeaks } from './machinePeaks';

const results = join(repoRoot, 'bench', 'results');
const docs = join(repoRoot, 'docs', 'performance.md');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(results, name), 'utf8')) as T;

interface DecoderRow {
  name: string;
  threads: number;
  prefillTokensPerSecond: number;
  prefillShareOfMatmulPeak: number;
  decodeTokensPerSecond: number;
  bytesReadPerTokenMb: number;
  decodeBandwidthBound: number;
  decodeShareOfBound: number;
}
interface VlmRow {
  image: string;
  preset: string;
  tiles: number;
  imageTokens: number;
  ttftMs: number;
  tokensPerSecond: number;
  imageDecodeMs: number;
  preprocessingMs: number;
  visionMs: number;
  visionShareOfMatmulPeak: number;
  embedMs: number;
  prefillMs: number;
  prefillShareOfMatmulPeak: number;
  decodeStepMs: number;
  overheadShareOfSessionTime: number;
  peakRssMb: number;
}
interface Mix {
  name: string;
  dir: string;
  threads: number;
  ocrGroundingMs: number;
  followUp: { firstTtftMs: number; followUpTtftMs: number; ratio: number };
  rows: VlmRow[];
}
interface Machine {
  cpu: string;
  cores: number;
  node: string;
}

interface Target {
  target: string;
  measured: string;
  ratio: number;
  met: boolean;
}

const atLeast = (target: string, measured: number, wanted: number, unit = ''): Target => ({ target, measured: `${measured}${unit}`, ratio: round(measured / wanted, 2), met: measured >= wanted });
const atMost = (target: string, measured: number, wanted: number, unit = ''): Target => ({ target, measured: `${measured}${unit}`, ratio: round(measured / wanted, 2), met: measured <= wanted });
const pct = (share: number) => `${Math.round(share * 100)}%`;
const s = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

function targetsOf(decoder: { rows: DecoderRow[] }, q4: Mix, ocr: OcrResults): Target[] {
  const asRun = (threads: number) => decoder.rows.find((row) => row.threads === threads && row.name.includes('as Loupe runs'))!;
  const asDownloaded = (threads: number) => decoder.rows.find((row) => row.threads === threads && row.name.includes('as the export'))!;
  const llamaQ4 = (threads: number) => decoder.rows.find((row) => row.threads === threads && row.name.includes('Q4_0'))!;
  const worst = (pick: (row: VlmRow) => number) => Math.min(...q4.rows.map(pick));
  const fast = q4.rows.filter((row) => row.preset === 'fast');
  return [
    atMost('Follow-up time to first token <= 0.2 x the first (q4, Fast, same image)', q4.followUp.ratio, 0.2, ` (${Math.round(q4.followUp.followUpTtftMs)} / ${Math.round(q4.followUp.firstTtftMs)} ms)`),
    atLeast('q4 decode >= 50 tok/s on one thread', asRun(1).decodeTokensPerSecond, 50, ` tok/s (as downloaded: ${asDownloaded(1).decodeTokensPerSecond}; llama.cpp Q4_0: ${llamaQ4(1).decodeTokensPerSecond})`),
    atLeast('q4 decode >= 85 tok/s on two threads', asRun(2).decodeTokensPerSecond, 85, ` tok/s (as downloaded: ${asDownloaded(2).decodeTokensPerSecond}; llama.cpp Q4_0: ${llamaQ4(2).decodeTokensPerSecond})`),
    atLeast('q4 decode >= 70% of its memory-bandwidth bound (one thread)', asRun(1).decodeShareOfBound, 0.7),
    atLeast('Prefill of 128 tokens >= 100 tok/s on one thread', asRun(1).prefillTokensPerSecond, 100, ` tok/s (llama.cpp Q4_0: ${llamaQ4(1).prefillTokensPerSecond})`),
    atLeast('Prefill of 128 tokens >= 190 tok/s on two threads', asRun(2).prefillTokensPerSecond, 190, ` tok/s (llama.cpp Q4_0: ${llamaQ4(2).prefillTokensPerSecond})`),
    atLeast('Vision encoder >= 50% of the matrix-multiply peak (worst case)', worst((row) => row.visionShareOfMatmulPeak || Infinity), 0.5),
    atLeast('Prefill >= 50% of the matrix-multiply peak (worst case)', worst((row) => row.prefillShareOfMatmulPeak), 0.5),
    atMost('Pipeline overhead <= 5% of ONNX Runtime session time (worst case)', Math.max(...q4.rows.map((row) => row.overheadShareOfSessionTime)), 0.05),
    atMost('Peak RSS of the q4 450M model <= 1.5 GB (Fast)', Math.max(...fast.map((row) => row.peakRssMb)), 1536, ' MB'),
    atMost('OCR of a 1920x1080 screenshot <= 1.5 s', ocr.target.medianMs, ocr.target.maxMs, ' ms'),
    atLeast(`OCR word recall >= 98% on every image (worst: ${ocr.target.worstImage})`, ocr.target.worstWordRecall, ocr.target.minWordRecall),
  ];
}

interface OcrResults {
  target: { medianMs: number; maxMs: number; worstWordRecall: number; worstImage: string; minWordRecall: number };
}

function main(): void {
  const decoder = read<{ machine: Machine; date: string; runs: number; peaks: MachinePeaks[]; rows: DecoderRow[] }>('decoder.json');
  const vlm = read<{ date: string; runs: number; mixes: Mix[]; eventLoop: Array<{ threads: number; p99Ms: number; maxMs: number; ttftMs: number; tokensPerSecond: number }> }>('vlm.json');
  const ocr = read<OcrResults>('ocr.json');
  const q4 = vlm.mixes.find((mix) => mix.dir === 'lfm2-vl-450m-random-q4/loupe-optimized' && mix.threads === 1)!;
  const targets = targetsOf(decoder, q4, ocr);
  writeFileSync(join(results, 'targets.json'), `${JSON.stringify(targets, null, 2)}\n`);
  const targetTable = ['| Target | Measured | Ratio | Met |', '|---|---|---:|---|', ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.ratio} | ${t.met ? 'yes' : '**no**'} |`)];
  console.log(targetTable.join('\n'));

  writeMarkedSection(docs, 'targets', [
    `Measured ${decoder.date} on ${decoder.machine.cores} × ${decoder.machine.cpu}, Node ${decoder.machine.node}; medians of ${decoder.runs} runs (decoder) and ${vlm.runs} (questions).`,
    '',
    ...targetTable,
  ]);
  writeMarkedSection(docs, 'decoder', [
    `Ceilings measured in the same run: ${decoder.peaks.map((p) => `${p.threads} thread${p.threads > 1 ? 's' : ''}: ${p.matmulGflops} GFLOP/s fp32 matrix multiply, ${p.readGBps} GB/s read`).join('; ')}.`,
    '',
    '| decoder | threads | prefill, 128 tokens | of the matmul peak | decode | MB read per token | bandwidth bound | of the bound |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...decoder.rows.map((r) => `| ${r.name} | ${r.threads} | ${r.prefillTokensPerSecond} tok/s | ${pct(r.prefillShareOfMatmulPeak)} | ${r.decodeTokensPerSecond} tok/s | ${r.bytesReadPerTokenMb} | ${r.decodeBandwidthBound} tok/s | ${pct(r.decodeShareOfBound)} |`),
  ]);
  writeMarkedSection(docs, 'stages', [
    '| model | threads | image, preset | tiles / image tokens | first token | decode | image decode | preprocessing | vision encoder (of peak) | embeddings | prefill (of peak) | decode step | overhead | peak RSS |',
    '|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...vlm.mixes.flatMap((mix) =>
      mix.rows.map(
        (r) =>
          `| ${mix.name} | ${mix.threads} | ${r.image}, ${r.preset} | ${r.tiles} / ${r.imageTokens} | ${s(r.ttftMs)} | ${round(r.tokensPerSecond)} tok/s | ${s(r.imageDecodeMs)} | ${s(r.preprocessingMs)} | ${s(r.visionMs)} (${pct(r.visionShareOfMatmulPeak)}) | ${s(r.embedMs)} | ${s(r.prefillMs)} (${pct(r.prefillShareOfMatmulPeak)}) | ${s(r.decodeStepMs)} | ${(r.overheadShareOfSessionTime * 100).toFixed(1)}% | ${r.peakRssMb} MB |`,
      ),
    ),
    '',
    '| model | threads | first question (new image), first token | follow-up, first token | ratio | OCR grounding, 1920x1080 |',
    '|---|---:|---:|---:|---:|---:|',
    ...vlm.mixes.map((mix) => `| ${mix.name} | ${mix.threads} | ${s(mix.followUp.firstTtftMs)} | ${s(mix.followUp.followUpTtftMs)} | ${round(mix.followUp.ratio, 3)} | ${s(mix.ocrGroundingMs)} |`),
  ]);
  writeMarkedSection(docs, 'threads', [
    '| engine threads | host event loop p99 while answering | max | first token | decode |',
    '|---:|---:|---:|---:|---:|',
    ...vlm.eventLoop.map((e) => `| ${e.threads} | ${e.p99Ms} ms | ${e.maxMs} ms | ${s(e.ttftMs)} | ${e.tokensPerSecond} tok/s |`),
  ]);
}

main();
