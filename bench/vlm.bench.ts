/**
 * VLM speed on this machine with the full-size random-weight LFM2-VL-450M (compute cost does not
 * depend on weight values): load time, time to first token and decode speed per preset, through
 * the real engine client and worker. Build the model first:
 *   /usr/bin/python3 scripts/gen_lfm2vl_fixture.py --full-size
 * Run: npm run build && node --import tsx bench/vlm.bench.ts [runs]
 */
// First: onnxruntime's telemetry off in this process before anything loads it (docs/privacy.md).
import '../src/engine/onnxPrivacy';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from '../src/client/engineClient';
import { resolveOptions, type PresetName } from '../src/protocol/options';
import { enginePath, imageFixture, repoRoot } from '../test/support/paths';

const modelDir = join(repoRoot, 'bench', 'models', 'lfm2-vl-450m-random');
const runs = Number(process.argv[2] ?? 3);
const newTokens = 32;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  if (!existsSync(modelDir)) throw new Error(`Build the full-size model first: /usr/bin/python3 scripts/gen_lfm2vl_fixture.py --full-size`);
  const engine = new EngineClient({ enginePath });
  const cases: Array<{ image: string; preset: PresetName }> = [
    { image: 'screenshot-256x384.png', preset: 'fast' },
    { image: 'dashboard-1920@1x.png', preset: 'fast' },
    { image: 'dashboard-1920@1x.png', preset: 'balanced' },
  ];
  const rows: Array<Record<string, number | string>> = [];
  const loadStart = performance.now();
  await engine.generate({
    modelDir,
    task: 'question',
    question: 'warm up',
    image: { kind: 'path', path: imageFixture('screenshot-256x384.png') },
    options: resolveOptions('fast', { maxNewTokens: 1 }),
  }).result;
  const loadAndFirstMs = performance.now() - loadStart;
  for (const { image, preset } of cases) {
    const path = existsSync(imageFixture(image)) ? imageFixture(image) : join(repoRoot, 'test', 'fixtures', 'ocr', image);
    const ttft: number[] = [];
    const tps: number[] = [];
    let imageTokens = 0;
    let tiles = 0;
    for (let i = 0; i < runs; i++) {
      const { stats } = await engine.generate({
        modelDir,
        task: 'question',
        question: 'What is on this screen?',
        image: { kind: 'path', path },
        // Random weights may emit end-of-turn early; the count is reported with the speed.
        options: resolveOptions(preset, { maxNewTokens: newTokens }),
      }).result;
      ttft.push(stats.timeToFirstTokenMs);
      tps.push(stats.tokensPerSecond);
      imageTokens = stats.imageTokens;
      tiles = stats.tiles;
    }
    const row = { image, preset, tiles, imageTokens, ttftMedianMs: Math.round(median(ttft)), tokensPerSecondMedian: Number(median(tps).toFixed(2)) };
    console.log(row);
    rows.push(row);
  }
  await engine.dispose();
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench', 'results', 'vlm.json'),
    `${JSON.stringify({ model: 'LFM2-VL-450M dimensions, random weights, fp32', runs, newTokens, firstLoadPlusOneTokenMs: Math.round(loadAndFirstMs), rows }, null, 2)}\n`,
  );
}

void main();
