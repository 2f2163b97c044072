/**
 * Typed errors with stable codes. The CLI maps codes to exit statuses:
 * BAD_INPUT → 2, BUDGET_FAILED → 1, IO → 4 (a file or directory that cannot be written or read: the
 * message names the path); anything else is a bug and exits 3.
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

/**
 * A file-system failure on a path the user gave (or a default one): names the path and says why in words,
 * e.g. `ioError('out/run.json', 'directory "out" does not exist')`. Exit status 4.
 */
export function ioError(path: string, message: string): PerfloopError {
  return new PerfloopError('IO', message, path);
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
    case 'IO':
      return 4;
    default:
      return 3;
  }
}
