/**
 * Runs SVG rendering in a child process (src/imaging/svgRenderProcess.ts) under a time limit and the
 * job's Stop: killing a process is the only way to end a librsvg render early.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
