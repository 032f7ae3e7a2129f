import type { EngineErrorInfo, ErrorCode } from '../protocol/engine';

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

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Any error thrown while serving a job, as the typed error the host receives. */
export function toErrorInfo(error: unknown): EngineErrorInfo {
  if (error instanceof EngineFailure) return { code: error.code, message: error.message };
  return { code: 'ENGINE_FAILURE', message: `The engine failed: ${messageOf(error)}` };
}
