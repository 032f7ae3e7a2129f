/**
 * 200 mixed jobs through one engine, as a long editing session would send them: answers, answers
 * stopped mid-stream, OCR, and images that fail. Memory must stay flat and nothing may crash.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { EngineClient, type GenerateInput } from '../../src/client/engineClient';
import { EngineError } from '../../src/protocol/engineError';
import { resolveOptions } from '../../src/protocol/options';
import { enginePath, imageFixture, tinyModelDir } from '../support/paths';

const engine = new EngineClient({ enginePath, isolation: 'thread' });
after(() => engine.dispose());

const ask = (image: string, maxNewTokens: number): GenerateInput => ({
  modelDir: tinyModelDir,
  task: 'question',
  question: 'What is on this screen?',
  image: { kind: 'path', path: imageFixture(image) },
  options: resolveOptions('fast', { maxNewTokens }),
});

type Kind = 'ask' | 'stop' | 'ocr' | 'bad-image';
const KINDS: Kind[] = ['ask', 'ask', 'stop', 'ocr', 'bad-image'];

async function run(kind: Kind, i: number): Promise<string> {
  switch (kind) {
    case 'ask':
      return (await engine.generate(ask(i % 2 ? 'screenshot-256x384.png' : 'chart.png', 8)).result).stopReason === 'stopped' ? 'cancelled' : 'answered';
    case 'stop': {
      const job = engine.generate(ask('diagram.png', 400), { onToken: () => job.cancel() });
      return (await job.result).stopReason === 'stopped' ? 'cancelled' : 'answered';
    }
    case 'ocr':
      return (await engine.ocr({ kind: 'path', path: imageFixture('screenshot-256x384.png') }).result).lines ? 'read' : 'no result';
    case 'bad-image': {
      const image = i % 2 ? 'truncated.png' : 'not-an-image.png';
      const error = await engine.generate(ask(image, 8)).result.then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof EngineError, `${image} should fail`);
      return error.code;
    }
  }
}

test('200 mixed jobs: memory flat within 10%, no crash', { timeout: 600_000 }, async () => {
  // Warm-up: the models, ONNX Runtime's arenas and the allocator reach their working size over the
  // first few dozen jobs (measured: RSS rises for ~100 jobs, then stays within a few percent).
  for (let i = 0; i < 100; i++) await run(KINDS[i % KINDS.length]!, i);
  // RSS after one job swings by tens of MB as the allocator hands memory back or not, so the start
  // and end are the medians over the first and last 20 jobs, not single readings.
  const samples: number[] = [];
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    const outcome = `${KINDS[i % KINDS.length]}: ${await run(KINDS[i % KINDS.length]!, i)}`;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    samples.push(process.memoryUsage().rss);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const startRss = median(samples.slice(0, 20));
  const endRss = median(samples.slice(-20));
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
  console.log(`soak: RSS ${mb(startRss)} -> ${mb(endRss)} (${(((endRss - startRss) / startRss) * 100).toFixed(1)}%); ${[...outcomes].map(([k, n]) => `${k} x${n}`).join(', ')}`);
  assert.deepEqual(Object.fromEntries(outcomes), {
    'ask: answered': 80,
    'stop: cancelled': 40,
    'ocr: read': 40,
    'bad-image: BAD_INPUT': 40,
  });
  assert.ok(Math.abs(endRss - startRss) / startRss <= 0.1, `RSS went from ${mb(startRss)} to ${mb(endRss)}`);
});
