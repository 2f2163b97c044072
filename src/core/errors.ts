/**
 * Typed errors with stable codes. The CLI maps codes to exit statuses:
 * BAD_INPUT → 2, BUDGET_FAILED → 1; anything else is a bug and exits 3.
 */
export type ErrorCode = 'BAD_INPUT' | 'BUDGET_FAILED' | 'IO' | 'LAB';

export class PerfloopError extends Error {
  override readonly name = 'PerfloopError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field (config key, flag, file) at fault, when there is one. */
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** Bad user input: names the field so the user knows exactly what to change. */
export function badInput(field: string, message: string): PerfloopError {
  return new PerfloopError('BAD_INPUT', message, field);
}

export function isPerfloopError(error: unknown): error is PerfloopError {
  return error instanceof PerfloopError;
}

/** Exit status for an error: the contract scripts and CI rely on. */
export function exitCodeFor(error: unknown): number {
  if (!isPerfloopError(error)) return 3;
  switch (error.code) {
    case 'BAD_INPUT':
      return 2;
    case 'BUDGET_FAILED':
      return 1;
    default:
      return 3;
  }
}
