/**
 * Issue 11's speed targets against the results files the benches just wrote: each target with its
 * measured figure, the ratio and met or not. Prints a Markdown table (docs/performance.md quotes it)
 * and writes bench/results/targets.json. Run last by `npm run bench`.
 */
// As in every bench program, though this one loads no model (docs/privacy.md).
import '../src/engine/onnxPrivacy';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/support/paths';
import { round } from './machinePeaks';

const results = join(repoRoot, 'bench', 'results');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(results, name), 'utf8')) as T;

interface DecoderRow {
  name: string;
  threads: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  decodeShareOfBound: number;
}
interface VlmRow {
  image: string;
  preset: string;
  peakRssMb: number;
  visionShareOfMatmulPeak: number;
  prefillShareOfMatmulPeak: number;
  overheadShareOfSessionTime: number;
}
interface Mix {
  dir: string;
  threads: number;
  peakRssMb: number;
  followUp: { firstTtftMs: number; followUpTtftMs: number; ratio: number };
  rows: VlmRow[];
}

interface Target {
  target: string;
  measured: string;
  ratio: number;
  met: boolean;
}

function main(): void {
  const decoder = read<{ rows: DecoderRow[] }>('decoder.json');
  const vlm = read<{ mixes: Mix[] }>('vlm.json');
  const ocr = read<{ target: { medianMs: number; maxMs: number; worstWordRecall: number; worstImage: string; minWordRecall: number } }>('ocr.json');
  const asRun = (threads: number) => decoder.rows.find((row) => row.threads === threads && row.name.includes('as Loupe runs'))!;
  const asDownloaded = (threads: number) => decoder.rows.find((row) => row.threads === threads && row.name.includes('as the export'))!;
  const llamaQ4 = (threads: number) => decoder.rows.find((row) => row.threads === threads && row.name.includes('Q4_0'))!;
  const q4 = vlm.mixes.find((mix) => mix.dir === 'lfm2-vl-450m-random-q4/loupe-optimized' && mix.threads === 1)!;
  const worst = (pick: (row: VlmRow) => number) => Math.min(...q4.rows.map(pick));
  const atLeast = (target: string, measured: number, wanted: number, unit = ''): Target => ({
    target,
    measured: `${measured}${unit}`,
    ratio: round(measured / wanted, 2),
    met: measured >= wanted,
  });
  const atMost = (target: string, measured: number, wanted: number, unit = ''): Target => ({
    target,
    measured: `${measured}${unit}`,
    ratio: round(measured / wanted, 2),
    met: measured <= wanted,
  });
  const targets: Target[] = [
    atMost('Follow-up time to first token <= 0.2 x the first (q4, Fast, same image)', q4.followUp.ratio, 0.2, ` (${Math.round(q4.followUp.followUpTtftMs)} / ${Math.round(q4.followUp.firstTtftMs)} ms)`),
    atLeast('q4 decode >= 50 tok/s on one thread', asRun(1).decodeTokensPerSecond, 50, ` tok/s (as downloaded: ${asDownloaded(1).decodeTokensPerSecond}; llama.cpp Q4_0: ${llamaQ4(1).decodeTokensPerSecond})`),
    atLeast('q4 decode >= 85 tok/s on two threads', asRun(2).decodeTokensPerSecond, 85, ` tok/s (as downloaded: ${asDownloaded(2).decodeTokensPerSecond}; llama.cpp Q4_0: ${llamaQ4(2).decodeTokensPerSecond})`),
    atLeast('q4 decode >= 70% of its memory-bandwidth bound (one thread)', asRun(1).decodeShareOfBound, 0.7),
    atLeast('Prefill of 128 tokens >= 100 tok/s on one thread', asRun(1).prefillTokensPerSecond, 100, ` tok/s (llama.cpp Q4_0: ${llamaQ4(1).prefillTokensPerSecond})`),
    atLeast('Prefill of 128 tokens >= 190 tok/s on two threads', asRun(2).prefillTokensPerSecond, 190, ` tok/s (llama.cpp Q4_0: ${llamaQ4(2).prefillTokensPerSecond})`),
    atLeast('Vision encoder >= 50% of the matrix-multiply peak (worst case)', worst((row) => row.visionShareOfMatmulPeak || Infinity), 0.5),
    atLeast('Prefill >= 50% of the matrix-multiply peak (worst case)', worst((row) => row.prefillShareOfMatmulPeak), 0.5),
    atMost('Pipeline overhead <= 5% of ONNX Runtime session time (worst case)', Math.max(...q4.rows.map((row) => row.overheadShareOfSessionTime)), 0.05),
    atMost('Peak RSS of the q4 450M model <= 1.5 GB (Fast)', q4.rows.length > 0 ? vlmFastRss(q4) : 0, 1536, ' MB'),
    atMost('OCR of a 1920x1080 screenshot <= 1.5 s', ocr.target.medianMs, ocr.target.maxMs, ' ms'),
    atLeast(`OCR word recall >= 98% on every image (worst: ${ocr.target.worstImage})`, ocr.target.worstWordRecall, ocr.target.minWordRecall),
  ];
  writeFileSync(join(results, 'targets.json'), `${JSON.stringify(targets, null, 2)}\n`);
  console.log('| Target | Measured | Ratio | Met |\n|---|---|---|---|');
  for (const t of targets) console.log(`| ${t.target} | ${t.measured} | ${t.ratio} | ${t.met ? 'yes' : '**no**'} |`);
}

/** The peak after the Fast rows: presets run in growing order, so later rows only raise it. */
function vlmFastRss(mix: Mix): number {
  return Math.max(...mix.rows.filter((row) => row.preset === 'fast').map((row) => row.peakRssMb));
}

main();
