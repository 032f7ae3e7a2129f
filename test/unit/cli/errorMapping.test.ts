import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeFor } from '../../../src/cli/engineSession';
import { toErrorInfo } from '../../../src/engine/engineFailure';
import { ImageInputError } from '../../../src/imaging/images';
import { EngineError } from '../../../src/protocol/engineError';

describe('engine error mapping', () => {
  it('keeps the code of a typed engine failure', () => {
    assert.deepEqual(toErrorInfo(new EngineError('INSUFFICIENT_MEMORY', 'needs 2 GB')), { code: 'INSUFFICIENT_MEMORY', message: 'needs 2 GB' });
  });

  it('reports image problems as BAD_INPUT with the original message', () => {
    const info = toErrorInfo(new ImageInputError('shot.png', 'shot.png is empty (0 bytes).'));
    assert.equal(info.code, 'BAD_INPUT');
    assert.match(info.message, /shot\.png/);
  });

  it('wraps anything else as ENGINE_FAILURE, keeping the cause', () => {
    assert.deepEqual(toErrorInfo(new TypeError('x is undefined')), { code: 'ENGINE_FAILURE', message: 'The engine failed: x is undefined' });
    assert.equal(toErrorInfo('plain string').code, 'ENGINE_FAILURE');
  });
});

describe('CLI exit codes', () => {
  it('2 for bad input and a missing model, 1 for engine failures', () => {
    assert.equal(exitCodeFor(new EngineError('BAD_INPUT', '')), 2);
    assert.equal(exitCodeFor(new EngineError('MODEL_MISSING', '')), 2);
    for (const code of ['MODEL_LOAD_FAILED', 'INSUFFICIENT_MEMORY', 'ENGINE_CRASHED', 'ENGINE_FAILURE', 'CANCELLED'] as const) {
      assert.equal(exitCodeFor(new EngineError(code, '')), 1, code);
    }
    assert.equal(exitCodeFor(new Error('boom')), 1);
  });
});
