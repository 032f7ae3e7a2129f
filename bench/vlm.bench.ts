/**
 * The whole question, per model mix, preset and image size: where the time goes (image decode,
 * preprocessing, vision encoder, embeddings, prefill, decode steps, OCR grounding) against this
 * machine's matrix-multiply peak and read bandwidth at the same thread count; the follow-up's time
 * to first token; peak memory; and the host's event-loop delay while the engine generates, with
 * one engine thread (the policy on 2 cores) and with two. Writes bench/results/vlm.json.
 * Models: npm run bench:models. Run: npm run build && node --import tsx bench/vlm.bench.ts [runs]
 */
import '../src/protocol/onnxPrivacy';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { EngineClient } from '../src/client/engineClient';
import { resolveOptions } from '../src/protocol/options';
import { ocrFixtureDir } from '../test/support/ocrFixtures';
import { enginePath, repoRoot } from '../test/support/paths';
import { round } from './benchStats';
import { measurePeaks, type MachinePeaks } from './machinePeaks';

const runs = Number(process.argv[2] ?? 3);
const models = join(repoRoot, 'bench', 'models');
/** Which model mix, with how many engine threads and which presets: the figures users get, within the bench's time. */
const MIXES = [
  { name: 'q4 installed (its CPU-optimised copy: what users of a downloaded model run)', dir: 'lfm2-vl-450m-random-q4/loupe-optimized', threads: 1, presets: 'fast,balanced,detailed' },
  { name: 'q4 installed', dir: 'lfm2-vl-450m-random-q4/loupe-optimized', threads: 2, presets: 'fast,balanced' },
  { name: 'q4 as downloaded (fp16 vision, q4 decoder with fp32 output layer)', dir: 'lfm2-vl-450m-random-q4', threads: 1, presets: 'fast' },
  { name: 'q4-small (q4 vision too), as downloaded', dir: 'lfm2-vl-450m-random-q4-small', threads: 1, presets: 'fast' },
  { name: 'fp32 (for comparison)', dir: 'lfm2-vl-450m-random', threads: 1, presets: 'fast' },
];

interface StageRow {
  visionMs: number;
  visionGflop: number;
  prefillMs: number;
  prefillGflop: number;
  decodeStepMs: number;
  sessionMs: number;
  overheadMs: number;
}

/** Compute stages against the matrix-multiply peak; the pipeline's own time against the sessions'. */
function withRatios(row: StageRow & Record<string, unknown>, peak: MachinePeaks) {
  const gflops = (gflop: number, ms: number) => (ms > 0 ? gflop / (ms / 1000) : 0);
  return {
    ...row,
    visionGflops: round(gflops(row.visionGflop, row.visionMs)),
    visionShareOfMatmulPeak: round(gflops(row.visionGflop, row.visionMs) / peak.matmulGflops, 2),
    prefillGflops: round(gflops(row.prefillGflop, row.prefillMs)),
    prefillShareOfMatmulPeak: round(gflops(row.prefillGflop, row.prefillMs) / peak.matmulGflops, 2),
    overheadShareOfSessionTime: round(row.overheadMs / row.sessionMs, 3),
  };
}

async function stagesOf(dir: string, threads: number, presets: string) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'vlmStages.ts'), join(models, dir), String(runs), presets], {
    env: { ...process.env, LOUPE_ENGINE_THREADS: String(threads) },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    rows: Array<StageRow & Record<string, unknown>>;
    followUp: { firstTtftMs: number; followUpTtftMs: number };
    ocrGroundingMs: number;
    peakRssMb: number;
    loadPlusFirstTokenMs: number;
  };
}

/** The host's event loop while the engine (its own process, as in the extension) answers. */
async function hostEventLoop(threads: number) {
  process.env.LOUPE_ENGINE_THREADS = String(threads);
  const engine = new EngineClient({ enginePath });
  const ask = (maxNewTokens: number) =>
    engine.generate({
      modelDir: join(models, MIXES[0]!.dir),
      task: 'question',
      question: 'What is on this screen?',
      image: { kind: 'path', path: join(ocrFixtureDir, 'dashboard-1920@1x.png') },
      options: resolveOptions('fast', { maxNewTokens }),
    }).result;
  await ask(1);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const { stats } = await ask(64);
  delay.disable();
  await engine.dispose();
  delete process.env.LOUPE_ENGINE_THREADS;
  return { threads, p99Ms: round(delay.percentile(99) / 1e6), maxMs: round(delay.max / 1e6), ttftMs: Math.round(stats.timeToFirstTokenMs), tokensPerSecond: round(stats.tokensPerSecond) };
}

async function main(): Promise<void> {
  for (const { dir } of MIXES) if (!existsSync(join(models, dir))) throw new Error(`${dir} is missing: run npm run bench:models first`);
  const peaks = new Map<number, MachinePeaks>();
  for (const threads of [1, 2]) peaks.set(threads, await measurePeaks(threads));
  const mixes = [];
  for (const mix of MIXES) {
    const result = await stagesOf(mix.dir, mix.threads, mix.presets);
    const measured = {
      ...mix,
      peakRssMb: result.peakRssMb,
      loadPlusFirstTokenMs: Math.round(result.loadPlusFirstTokenMs),
      ocrGroundingMs: Math.round(result.ocrGroundingMs),
      followUp: { ...result.followUp, ratio: round(result.followUp.followUpTtftMs / result.followUp.firstTtftMs, 3) },
      rows: result.rows.map((row) => withRatios(row, peaks.get(mix.threads)!)),
    };
    console.log(JSON.stringify(measured));
    mixes.push(measured);
  }
  const eventLoop = [await hostEventLoop(1), await hostEventLoop(2)];
  console.log(eventLoop);
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench', 'results', 'vlm.json'),
    `${JSON.stringify({ machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, date: new Date().toISOString().slice(0, 10), runs, newTokens: 32, peaks: [...peaks.values()], mixes, eventLoop }, null, 2)}\n`,
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
