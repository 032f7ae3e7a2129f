/**
 * Find through the real engine: worker thread, transformers.js, onnxruntime-node and sharp on the
 * tiny random-weight LFM2-VL. Its answers are noise, so they show what the grammar mask guarantees:
 * whatever the model would say, the answer is a box list the strict reader takes, in image pixels.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EngineClient, type GenerateInput } from '../../src/client/engineClient';
import { EngineError } from '../../src/protocol/engineError';
import { resolveOptions } from '../../src/protocol/options';
import { parseFindAnswer } from '../../src/protocol/findBoxes';
import { enginePath, imageFixture, tinyModelDir } from '../support/paths';

// 256 wide, 384 high.
const screenshot = { kind: 'path', path: imageFixture('screenshot-256x384.png') } as const;

function find(overrides: Partial<GenerateInput> = {}): GenerateInput {
  return {
    modelDir: tinyModelDir,
    task: 'find',
    question: 'the Save button',
    image: screenshot,
    options: resolveOptions('fast', { maxNewTokens: 80 }),
    ...overrides,
  };
}

describe('Find in the engine', () => {
  const engine = new EngineClient({ enginePath, isolation: 'thread' });
  after(() => engine.dispose());

  it('always answers a box list the reader takes, within the token limit, with the boxes in the done event', async () => {
    let withBoxes = 0;
    for (const [seed, temperature, maxNewTokens] of [
      [0, undefined, 80],
      [1, 1.5, 80],
      [2, 2, 120],
      [3, 2, 40],
      [4, 1, 7],
      [5, 2, 200],
    ] as const) {
      const sampling = { seed, ...(temperature !== undefined && { temperature, minP: 0 }) };
      const { text, stopReason, stats, find: found } = await engine.generate(find({ options: resolveOptions('fast', { maxNewTokens, sampling }) })).result;
      assert.equal(stopReason, 'end', `seed ${seed}: the answer closed itself (${JSON.stringify(text)})`);
      assert.ok(stats.generatedTokens <= maxNewTokens);
      assert.ok(found, 'the done event carries the boxes');
      assert.equal(found.problem, undefined, `seed ${seed}: ${JSON.stringify(text)}`);
      assert.deepEqual(found, parseFindAnswer(text, { width: 256, height: 384 }), 'boxes in pixels of the decoded image');
      for (const box of found.boxes) assert.ok(box.x + box.width <= 256 && box.y + box.height <= 384, JSON.stringify(box));
      if (text.includes('{')) withBoxes++;
    }
    assert.ok(withBoxes > 0, 'some answers held objects, not only "[]"');
  });

  it('gives no find field for other tasks', async () => {
    const answer = await engine.generate(find({ task: 'question', question: 'What is this?', options: resolveOptions('fast', { maxNewTokens: 4 }) })).result;
    assert.equal(answer.find, undefined);
  });

  it('refuses Find without words to look for', async () => {
    const error = await engine.generate(find({ question: '  ' })).result.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineError && error.code === 'BAD_INPUT', String(error));
    assert.match(error.message, /what to find/);
  });
});
