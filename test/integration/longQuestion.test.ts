/**
 * Issue 22, item 10: memory grew with the square of the question (a 19,990-character question
 * took 4.5 GB; 10,000 took 1.5 GB). The prompt is now prefilled in chunks (visionLanguageModel.ts,
 * PREFILL_CHUNK_TOKENS) and questions are limited in tokens. Through the real model code: the
 * tiny LFM2-VL, transformers.js, onnxruntime.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InterruptableStoppingCriteria } from '@huggingface/transformers';
import { decodeImage } from '../../src/imaging/images';
import { buildMessages } from '../../src/prompts/taskPrompts';
import { VisionLanguageModel } from '../../src/engine/vlm/visionLanguageModel';
import type { ChatTurn } from '../../src/protocol/engine';
import { MAX_QUESTION_TOKENS } from '../../src/protocol/engine';
import { resolveOptions } from '../../src/protocol/options';
import { imageFixture, repoRoot, tinyModelDir } from '../support/paths';

/** Prose of the given length: the README, repeated. */
const prose = (chars: number) => readFileSync(join(repoRoot, 'README.md'), 'utf8').repeat(20).slice(0, chars);

describe('long questions', () => {
  let vlm: VisionLanguageModel;
  before(async () => {
    vlm = await VisionLanguageModel.load(tinyModelDir, { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' });
  });
  after(() => vlm?.dispose());

  async function ask(question: string, history: ChatTurn[], chunk: number, reuse = false) {
    vlm.prefillChunk = chunk;
    const image = await decodeImage({ kind: 'path', path: imageFixture('screenshot-256x384.png') });
    const options = resolveOptions('fast', { maxNewTokens: 12, sampling: { temperature: 0 } });
    return vlm.generate(buildMessages({ task: 'question', question, history }), [image], options, () => undefined, new InterruptableStoppingCriteria(), reuse);
  }

  it('a prompt prefilled in chunks gives the tokens a single prefill gives', async () => {
    const question = prose(3_000);
    const whole = await ask(question, [], Number.POSITIVE_INFINITY);
    const chunked = await ask(question, [], 256);
    assert.ok(whole.promptTokens > 3 * 256, `${whole.promptTokens} prompt tokens: several chunks`);
    assert.equal(chunked.promptTokens, whole.promptTokens);
    assert.equal(chunked.text, whole.text);
    assert.ok(whole.text.length > 0);
  });

  it('a long follow-up continuing a conversation is chunked too, with the same answer', async () => {
    const first = await ask('What is this?', [], Number.POSITIVE_INFINITY, true);
    const history: ChatTurn[] = [
      { role: 'user', text: 'What is this?', task: 'question' },
      { role: 'assistant', text: first.text },
    ];
    const followUp = prose(2_000);
    const chunked = await ask(followUp, history, 200, true);
    assert.equal(chunked.cache, 'conversation');
    const whole = await ask(followUp, history, Number.POSITIVE_INFINITY, false);
    assert.equal(chunked.text, whole.text);
  });

  it('refuses a question over the token limit, naming it (exit 2), before any OCR or answer', async () => {
    // Within the character limit, but emoji take several tokens each.
    const run = await loupe(['ask', imageFixture('screenshot-256x384.png'), '🦜'.repeat(9_000), '--model', tinyModelDir]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`loupe: The question is [\\d,]+ tokens; Loupe takes up to ${MAX_QUESTION_TOKENS.toLocaleString('en')}\\. Shorten it\\.`));
    assert.doesNotMatch(run.stderr, /time to first token/);
  });

  it('a 20,000-character question stays under 1 GB, end to end through the CLI', { timeout: 120_000 }, async () => {
    const run = await loupe(['ask', imageFixture('grey.png'), prose(19_990), '--model', tinyModelDir, '--max-new-tokens', '4'], {
      NODE_OPTIONS: `--require ${join(repoRoot, 'test/support/reportMaxRss.cjs')}`,
    });
    assert.equal(run.code, 0, run.stderr);
    const peakMb = Number(/maxrss-kb (\d+)/.exec(run.stderr)?.[1]) / 1024;
    console.log(`peak RSS for a 19,990-character question (tiny model): ${peakMb.toFixed(0)} MB`);
    assert.ok(peakMb < 1024, `peak ${peakMb.toFixed(0)} MB`);
  });
});

function loupe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
