/**
 * One catalogue of error codes. Every error the gateway throws on purpose is a GatewayError with a
 * stable `PGW_ERR_*` code, an HTTP status for the API and a context object (never secrets).
 * Modules add codes here; `test/shared/errors.test.ts` checks the catalogue is consistent.
 */
export const ERROR_CATALOGUE = {
  PGW_ERR_CONFIG_INVALID: { status: 500, title: 'Invalid configuration' },
  PGW_ERR_CONFIG_FILE: { status: 500, title: 'Configuration file unreadable' },
  PGW_ERR_INPUT_NOT_FOUND: { status: 404, title: 'Input not found' },
  PGW_ERR_INPUT_INVALID: { status: 422, title: 'Input is not valid media' },
  PGW_ERR_FFMPEG: { status: 500, title: 'Media process failed' },
  PGW_ERR_OUTPUT: { status: 500, title: 'Output could not be written' },
  PGW_ERR_FFMPEG_NOT_FOUND: { status: 500, title: 'ffmpeg not found' },
  PGW_ERR_MODEL_MISSING: { status: 500, title: 'Model file missing' },
  PGW_ERR_MODEL_INTEGRITY: { status: 500, title: 'Model file altered' },
  PGW_ERR_DETECTOR_FAILED: { status: 500, title: 'Detector failed' },
  PGW_ERR_BAD_REQUEST: { status: 400, title: 'Bad request' },
  PGW_ERR_VALIDATION: { status: 400, title: 'Request validation failed' },
  PGW_ERR_UNAUTHORIZED: { status: 401, title: 'Authentication required' },
  PGW_ERR_FORBIDDEN: { status: 403, title: 'Forbidden' },
  PGW_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  PGW_ERR_CONFLICT: { status: 409, title: 'Conflict' },
  PGW_ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  PGW_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  PGW_ERR_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  PGW_ERR_AUDIT_UNAVAILABLE: { status: 503, title: 'Audit log unavailable' },
  PGW_ERR_RETENTION_RULES_INVALID: { status: 422, title: 'Retention rules rejected' },
  PGW_ERR_HOLD_INVALID: { status: 422, title: 'Legal hold rejected' },
  PGW_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  PGW_ERR_VAULT_INTEGRITY: { status: 500, title: 'Original failed its integrity check' },
  PGW_ERR_VAULT_KEY_DESTROYED: { status: 410, title: 'Original was erased' },
  PGW_ERR_KEY_UNAVAILABLE: { status: 500, title: 'Key unavailable' },
  PGW_ERR_MFA_REQUIRED: { status: 403, title: 'Multi-factor authentication required' },
  PGW_ERR_GRANT_INVALID: { status: 403, title: 'No valid grant' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export type ErrorContext = Readonly<Record<string, unknown>>;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.context = context;
  }

  get title(): string {
    return ERROR_CATALOGUE[this.code].title;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** A one-line, human-readable description of any thrown value (for CLI output and logs). */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
