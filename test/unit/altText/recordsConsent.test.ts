import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordsAction, type RecordsState } from '../../../src/altText/recordsConsent';

describe('when the editor writes .loupe/alt-text.json', () => {
  const state = (overrides: Partial<RecordsState>): RecordsState => ({ enabled: true, setInWorkspace: false, fileExists: false, ...overrides });

  it('asks before creating the file, and writes at once where it exists', () => {
    assert.equal(recordsAction(state({})), 'ask');
    assert.equal(recordsAction(state({ fileExists: true })), 'write');
  });

  it('follows the answer: Create writes from then on (also after the file was deleted), Not in This Workspace never writes', () => {
    assert.equal(recordsAction(state({ answer: 'create' })), 'write');
    assert.equal(recordsAction(state({ answer: 'declined' })), 'skip');
    assert.equal(recordsAction(state({ answer: 'declined', fileExists: true })), 'write', 'a file a teammate committed is kept up to date: the answer was about creating one');
  });

  it('the setting off writes nothing; the setting made in the workspace wins over the answer', () => {
    assert.equal(recordsAction(state({ enabled: false, fileExists: true, answer: 'create' })), 'skip');
    assert.equal(recordsAction(state({ setInWorkspace: true, answer: 'declined' })), 'write', 'turning it back on after Not in This Workspace');
    assert.equal(recordsAction(state({ setInWorkspace: true })), 'write', 'an explicit choice in the workspace is not asked again');
  });
});
