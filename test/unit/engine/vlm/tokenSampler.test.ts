import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor } from '@huggingface/transformers';
import { applyRepetitionPenalty, drawIndex, minPWeights, resolveSampling, seededRandom, TokenSampler } from '../../../../src/engine/vlm/tokenSampler';

function softmax(logits: number[], temperature: number): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp((l - max) / temperature));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

describe('token sampler', () => {
  it('min-p keeps exactly the tokens at or above min_p times the top probability', () => {
    const logits = [2.0, 1.2, 0.3, -1.0, 1.9, -4.0, 0.0];
    for (const temperature of [0.1, 0.7, 1.0, 1.5]) {
      for (const minP of [0, 0.05, 0.15, 0.5, 1]) {
        const probabilities = softmax(logits, temperature);
        const top = Math.max(...probabilities);
        const expected = probabilities.map((p, i) => (p >= minP * top * (1 - 1e-12) ? i : -1)).filter((i) => i >= 0);
        const weights = minPWeights(Float32Array.from(logits), temperature, minP);
        const kept = [...weights].map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0);
        assert.deepEqual(kept, expected, `temperature ${temperature}, min_p ${minP}`);
        // What is kept keeps its relative probability.
        for (const i of kept) assert.ok(Math.abs(weights[i]! - probabilities[i]! / top) < 1e-5);
      }
    }
  });

  it('the repetition penalty divides positive and multiplies negative logits of every token seen, once each', () => {
    const logits = Float32Array.from([2, -2, 3, -0.5, 0]);
    applyRepetitionPenalty(logits, [0n, 1n, 1n, 4n, 0n], 1.25);
    assert.deepEqual([...logits], [2 / 1.25, -2 * 1.25, 3, -0.5, 0].map(Math.fround));
    const untouched = Float32Array.from([1, -1]);
    applyRepetitionPenalty(untouched, [0, 1], 1);
    assert.deepEqual([...untouched], [1, -1]);
  });

  it('the same seed draws the same tokens; another seed, others', () => {
    const weights = Float64Array.from({ length: 50 }, (_, i) => 1 / (i + 1));
    const draws = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 40 }, () => drawIndex(weights, random));
    };
    assert.deepEqual(draws(7), draws(7));
    assert.notDeepEqual(draws(7), draws(8));
    // Over many draws the frequencies follow the weights (index 0 weighs twice index 1).
    const random = seededRandom(1);
    const counts = new Array<number>(50).fill(0);
    for (let i = 0; i < 20_000; i++) counts[drawIndex(weights, random)]!++;
    assert.ok(Math.abs(counts[0]! / counts[1]! - 2) < 0.2, `${counts[0]} / ${counts[1]}`);
    assert.equal(drawIndex(Float64Array.from([0, 0, 3, 0]), random), 2, 'only a kept token can be drawn');
  });

  it('as a logits processor: leaves only the drawn token standing, or the penalised logits when greedy', () => {
    const logits = () => new Tensor('float32', Float32Array.from([0.5, 2.0, 1.9, -3]), [1, 4]);
    const sampled = new TokenSampler({ temperature: 1, minP: 0.5, repetitionPenalty: 1, seed: 3 })._call([[0n]], logits());
    const data = [...(sampled.data as Float32Array)];
    assert.equal(data.filter((v) => v === 0).length, 1);
    assert.ok([1, 2].includes(data.indexOf(0)), 'min-p removed the unlikely tokens');
    const greedy = new TokenSampler({ temperature: 0, minP: 0.15, repetitionPenalty: 2, seed: 0 })._call([[1n]], logits());
    assert.deepEqual([...(greedy.data as Float32Array)], [0.5, 1.0, 1.9, -3].map(Math.fround), 'the penalty still applies; the greedy sampler takes the argmax');
  });

  it("resolves the model card's sampling with the request's overrides and a fixed default seed", () => {
    const card = { temperature: 0.1, minP: 0.15, repetitionPenalty: 1.05 };
    assert.deepEqual(resolveSampling(card, {}), { ...card, seed: 0 });
    assert.deepEqual(resolveSampling(card, { temperature: 0, seed: 9 }), { ...card, temperature: 0, seed: 9 });
  });
});
