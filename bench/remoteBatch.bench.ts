/**
 * A docs site's worth of alt text from a model server: `loupe alt-text fix` (the built CLI) on 40
 * images in 20 Markdown files, against a loopback OpenAI-compatible server that takes 250 ms per
 * answer (five tokens, 50 ms apart), once with --concurrency 1 and once with the default 4.
 * Target (issue 15): under 3.5 s with 4. Writes bench/results/remoteBatch.json.
 * Run: npm run build && node --import tsx bench/remoteBatch.bench.ts [runs]
 */
// First, as in every bench: onnxruntime's telemetry off (docs/privacy.md; the CLI it runs also does this itself).
import '../src/protocol/onnxPrivacy';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { repoRoot } from '../test/support/paths';
import { startOpenAiServer } from '../test/support/openAiServer';

const runs = Number(process.argv[2] ?? 3);
const IMAGES = 40;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** 40 distinct images (so nothing comes from the cache), two per document. */
async function writeSite(dir: string): Promise<void> {
  for (let i = 0; i < IMAGES; i++) {
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
      .png()
      .toFile(join(dir, `figure-${i}.png`));
  }
  for (let page = 0; page < IMAGES / 2; page++) {
    writeFileSync(join(dir, `page-${page}.md`), `# Page ${page}\n\n![](figure-${2 * page}.png)\n\nSome text.\n\n![](figure-${2 * page + 1}.png)\n`);
  }
}

async function main(): Promise<void> {
  const server = await startOpenAiServer({ models: ['vlm'] });
  server.reply = () => ({ kind: 'stream', tokens: ['A ', 'coloured ', 'test ', 'figure', '.'], tokenDelayMs: 50 });
  const results: Record<string, { medianMs: number; runsMs: number[]; peakInFlight: number }> = {};
  try {
    for (const concurrency of [1, 4]) {
      const times: number[] = [];
      let peak = 0;
      for (let run = 0; run < runs; run++) {
        const site = mkdtempSync(join(tmpdir(), 'loupe-bench-site-'));
        await writeSite(site);
        server.peakInFlight = 0;
        const started = performance.now();
        // Asynchronously: the server answers from this process's event loop.
        const cli = await promisify(execFile)(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'alt-text', 'fix', '.', '--endpoint', server.baseUrl, '--remote-model', 'vlm', '--concurrency', String(concurrency)], {
          cwd: site,
          env: { ...process.env, LOUPE_HOME: site, LOUPE_API_KEY: '' },
        });
        times.push(performance.now() - started);
        if (!/40 alt text\(s\) written/.test(cli.stderr)) throw new Error(`loupe alt-text fix did not write 40 alt texts:\n${cli.stderr}`);
        peak = Math.max(peak, server.peakInFlight);
        rmSync(site, { recursive: true, force: true });
      }
      results[`concurrency${concurrency}`] = { medianMs: Math.round(median(times)), runsMs: times.map(Math.round), peakInFlight: peak };
      console.log(`--concurrency ${concurrency}: median ${Math.round(median(times))} ms over ${runs} runs, at most ${peak} requests in flight`);
    }
  } finally {
    await server.close();
  }
  const speedup = results.concurrency1!.medianMs / results.concurrency4!.medianMs;
  console.log(`speed-up with 4: ${speedup.toFixed(2)}x; target under 3500 ms with 4: ${results.concurrency4!.medianMs < 3500 ? 'met' : 'missed'}`);
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench', 'results', 'remoteBatch.json'),
    `${JSON.stringify({ images: IMAGES, answerMs: 250, runs, ...results, speedup: Number(speedup.toFixed(2)), measuredAt: new Date().toISOString() }, null, 2)}\n`,
  );
}

void main();
