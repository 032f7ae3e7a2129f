import assert from 'node:assert/strict';
import { RemoteError } from '../../src/remote/remoteErrors';

/** The RemoteError a server call rejects with; fails the test if it resolves or throws anything else. */
export async function remoteError(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => assert.fail('expected a RemoteError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof RemoteError, `expected a RemoteError, got ${String(error)}`);
  return error;
}
