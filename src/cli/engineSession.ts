import { join } from 'node:path';
import { EngineClient } from '../client/engineClient';
import { EngineError } from '../protocol/engineError';
import { MAX_QUESTION_CHARS } from '../protocol/engine';
import { inspectImage } from '../engine/images';

/** Exit codes the CLI promises: scripts and CI branch on them. 130 = 128 + SIGINT, as shells report Ctrl-C. */
export const EXIT = { ok: 0, engineFailure: 1, badInput: 2, interrupted: 130 } as const;

let interrupted = false;

/**
 * Ctrl-C stops the job cleanly (the engine finishes its native call, the model is freed) and the
 * command exits 130, whether the model was loading or answering. The handler is one-shot, so a
 * second Ctrl-C gets Node's default: quit at once.
 */
export function stopOnInterrupt(job: { cancel(): void }): void {
  // One handler per process for the job running now: `loupe chat` runs many jobs in turn.
  const listening = currentJob !== undefined;
  currentJob = job;
  if (listening) return;
  process.once('SIGINT', () => {
    interrupted = true;
    process.stderr.write('\nloupe: stopping (Ctrl-C again to quit at once)\n');
    currentJob?.cancel();
  });
}

let currentJob: { cancel(): void } | undefined;

/** A bad image is reported before anything about models: it is the user's most likely mistake. */
export async function checkImageOrExit(path: string): Promise<void> {
  await inspectImage({ kind: 'path', path }).catch((error: Error) => fail(error.message, EXIT.badInput));
}

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
    return interrupted ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    if (interrupted) return EXIT.interrupted;
    process.stderr.write(`loupe: ${(error as Error).message}\n`);
    return exitCodeFor(error);
  } finally {
    await engine.dispose();
  }
}

/** A question over the engine's limit is the user's to shorten: exit 2 with one line, not a schema dump. */
export function checkQuestion(question: string): void {
  if (question.length <= MAX_QUESTION_CHARS) return;
  fail(
    `The question is ${question.length.toLocaleString('en')} characters; Loupe takes up to ${MAX_QUESTION_CHARS.toLocaleString('en')}. Shorten it.`,
    EXIT.badInput,
  );
}

export function fail(message: string, code: number): never {
  process.stderr.write(`loupe: ${message}\n`);
  process.exit(code);
}
