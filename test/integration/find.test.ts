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
import { smolvlmTinyDir } from '../support/generatedFixtures';

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

  it('always answers a box list the reader takes, within the token limit; a list the limit steered is said to be cut', async () => {
    const outcomes = { whole: 0, cut: 0, withBoxes: 0 };
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
      const read = parseFindAnswer(text, { width: 256, height: 384 });
      assert.equal(read.problem, undefined, `seed ${seed}: the text is a whole box list (${JSON.stringify(text)})`);
      assert.ok(stats.generatedTokens <= maxNewTokens);
      assert.ok(found, 'the done event carries the boxes');
      for (const box of found.boxes) assert.ok(box.x + box.width <= 256 && box.y + box.height <= 384, JSON.stringify(box));
      if (text.includes('{')) outcomes.withBoxes++;
      if (found.problem === undefined) {
        outcomes.whole++;
        assert.equal(stopReason, 'end', `seed ${seed}: the model closed the list itself`);
        assert.deepEqual(found, { ...read, image: { width: 256, height: 384 } }, 'boxes in pixels of the decoded image, which the result names');
        continue;
      }
      // The limit steered the end: its label or corners are not the model's, so that box is left out.
      outcomes.cut++;
      assert.equal(found.problem, 'cut-short', `seed ${seed}`);
      assert.equal(stopReason, 'limit', `seed ${seed}`);
      assert.deepEqual(found.boxes, read.boxes.slice(0, found.boxes.length), 'the boxes kept are the first ones');
    }
    assert.ok(outcomes.withBoxes > 0, 'some answers held objects, not only "[]"');
    assert.ok(outcomes.whole > 0 && outcomes.cut > 0, `both outcomes seen: ${JSON.stringify(outcomes)}`);
  });

  it('gives no find field for other tasks', async () => {
    const answer = await engine.generate(find({ task: 'question', question: 'What is this?', options: resolveOptions('fast', { maxNewTokens: 4 }) })).result;
    assert.equal(answer.find, undefined);
  });

  it('refuses Find without words to look for, and with a second image', async () => {
    const error = await engine.generate(find({ question: '  ' })).result.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineError && error.code === 'BAD_INPUT', String(error));
    assert.match(error.message, /what to find/);
    const withSecond = await engine.generate(find({ secondImage: screenshot })).result.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(withSecond instanceof EngineError && withSecond.code === 'BAD_INPUT', String(withSecond));
    assert.match(withSecond.message, /Find looks in one image/);
  });

  it('refuses Find with a family that documents no box answer (SmolVLM), as a task for another model', async () => {
    const error = await engine.generate(find({ modelDir: smolvlmTinyDir() })).result.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineError && error.code === 'UNSUPPORTED', String(error));
    assert.match(error.message, /^SmolVLM models document no way to answer with boxes.*Choose an LFM2\.5-VL model\.$/);
  });
});
