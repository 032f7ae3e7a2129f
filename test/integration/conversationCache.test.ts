/**
 * The conversation cache through the real model code (transformers.js, onnxruntime, the tiny
 * LFM2-VL): a follow-up reuses the first question's decoder state and gives exactly the tokens a
 * full recomputation gives; nothing is reused across images or presets; a new task on the same
 * image reuses its vision features.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InterruptableStoppingCriteria } from '@huggingface/transformers';
import { decodeImage } from '../../src/imaging/images';
import { buildMessages } from '../../src/prompts/taskPrompts';
import { VisionLanguageModel } from '../../src/engine/vlm/visionLanguageModel';
import type { ChatTurn } from '../../src/protocol/engine';
import { resolveOptions, type PresetName } from '../../src/protocol/options';
import { imageFixture, tinyModelDir } from '../support/paths';

describe('conversation cache', () => {
  let vlm: VisionLanguageModel;
  const screenshot = () => decodeImage({ kind: 'path', path: imageFixture('screenshot-256x384.png') });
  const chart = () => decodeImage({ kind: 'path', path: imageFixture('chart.png') });

  before(async () => {
    vlm = await VisionLanguageModel.load(tinyModelDir, { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' });
  });
  after(() => vlm?.dispose());

  async function ask(image: Awaited<ReturnType<typeof screenshot>>, question: string, history: ChatTurn[], preset: PresetName = 'fast', reuse = true, task: 'question' | 'alt-text' = 'question') {
    const messages = buildMessages({ task, question, history });
    return vlm.generate(messages, [image], resolveOptions(preset, { maxNewTokens: 24 }), () => undefined, new InterruptableStoppingCriteria(), reuse);
  }

  it('a follow-up reuses the conversation and gives the same tokens as recomputing it', async () => {
    const image = await screenshot();
    const first = await ask(image, 'What is this?', []);
    assert.equal(first.cache, 'none');
    const history: ChatTurn[] = [
      { role: 'user', text: 'What is this?', task: 'question' },
      { role: 'assistant', text: first.text },
    ];
    const cached = await ask(image, 'And what does the title say?', history);
    assert.equal(cached.cache, 'conversation');

    assert.equal((await ask(image, 'What is this?', [])).text, first.text, 'greedy: the same first answer');
    const recomputed = await ask(image, 'And what does the title say?', history, 'fast', false);
    assert.equal(recomputed.cache, 'none');
    assert.equal(cached.promptTokens, recomputed.promptTokens);
    assert.equal(cached.text, recomputed.text);
    assert.ok(cached.text.length > 0);
  });

  it('is not used across images or presets; a new task on the same image reuses its vision features', async () => {
    const image = await screenshot();
    const first = await ask(image, 'What is this?', []);
    const history: ChatTurn[] = [
      { role: 'user', text: 'What is this?', task: 'question' },
      { role: 'assistant', text: first.text },
    ];
    assert.equal((await ask(await chart(), 'And the title?', history)).cache, 'none', 'another image');
    await ask(image, 'What is this?', []);
    assert.equal((await ask(image, 'And the title?', history, 'balanced')).cache, 'none', 'another preset');
    await ask(image, 'What is this?', []);
    assert.equal((await ask(image, '', [], 'fast', true, 'alt-text')).cache, 'vision', 'a second task on the same image');
  });
});
