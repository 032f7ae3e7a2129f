import { join } from 'node:path';
import { EngineClient, EngineError } from '../host/engineClient';

/** Exit codes the CLI promises: scripts and CI branch on them. */
export const EXIT = { ok: 0, engineFailure: 1, badInput: 2 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof EngineError && (error.code === 'BAD_INPUT' || error.code === 'MODEL_MISSING')) return EXIT.badInput;
  return EXIT.engineFailure;
}

/** The CLI runs the same bundled engine as the extension, in a worker thread. */
export function startEngine(): EngineClient {
  return new EngineClient({ enginePath: join(__dirname, 'engine.js'), isolation: 'thread' });
}

/** Runs one command against a fresh engine: errors become a message and an exit code. */
export async function withEngine(run: (engine: EngineClient) => Promise<void>): Promise<number> {
  const engine = startEngine();
  try {
    await run(engine);
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(`loupe: ${(error as Error).message}\n`);
    return exitCodeFor(error);
  } finally {
    await engine.dispose();
  }
}

export function fail(message: string, code: number): never {
  process.stderr.write(`loupe: ${message}\n`);
  process.exit(code);
}
