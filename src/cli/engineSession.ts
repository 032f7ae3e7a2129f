import { join } from 'node:path';
import { EngineClient } from '../client/engineClient';
import { LocalVisionModel, type VisionModel } from '../client/visionModel';
import { EndpointRefused } from '../remote/endpoint';
import { RemoteError } from '../remote/remoteErrors';
import { RemoteVisionModel } from '../remote/remoteVisionModel';
import { ConsentRefused, ServerConnection } from '../remote/serverConnection';
import { cliConsent, promptApiKey, remoteEndpoint, type RemoteFlags } from './remoteFlags';
import { resolveCliModel } from './modelResolution';
import { EngineError } from '../protocol/engineError';
import { MAX_QUESTION_CHARS } from '../protocol/engine';
import { CliError, EXIT } from './cliErrors';
import { safeText } from '../protocol/safeText';


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

/**
 * The engine's own check of an image (the one admission path: the same the extension uses), made
 * before anything about models, as a bad image is the user's most likely mistake.
 */
export async function admitImage(engine: EngineClient, path: string): Promise<void> {
  await engine.inspect({ kind: 'path', path }).result;
}

/** Problems the user fixes by changing the command or its input exit 2; failures of the engine or server exit 1. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof EngineError && (error.code === 'BAD_INPUT' || error.code === 'UNSUPPORTED' || error.code === 'MODEL_MISSING')) return EXIT.badInput;
  if (error instanceof RemoteError && (error.kind === 'auth' || error.kind === 'model-missing' || error.kind === 'too-large')) return EXIT.badInput;
  if (error instanceof ConsentRefused || error instanceof EndpointRefused) return EXIT.badInput;
  return EXIT.engineFailure;
}

/** What to do about a server's refusal, in CLI terms. */
const REMOTE_HINTS: Partial<Record<RemoteError['kind'], string>> = {
  auth: ' Set LOUPE_API_KEY to a key the server accepts.',
  'model-missing': ' Pass one of them with --remote-model.',
};

export function report(error: unknown): void {
  if (error instanceof CliError && error.plain) {
    process.stderr.write(error.message);
    return;
  }
  const hint = error instanceof RemoteError ? (REMOTE_HINTS[error.kind] ?? '') : '';
  // Messages quote servers, documents and file names: none may act on the terminal.
  process.stderr.write(`loupe: ${safeText(error instanceof Error ? error.message : String(error))}${hint}\n`);
}

/** The CLI runs the same bundled engine as the extension, in a worker thread. */
export function startEngine(): EngineClient {
  // LOUPE_OPTIMIZE_MODELS=0: the CLI's form of loupe.model.optimizeForCpu off.
  return new EngineClient({ enginePath: join(__dirname, 'engine.js'), isolation: 'thread', optimizeModels: process.env.LOUPE_OPTIMIZE_MODELS !== '0' });
}

/**
 * Runs one command against a fresh engine (started on its first request): the command's top level,
 * where every error becomes a message and an exit code.
 */
export async function withEngine(run: (engine: EngineClient) => Promise<void>): Promise<number> {
  const engine = startEngine();
  try {
    await run(engine);
    return interrupted ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    if (interrupted) return EXIT.interrupted;
    report(error);
    return exitCodeFor(error);
  } finally {
    await engine.dispose();
  }
}

/**
 * The model the flags choose: a server (--endpoint, $LOUPE_ENDPOINT), else the local model
 * (--model, $LOUPE_MODEL, the default) in `engine`.
 */
export async function visionModelFor(flags: RemoteFlags & { model?: string }, engine: EngineClient): Promise<VisionModel> {
  const endpoint = remoteEndpoint(flags);
  if (!endpoint) return new LocalVisionModel(engine, await resolveCliModel(flags.model));
  let connection = new ServerConnection({ endpoint, apiKey: process.env.LOUPE_API_KEY || undefined, consent: cliConsent() });
  // Servers often need no key (Ollama, LM Studio); ask for one only when this one says so. The
  // probe passes the same gate as the answers: consent comes before even the model list.
  if (!process.env.LOUPE_API_KEY && process.stdin.isTTY) {
    const needsKey = await connection.listModels().then(
      () => false,
      (error: unknown) => error instanceof RemoteError && error.kind === 'auth',
    );
    if (needsKey) connection = connection.withKey(await promptApiKey(connection.location.host));
  }
  return new RemoteVisionModel({ connection });
}

/** A question over the engine's limit is the user's to shorten: exit 2 with one line, not a schema dump. */
export function checkQuestion(question: string): void {
  if (question.length <= MAX_QUESTION_CHARS) return;
  throw new CliError(`The question is ${question.length.toLocaleString('en')} characters; Loupe takes up to ${MAX_QUESTION_CHARS.toLocaleString('en')}. Shorten it.`);
}
