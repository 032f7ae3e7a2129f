/**
 * Stands in for the extension host in test/integration/childLifetime.test.ts: starts the engine in
 * a child process (loupe.engine.isolation: process), asks it about an image, prints the engine's
 * pid and then waits, to be killed by the test.
 * Usage: node --import tsx test/support/processEngineHost.ts <image>
 */
import { EngineClient } from '../../src/client/engineClient';
import { resolveOptions } from '../../src/protocol/options';
import { enginePath, tinyModelDir } from './paths';

const [image] = process.argv.slice(2);
const engine = new EngineClient({ enginePath, isolation: 'process' });
const job = engine.generate({
  modelDir: tinyModelDir,
  task: 'question',
  question: 'What is this?',
  image: { kind: 'path', path: image! },
  options: resolveOptions('fast', { maxNewTokens: 4 }),
});
job.result.catch(() => {});
process.stdout.write(`engine ${engine.enginePid}\n`);
setInterval(() => {}, 60_000);
