/** Scenario files (edge): telling a file target from a URL, and reading one with errors that name it. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { badInput } from '../core/errors.js';
import { parseScenarioText, type Scenario } from './scenario.js';

/** A target is a scenario file when it looks like one (.yaml/.yml/.json) or exists on disk and is not a URL. */
export const isScenarioFile = (target: string): boolean => /\.(ya?ml|json)$/i.test(target) || (existsSync(target) && !/^https?:/i.test(target));

export async function readScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw badInput(path, 'cannot read scenario file');
  }
  return parseScenarioText(text, path, dirname(path));
}
