/**
 * Reading and writing run files (edge: touches the file system).
 * Writes are atomic (temp file + rename) so an interrupted write never leaves a truncated run file.
 */
import { readFile } from 'node:fs/promises';
import { badInput } from './errors.js';
import { writeFileAtomic } from './output-path.js';
import { runFileSchema, type RunFile } from './run-file.js';

/** Validates parsed JSON as a run file; errors name the file and the first offending field. */
export function parseRunFile(json: unknown, source: string): RunFile {
  const parsed = runFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw badInput(source, `not a valid perfloop run file: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export async function readRunFile(path: string): Promise<RunFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw badInput(path, `cannot read run file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badInput(path, 'not JSON');
  }
  return parseRunFile(json, path);
}

/** Writes JSON temp-then-rename; a failure removes the temp file and is an IO error naming the path. */
export const writeJsonAtomic = (path: string, value: unknown): Promise<void> => writeFileAtomic(path, JSON.stringify(value));

export const writeRunFile = (path: string, run: RunFile): Promise<void> => writeJsonAtomic(path, run);
