/**
 * Flag parsing on top of node:util parseArgs, with errors that name the flag (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { badInput } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `--rate -5` → `--rate=-5`, so a negative number reaches validation (and its clear message). */
function attachNegativeValues(argv: readonly string[], options: Options): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] ?? '';
    const next = argv[index + 1];
    const option = token.startsWith('--') ? options[token.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${token}=${next}`);
      index++;
    } else joined.push(token);
  }
  return joined;
}

export function parseFlags<T extends Options>(argv: string[], options: T, commandName: string) {
  try {
    return parseArgs({ args: attachNegativeValues(argv, options), options, allowPositionals: true, strict: true });
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
