/**
 * A background lab's state file under `.perfloop/` (the supervisor pid, URLs, switches), so a later CLI call
 * can find the lab an earlier `start` left running. One reader and writer for every lab kind, each with its
 * own zod schema: a missing file is "no lab", a corrupt one is bad input naming it, writes are temp-then-rename.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import { badInput } from '../core/errors.js';

export const statePathIn = (fileName: string, directory = process.cwd()): string => join(directory, '.perfloop', fileName);

/** The state file's content, or undefined when there is none. `what` names the lab in messages ("kv lab"). */
export function readStateFile<T>(path: string, schema: z.ZodType<T>, what: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badInput(path, `is not JSON; delete it if no ${what} is running`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw badInput(path, `is not a ${what} state file: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

export function writeStateFile(path: string, state: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, path);
}

export function removeStateFile(path: string): void {
  rmSync(path, { force: true });
}
