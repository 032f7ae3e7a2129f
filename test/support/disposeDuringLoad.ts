/**
 * Run as its own process by test/integration/engineShutdown.test.ts, because what it guards
 * against is the whole process aborting: starts a job on a model folder, disposes the engine
 * after `delay` ms, or as soon as the job has ended when `delay` is "settled" (a failed load's
 * sibling sessions may still be loading then), and prints how the job ended.
 * argv: modelDir delay
 */
import { EngineClient } from '../../src/client/engineClient';
import { resolveOptions } from '../../src/protocol/options';
import { enginePath, imageFixture } from './paths';

const [modelDir, delay] = process.argv.slice(2);
const engine = new EngineClient({ enginePath, isolation: 'thread' });
const job = engine.generate({
  modelDir: modelDir!,
  task: 'question',
  question: 'What is this?',
  image: { kind: 'path', path: imageFixture('screenshot-256x384.png') },
  options: resolveOptions('fast', { maxNewTokens: 4 }),
});
const outcome = job.result.then(
  () => 'answered',
  (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
);
const dispose = () => void engine.dispose().then(async () => process.stdout.write(`${await outcome}\ndisposed\n`));
if (delay === 'settled') void outcome.then(dispose);
else setTimeout(dispose, Number(delay));
