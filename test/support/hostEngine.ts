/**
 * The engine as the extension host runs it, for the network namespace test: this process stands
 * in for the extension host (nothing here turns telemetry off; the engine client does), starts one
 * engine in a worker thread and one in a child process, asks each a question and reads text off an
 * image, then keeps both engines, models loaded, alive for `holdMs` so that onnxruntime's
 * telemetry timer would fire. Usage: node --import tsx test/support/hostEngine.ts <holdMs>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineClient, type Isolation } from '../../src/client/engineClient';
import { resolveOptions } from '../../src/protocol/options';
import { enginePath, imageFixture, tinyModelDir } from './paths';

async function exercise(isolation: Isolation, holdMs: number): Promise<void> {
  const engine = new EngineClient({ enginePath, isolation, idleUnloadMs: 0 });
  try {
    const image = { kind: 'path', path: imageFixture('screenshot-256x384.png') } as const;
    await engine.generate({
      modelDir: tinyModelDir,
      task: 'question',
      question: 'What is this?',
      image,
      options: resolveOptions('fast', { maxNewTokens: 4 }),
    }).result;
    await engine.ocr(image).result;
    await sleep(holdMs);
  } finally {
    await engine.dispose();
  }
}

const holdMs = Number(process.argv[2] ?? 12_000);
Promise.all([exercise('thread', holdMs), exercise('process', holdMs)]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
