import type { EngineErrorInfo } from '../protocol/engine';
import { EngineError } from '../protocol/engineError';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Any error thrown while serving a job, as the typed error the host receives. */
export function toErrorInfo(error: unknown): EngineErrorInfo {
  if (error instanceof EngineError) return { code: error.code, message: error.message };
  return { code: 'ENGINE_FAILURE', message: `The engine failed: ${messageOf(error)}` };
}
