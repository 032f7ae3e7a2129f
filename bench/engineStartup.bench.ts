/**
 * What process isolation costs: time from the first job's submission to its end, for a fresh
 * engine in a worker thread and in a child process, on a job that loads nothing (an image that is
 * refused), then with the tiny model loaded and answering. Decides the `loupe.engine.isolation`
 * default: process isolation is the default because it costs well under a second.
 * Run: npm run build && node --import tsx bench/engineStartup.bench.ts [runs]
 */
// First: onnxruntime's telemetry off in this process before anything loads it (docs/privacy.md).
import '../src/protocol/onnxPrivacy';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient, type GenerateInput, type Isolation } from '../src/client/engineClient';
import { resolveOptions } from '../src/protocol/options';
import { enginePath, imageFixture, repoRoot, tinyModelDir } from '../test/support/paths';

const runs = Number(process.argv[2] ?? 5);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const job = (image: string): GenerateInput => ({
  modelDir: tinyModelDir,
  task: 'question',
  question: 'What is this?',
  image: { kind: 'path', path: imageFixture(image) },
  ocrGrounding: false,
  options: resolveOptions('fast', { maxNewTokens: 2 }),
});

async function firstJobs(isolation: Isolation): Promise<{ startMs: number; modelMs: number }> {
  const engine = new EngineClient({ enginePath, isolation });
  try {
    let started = performance.now();
    await engine.generate(job('not-an-image.png')).result.catch(() => undefined);
    const startMs = performance.now() - started;
    started = performance.now();
    await engine.generate(job('screenshot-256x384.png')).result;
    return { startMs, modelMs: performance.now() - started };
  } finally {
    await engine.dispose();
  }
}

async function main(): Promise<void> {
  const samples: Record<Isolation, { startMs: number[]; modelMs: number[] }> = { thread: { startMs: [], modelMs: [] }, process: { startMs: [], modelMs: [] } };
  for (let i = 0; i < runs; i++) {
    for (const isolation of ['thread', 'process'] as const) {
      const { startMs, modelMs } = await firstJobs(isolation);
      samples[isolation].startMs.push(startMs);
      samples[isolation].modelMs.push(modelMs);
    }
  }
  const result = {
    runs,
    thread: { engineStartMs: median(samples.thread.startMs), tinyModelLoadAndAnswerMs: median(samples.thread.modelMs) },
    process: { engineStartMs: median(samples.process.startMs), tinyModelLoadAndAnswerMs: median(samples.process.modelMs) },
  };
  const extraMs = result.process.engineStartMs - result.thread.engineStartMs;
  console.log(`engine start, median of ${runs}: thread ${result.thread.engineStartMs.toFixed(0)} ms, process ${result.process.engineStartMs.toFixed(0)} ms (+${extraMs.toFixed(0)} ms)`);
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'engineStartup.json'), `${JSON.stringify({ ...result, processExtraMs: extraMs }, null, 2)}\n`);
}

void main();
