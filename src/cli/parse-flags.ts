/**
 * Flag parsing on top of node:util parseArgs, with errors that name the flag (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { badInput } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<T extends Options>(argv: string[], options: T, commandName: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const flag = /'(-{1,2}[\w-]+)/.exec(message)?.[1] ?? commandName;
    throw badInput(flag, message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** Parses a positive number flag; names the flag in the error. */
export function positiveNumber(value: string | undefined, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw badInput(flag, 'is required');
    return fallback;
  }
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw badInput(flag, `must be a positive number, got "${value}"`);
  return parsed;
}

export function positiveInteger(value: string | undefined, flag: string, fallback?: number): number {
  const parsed = positiveNumber(value, flag, fallback);
  if (!Number.isInteger(parsed)) throw badInput(flag, `must be a positive integer, got "${value}"`);
  return parsed;
}
