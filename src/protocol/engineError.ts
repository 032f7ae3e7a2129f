import type { ErrorCode } from './engine';

/**
 * An error with a code a caller can act on (see ERROR_CODES): thrown inside the engine, sent as
 * `{ code, message }`, and rejected with again by the engine client, so both sides share one type.
 */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
