/**
 * What the features bundle (dist/features.js) costs a window that never uses Loupe: the activation
 * shell loads it on the next tick after start-up (src/extension.ts says why not on first use). A
 * fresh Node process requires the bundle as shipped (minified), with a stand-in for the `vscode`
 * module, and reports the time and the memory the require took; medians over fresh processes.
 * Run: node --import tsx bench/featuresLoad.bench.ts [runs]
 */
// First: onnxruntime's telemetry off in this process before anything loads it (docs/privacy.md).
import '../src/protocol/onnxPrivacy';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { median, round } from './benchStats';
import { repoRoot } from '../test/support/paths';

const runs = Number(process.argv[2] ?? 7);

// Requires the bundle with `vscode` answered by a proxy that accepts any property access or call.
const PROBE = `
const Module = require('module');
const load = Module._load;
const anything = new Proxy(function () {}, { get: (_, key) => (key === Symbol.toPrimitive ? () => '' : anything), apply: () => anything, construct: () => anything });
// An object whose prototype is the proxy: esbuild's interop copies own keys and keeps the prototype.
const vscode = Object.create(anything);
Module._load = (request, ...rest) => (request === 'vscode' ? vscode : load(request, ...rest));
const before = process.memoryUsage();
const started = process.hrtime.bigint();
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const after = process.memoryUsage();
process.stdout.write(JSON.stringify({ ms, rssMb: (after.rss - before.rss) / 1e6, heapMb: (after.heapUsed - before.heapUsed) / 1e6 }));
`;

async function main(): Promise<void> {
  const { nodeBundles } = (await import(pathToFileURL(join(repoRoot, 'scripts/build.mjs')).href)) as { nodeBundles: esbuild.BuildOptions[] };
  const features = nodeBundles.find((options) => options.outfile === 'dist/features.js')!;
  // Inside the repository, so the bundle finds node_modules as dist/features.js does.
  mkdirSync(join(repoRoot, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(repoRoot, '.cache', 'bench-features-'));
  try {
    const outfile = join(dir, 'features.js');
    await esbuild.build({ ...features, absWorkingDir: repoRoot, minify: true, sourcemap: false, outfile });
    const samples = Array.from({ length: runs }, () => {
      const run = spawnSync(process.execPath, ['-e', PROBE, outfile], { cwd: repoRoot, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(run.stderr);
      return JSON.parse(run.stdout) as { ms: number; rssMb: number; heapMb: number };
    });
    const result = {
      bundleKb: round(statSync(outfile).size / 1024, 0),
      runs,
      requireMs: round(median(samples.map((s) => s.ms))),
      rssMb: round(median(samples.map((s) => s.rssMb))),
      heapMb: round(median(samples.map((s) => s.heapMb))),
    };
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'featuresLoad.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(result);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
