import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRESETS, resolveOptions } from '../../../src/protocol/options';

describe('resolveOptions', () => {
  it('fast is one tile with at most 256 image tokens', () => {
    const fast = resolveOptions('fast');
    assert.equal(fast.vision.doImageSplitting, false);
    assert.ok(fast.vision.maxImageTokens <= 256);
  });

  it('presets grow in detail', () => {
    assert.ok(PRESETS.fast.vision.maxTiles < PRESETS.balanced.vision.maxTiles);
    assert.ok(PRESETS.balanced.vision.maxTiles < PRESETS.detailed.vision.maxTiles);
    assert.ok(PRESETS.fast.maxNewTokens < PRESETS.detailed.maxNewTokens);
  });

  it('applies overrides on top of a preset', () => {
    const options = resolveOptions('balanced', { maxNewTokens: 7, vision: { maxTiles: 2 }, sampling: { temperature: 0.7, seed: 3 } });
    assert.equal(options.maxNewTokens, 7);
    assert.equal(options.vision.maxTiles, 2);
    assert.equal(options.vision.doImageSplitting, true);
    assert.deepEqual(options.sampling, { temperature: 0.7, seed: 3 });
    assert.deepEqual(resolveOptions('fast').sampling, {}, "presets leave sampling to the model card's recommendation");
  });

  it('caps alt text answers on every preset, unless a length is asked for explicitly', () => {
    for (const preset of ['fast', 'balanced', 'detailed'] as const) {
      assert.equal(resolveOptions(preset, {}, 'alt-text').maxNewTokens, 64, preset);
      assert.equal(resolveOptions(preset, {}, 'describe-diagram').maxNewTokens, PRESETS[preset].maxNewTokens, preset);
    }
    assert.equal(resolveOptions('balanced', { maxNewTokens: 200 }, 'alt-text').maxNewTokens, 200);
  });

  it('rejects values out of range with a message naming the field', () => {
    assert.throws(() => resolveOptions('fast', { maxNewTokens: 0 }), /maxNewTokens/);
    assert.throws(() => resolveOptions('fast', { sampling: { temperature: 2.5 } }), /temperature/);
    assert.throws(() => resolveOptions('fast', { sampling: { minP: -0.1 } }), /minP/);
    assert.throws(() => resolveOptions('fast', { sampling: { repetitionPenalty: 0.9 } }), /repetitionPenalty/);
    assert.throws(() => resolveOptions('fast', { sampling: { seed: 1.5 } }), /seed/);
    assert.throws(() => resolveOptions('fast', { vision: { maxImageTokens: 64, minImageTokens: 128 } }), /minImageTokens/);
    assert.throws(() => resolveOptions('fast', { vision: { maxImageTokens: 256, minImageTokens: 256 } }), /at most half/);
  });
});
