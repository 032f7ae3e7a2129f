import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineEventSchema, EngineRequestSchema } from '../../../src/protocol/engine';
import { resolveOptions } from '../../../src/protocol/options';

const generate = {
  type: 'generate',
  id: 'j1',
  modelDir: '/m',
  task: 'question',
  question: 'q',
  image: { kind: 'path', path: '/x.png' },
  options: resolveOptions('fast'),
};

describe('engine protocol validation', () => {
  it('accepts a well-formed generate request and fills defaults', () => {
    const parsed = EngineRequestSchema.parse(generate);
    assert.equal(parsed.type, 'generate');
    if (parsed.type !== 'generate') return;
    assert.deepEqual(parsed.history, []);
    assert.equal(parsed.ocrGrounding, false);
  });

  it('accepts image bytes as a Uint8Array only', () => {
    assert.ok(EngineRequestSchema.safeParse({ ...generate, image: { kind: 'bytes', name: 'p.png', bytes: new Uint8Array(3) } }).success);
    assert.ok(!EngineRequestSchema.safeParse({ ...generate, image: { kind: 'bytes', name: 'p.png', bytes: 'AAAA' } }).success);
  });

  it('rejects unknown tasks, missing ids, bad options and unknown message types', () => {
    for (const bad of [
      { ...generate, task: 'rm -rf' },
      { ...generate, id: '' },
      { ...generate, options: { ...generate.options, maxNewTokens: -1 } },
      { ...generate, image: { kind: 'url', url: 'http://x' } },
      { type: 'eval', code: '1' },
      null,
      'generate',
    ]) {
      assert.equal(EngineRequestSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  it('validates engine events', () => {
    assert.ok(EngineEventSchema.safeParse({ type: 'token', id: 'j', index: 1, text: 'a' }).success);
    assert.ok(!EngineEventSchema.safeParse({ type: 'token', id: 'j', index: 1.5, text: 'a' }).success);
    assert.ok(!EngineEventSchema.safeParse({ type: 'error', error: { code: 'WHATEVER', message: 'x' } }).success);
  });
});
