/**
 * Runs SVG rendering in a child process (src/imaging/svgRenderProcess.ts) under a time limit and the
 * job's Stop: killing a process is the only way to end a librsvg render early. The renderer, like
 * the engine process, ends itself when its parent goes away (exitWithParent).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { RgbImage } from './rgbImage';

export interface SvgRenderRequest {
  svg: Uint8Array;
  source: string;
  maxPixels: number;
  density: number;
}

export type SvgRenderResult = { pixels: RgbImage } | { error: string };

/** A diagram renders in well under a second; a render past this is a filter bomb. */
export const SVG_RENDER_TIMEOUT_MS = 20_000;

/** The renderer next to this module: the bundle in dist/, or the TypeScript source under tsx. */
function rendererEntry(): { path: string; execArgv: string[] } {
  const bundled = join(__dirname, 'svgRender.js');
  if (existsSync(bundled)) return { path: bundled, execArgv: [] };
  return { path: join(__dirname, 'svgRenderProcess.ts'), execArgv: ['--import', 'tsx'] };
}

/** The renderers this process (or engine thread) has running. */
const renderers = new Set<ChildProcess>();

function killRenderers(): void {
  for (const child of renderers) child.kill('SIGKILL');
  renderers.clear();
}

/**
 * For a forked child (the SVG renderer, the engine process): ends this process at once when its
 * parent is gone, whether the parent exited, was killed by a signal (SIGTERM, SIGHUP, SIGKILL) or
 * crashed. The kernel closes the IPC channel however the parent ends, and Node reports that as
 * 'disconnect'; the event loop is free to see it, as librsvg and onnxruntime work in the libuv
 * thread pool. process.exit() is no use here: it waits for the thread pool's running work, so an
 * orphaned renderer went on through its filter bomb for minutes. (process.ppid cannot be polled
 * instead: Node 20 reads it once.) The process's own renderers are killed first, though each
 * would see its channel close and end itself.
 */
export function exitWithParent(): void {
  if (!isMainThread || !process.send) return;
  process.once('disconnect', () => {
    killRenderers();
    process.kill(process.pid, 'SIGKILL');
  });
}

export class SvgRenderStopped extends Error {
  constructor(readonly reason: 'timeout' | 'cancelled') {
    super(reason === 'timeout' ? `SVG rendering took longer than ${SVG_RENDER_TIMEOUT_MS / 1000} s` : 'SVG rendering was stopped');
  }
}

export function renderSvgIsolated(request: SvgRenderRequest, signal?: AbortSignal, timeoutMs = SVG_RENDER_TIMEOUT_MS): Promise<RgbImage> {
  const entry = rendererEntry();
  return new Promise((resolve, reject) => {
    // Inside VS Code process.execPath is Electron; ELECTRON_RUN_AS_NODE makes it a plain Node.
    const child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    trackRenderer(child);
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      child.kill('SIGKILL');
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new SvgRenderStopped('timeout'))), timeoutMs);
    const onAbort = () => finish(() => reject(new SvgRenderStopped('cancelled')));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
    child.on('message', (result: SvgRenderResult) =>
      // The advanced serialisation hands over a Uint8Array already: no copy of the pixels.
      finish(() => ('error' in result ? reject(new Error(result.error)) : resolve(result.pixels))),
    );
    child.on('error', (error) => finish(() => reject(error)));
    child.on('exit', (code, killedBy) => finish(() => reject(new Error(`the SVG renderer stopped (${killedBy ?? `exit code ${code}`})`))));
    child.send({ ...request } satisfies SvgRenderRequest);
  });
}

let killOnExit = false;

/** A renderer is killed when it ends its job, and at the latest when this process (or engine thread) exits. */
function trackRenderer(child: ChildProcess): void {
  renderers.add(child);
  child.once('exit', () => renderers.delete(child));
  if (killOnExit) return;
  killOnExit = true;
  process.once('exit', killRenderers);
}
