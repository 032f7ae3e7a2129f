/**
 * Nothing leaves the machine, and onnxruntime's telemetry stays off (docs/privacy.md): the CLI and
 * the engine as the extension host runs it (worker thread and child process, kept alive past the
 * telemetry's 5-12 s timer) run in a network namespace with only loopback and a DNS logger, under
 * strace. Needs `npm run build`, strace, and permission to unshare (root here).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isolationUnavailable, programEnv, runIsolated, type RunReport } from '../support/isolatedNetwork';
import { imageFixture, repoRoot, tinyModelDir } from '../support/paths';

const cli = join(repoRoot, 'dist', 'cli.js');
const screenshot = imageFixture('screenshot-256x384.png');

describe('in a network namespace with only loopback', { skip: isolationUnavailable() }, () => {
  it('the CLI and the extension host engines look nothing up, connect nowhere and leave no telemetry files', () => {
    const report = runIsolated(
      [
        { name: 'loupe ask', argv: [process.execPath, cli, 'ask', screenshot, 'What is this?', '--model', tinyModelDir, '--max-new-tokens', '8'] },
        { name: 'loupe ocr', argv: [process.execPath, cli, 'ocr', screenshot] },
        { name: 'host engines', argv: [process.execPath, '--import', 'tsx', join(repoRoot, 'test', 'support', 'hostEngine.ts'), '12000'] },
      ],
      90_000,
    );
    for (const run of report.runs) assert.equal(run.exitCode, 0, `${run.name} failed: ${run.stderrTail}`);
    // All evidence in one comparison, so that a failure shows every program's.
    const evidence = (run: RunReport) => ({ networkCalls: run.networkCalls, telemetryFiles: run.telemetryFiles, matDebugFiles: run.matDebugFiles });
    const clean = { networkCalls: [], telemetryFiles: [], matDebugFiles: [] };
    assert.deepEqual(
      { dnsQueries: report.dnsQueries, ...Object.fromEntries(report.runs.map((run) => [run.name, evidence(run)])) },
      { dnsQueries: [], ...Object.fromEntries(report.runs.map((run) => [run.name, clean])) },
    );
  });
});

describe('a command line of 15 KB or more', () => {
  it('does not crash the CLI (onnxruntime telemetry segfaulted on it)', () => {
    const question = `What is this?${' '.repeat(16_000)}`;
    const run = spawnSync(process.execPath, [cli, 'ask', screenshot, question, '--model', tinyModelDir, '--max-new-tokens', '2'], {
      env: programEnv(),
      encoding: 'utf8',
    });
    assert.equal(run.signal, null, `killed by ${run.signal}`);
    assert.equal(run.status, 0, run.stderr);
  });
});
