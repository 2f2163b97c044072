/** Reads and validates a budget file (edge): bad input names the file and the line at fault. */
import { readFile } from 'node:fs/promises';
import { badInput } from '../core/errors.js';
import { parseBudgetText } from './budget-file.js';
import type { Budget } from './budget-file.js';

export async function readBudgetFile(path: string): Promise<Budget> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw badInput(path, `cannot read budget file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseBudgetText(text, path);
}
