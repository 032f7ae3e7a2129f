import type { ErrorCode } from '../protocol/engine';

/** An error the engine reports with a code the host can act on (see ERROR_CODES). */
export class EngineFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineFailure';
  }
}
