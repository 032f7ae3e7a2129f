/**
 * Every program that can load onnxruntime turns its telemetry off first (src/protocol/onnxPrivacy.ts):
 * each bundle scripts/build.mjs makes, the benches, and the test processes; and the guard looks
 * at the process's real environment, not a worker thread's copy. test/integration/privacy.test.ts
 * shows the effect on the wire.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { programEnv } from '../../support/isolatedNetwork';
import { repoRoot } from '../../support/paths';

const scratch = mkdtempSync(join(tmpdir(), 'loupe-privacy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Without ORT_DISABLE_TELEMETRY; bundles built outside the repository find its node_modules. */
const withoutTheVariable = () => ({ ...programEnv(), NODE_PATH: join(repoRoot, 'node_modules') });

/**
 * Loads a bundle and reports whether the variable is set at the first load of what starts
 * onnxruntime, an engine thread or a process, or else once the bundle's top level has run
 * ('vscode' is a stub that answers everything, for the extension host's bundle).
 */
const loadBundle = (bundle: string) => `
const Module = require('node:module');
const report = (at) => {
  process.stdout.write(JSON.stringify({ at, value: process.env.ORT_DISABLE_TELEMETRY ?? null }));
  process.exit(0);
};
const anything = new Proxy(function () {}, { get: () => anything, apply: () => anything, construct: () => anything });
const load = Module._load;
Module._load = function (request) {
  // Inherits from the stub, as esbuild's import wrapper does: every name it reads answers.
  if (request === 'vscode') return Object.create(anything);
  if (/^(?:node:)?(?:worker_threads|child_process)$|^onnxruntime-node$/.test(request)) report('loading ' + request);
  return load.apply(this, arguments);
};
try {
  require(${JSON.stringify(bundle)});
  report('the end of its top level');
} catch (error) {
  report('the error its top level threw: ' + error.message);
}`;

describe('onnxruntime telemetry is off in every process', () => {
  it('in each bundle, before it loads onnxruntime, worker_threads or child_process', async () => {
    const buildScript = pathToFileURL(join(repoRoot, 'scripts', 'build.mjs')).href;
    const { nodeBundles } = (await import(buildScript)) as { nodeBundles: esbuild.BuildOptions[] };
    assert.ok(nodeBundles.length >= 3, 'the extension, engine and CLI bundles');
    for (const options of nodeBundles) {
      const outfile = join(scratch, `${String(options.outfile).replace(/\W/g, '_')}.js`);
      await esbuild.build({ ...options, outfile, sourcemap: false, minify: false, absWorkingDir: repoRoot });
      const run = spawnSync(process.execPath, ['-e', loadBundle(outfile)], { env: withoutTheVariable(), encoding: 'utf8' });
      assert.ok(run.stdout, `${options.outfile} did not load: ${run.stderr}`);
      const seen = JSON.parse(run.stdout) as { at: string; value: string | null };
      assert.equal(seen.value, '1', `${options.outfile}: ORT_DISABLE_TELEMETRY is not set at ${seen.at}`);
    }
  });

  it('in each bench program, whose first import is the privacy module', () => {
    const programs = readdirSync(join(repoRoot, 'bench'))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => ({ name, text: readFileSync(join(repoRoot, 'bench', name), 'utf8') }))
      // A program runs its main(); the other files are modules those programs import.
      .filter(({ text }) => /^(?:void )?main\(\)/m.test(text));
    assert.ok(programs.length >= 6, programs.map(({ name }) => name).join(', '));
    for (const { name, text } of programs) assert.equal(text.match(/^import .*$/m)?.[0], "import '../src/protocol/onnxPrivacy';", name);
  });

  it('in the test processes (this one does not import the module: scripts/run-tests.mjs passes it)', () => {
    const report = process.report.getReport() as { environmentVariables?: Record<string, string> };
    assert.equal(report.environmentVariables?.ORT_DISABLE_TELEMETRY, '1');
  });
});

describe('assertOnnxTelemetryDisabled', () => {
  // Compiled, so that a worker thread can load it too.
  const privacyModule = join(scratch, 'onnxPrivacy.cjs');
  before(() => esbuild.build({ entryPoints: [join(repoRoot, 'src', 'protocol', 'onnxPrivacy.ts')], outfile: privacyModule, format: 'cjs', platform: 'node' }));
  const check = (script: string) => spawnSync(process.execPath, ['-e', script], { env: withoutTheVariable(), encoding: 'utf8' });

  it('passes in a process whose main thread loaded the privacy module', () => {
    const run = check(`require(${JSON.stringify(privacyModule)}).assertOnnxTelemetryDisabled();`);
    assert.equal(run.status, 0, run.stderr);
  });

  it("refuses in a worker thread whose process.env copy has the variable but the process's environment does not", () => {
    const worker = `require(${JSON.stringify(privacyModule)}).assertOnnxTelemetryDisabled();`;
    const run = check(`
      const { Worker } = require('node:worker_threads');
      new Worker(${JSON.stringify(worker)}, { eval: true, env: { ORT_DISABLE_TELEMETRY: '1' } })
        .on('error', (error) => { console.log(error.message); process.exitCode = 3; });`);
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stdout, /Refusing to run onnxruntime: ORT_DISABLE_TELEMETRY=1 is not in this process's environment/);
  });
});
