/**
 * Loupe's child processes die with their parent, however it goes: the SVG renderer (dist/svgRender.js)
 * busy in librsvg, and the engine process of loupe.engine.isolation "process". An orphaned renderer
 * kept a core and 0.4 GB for the minutes a filter bomb takes. Checked with `ps`, as a user would.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot, tinyModelDir } from '../support/paths';
import { suiteScratchDir } from '../support/scratchDir';

/** How long a child may outlive its parent. */
const GRACE_MS = 3_000;
const TIMEOUT = { timeout: 90_000 };

interface Row {
  pid: number;
  ppid: number;
  args: string;
}

/** The live processes (zombies are dead: only their parent has not collected them yet). */
function processes(): Row[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null && !match[3]!.startsWith('Z'))
    .map((match) => ({ pid: Number(match![1]), ppid: Number(match![2]), args: match![4]! }));
}

const alive = (pid: number) => processes().some((row) => row.pid === pid);

async function waitFor<T>(what: string, find: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The SVG renderer `parent` forked. */
function rendererOf(parent: number): Promise<number> {
  return waitFor(`the SVG renderer of ${parent}`, () => processes().find((row) => row.ppid === parent && row.args.includes('svgRender'))?.pid, 60_000);
}

/** Whether each of `pids` ends within the grace period; kills the ones that do not (a failing test leaves no orphan burning a core). */
async function goneWithin(pids: number[]): Promise<{ pid: number; gone: boolean }[]> {
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && pids.some(alive)) await sleep(100);
  return pids.map((pid) => {
    const gone = !alive(pid);
    if (!gone) process.kill(pid, 'SIGKILL');
    return { pid, gone };
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

describe('child processes die with their parent', () => {
  const scratch = suiteScratchDir('loupe-lifetime-');
  /** Thousands of blurred shapes: librsvg renders this for minutes, in sharp's threads. */
  const filterBomb = () => {
    const path = join(scratch(), 'bomb.svg');
    let svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><defs><filter id="b" x="-5" y="-5" width="11" height="11"><feGaussianBlur stdDeviation="200"/></filter></defs>';
    for (let i = 0; i < 3000; i++) svg += `<circle cx="${(i * 7) % 4000}" cy="${(i * 13) % 4000}" r="40" filter="url(#b)"/>`;
    writeFileSync(path, `${svg}</svg>`);
    return path;
  };

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
    it(`loupe ask killed by ${signal} during a slow SVG leaves no SVG renderer behind`, TIMEOUT, async () => {
      const cli = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'ask', filterBomb(), 'What is this?', '-m', tinyModelDir], {
        env: { ...process.env, LOUPE_HOME: scratch() },
        stdio: 'ignore',
      });
      try {
        const renderer = await rendererOf(cli.pid!);
        cli.kill(signal);
        await exited(cli);
        assert.equal(cli.signalCode, signal);
        assert.deepEqual(await goneWithin([renderer]), [{ pid: renderer, gone: true }], `the renderer was still running ${GRACE_MS} ms after the CLI ended`);
      } finally {
        cli.kill('SIGKILL');
      }
    });
  }

  it('an engine process whose host crashes during a slow SVG ends, and its SVG renderer with it', TIMEOUT, async () => {
    const host = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'support', 'processEngineHost.ts'), filterBomb()], {
      env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      host.stdout!.on('data', (chunk: Buffer) => (out += chunk));
      const engine = await waitFor('the engine pid', () => /engine (\d+)\n/.exec(out)?.[1], 30_000).then(Number);
      assert.ok(processes().some((row) => row.pid === engine && row.ppid === host.pid && row.args.includes('engine.js')));
      const renderer = await rendererOf(engine);
      host.kill('SIGKILL');
      await exited(host);
      assert.deepEqual(
        await goneWithin([engine, renderer]),
        [
          { pid: engine, gone: true },
          { pid: renderer, gone: true },
        ],
        `the engine (${engine}) and its renderer (${renderer}) must end within ${GRACE_MS} ms of the host`,
      );
    } finally {
      host.kill('SIGKILL');
    }
  });
});
