/**
 * One error type for everything the model store can refuse, with a code callers branch on
 * (the CLI maps codes to exit statuses, the extension to buttons). Messages name the model,
 * file or host involved and say what to do next, in plain words; error codes, URLs and hashes
 * that help someone debug go in `details`, shown on request.
 */
export const MODEL_ERROR_CODES = [
  'MANIFEST_INVALID',
  'UNKNOWN_MODEL',
  'LICENSE_NOT_ACCEPTED',
  'HUB_NOT_FOUND',
  'HUB_UNAUTHORIZED',
  'HUB_HTTP',
  'HOST_NOT_ALLOWED',
  'NETWORK',
  'CHECKSUM_MISMATCH',
  'MISSING_FILES',
  'UNPROVEN_PRECISION',
  'NO_SPACE',
  'LOCKED',
  'CANCELLED',
  'INVALID_MODEL',
  'NOT_INSTALLED',
] as const;
export type ModelErrorCode = (typeof MODEL_ERROR_CODES)[number];

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  /** The HTTP status behind HUB_* errors. */
  readonly status?: number;
  /** The technical account (request, error codes, proxy), secrets removed: for "Show details", never the message. */
  readonly details?: string;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown; status?: number; details?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelError';
    this.code = code;
    this.status = options?.status;
    this.details = options?.details;
  }
}

export function isModelError(error: unknown, code?: ModelErrorCode): error is ModelError {
  return error instanceof ModelError && (code === undefined || error.code === code);
}
