/**
 * Ending the engine thread while onnxruntime is inside a native call (a model still loading, or
 * the sibling sessions of a load that failed) used to abort the whole process with exit 134; in
 * the editor that is the extension host. Each case runs in its own process so an abort is seen.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, tinyModelDir } from '../support/paths';

function disposeAfter(modelDir: string, delay: number | 'settled') {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/disposeDuringLoad.ts'), modelDir, String(delay)], {
    encoding: 'utf8',
    env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
    timeout: 120_000,
  });
  return { status: run.status, signal: run.signal, out: run.stdout, err: run.stderr };
}

describe('stopping the engine never aborts the process', () => {
  it('after a load that failed in onnxruntime while its sibling graphs were still loading', () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'loupe-broken-')), 'model');
    cpSync(tinyModelDir, broken, { recursive: true });
    // Same inputs and outputs, so the folder passes the import checks; onnxruntime then refuses
    // the unknown operator while the other two graphs are still being created.
    const graph = join(broken, 'onnx', 'embed_tokens.onnx');
    writeFileSync(graph, readFileSync(graph, 'latin1').replaceAll('Gather', 'Gathxr'), 'latin1');
    const run = disposeAfter(broken, 'settled');
    assert.equal(run.status, 0, `exit ${run.status} ${run.signal ?? ''}\n${run.err}`);
    assert.match(run.out, /MODEL_LOAD_FAILED: .*Gathxr/);
    assert.match(run.out, /disposed/);
  });

  for (const delayMs of [50, 250, 600]) {
    it(`when disposed ${delayMs} ms into a job (reading, loading or answering)`, () => {
      const run = disposeAfter(tinyModelDir, delayMs);
      assert.equal(run.status, 0, `exit ${run.status} ${run.signal ?? ''}\n${run.err}`);
      assert.match(run.out, /^(answered|CANCELLED: .*)\ndisposed\n$/);
    });
  }
});
