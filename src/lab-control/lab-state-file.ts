/**
 * The CLI's record of a background lab: `.perfloop/lab.json` with the supervisor pid, URLs and fix set,
 * so `perfloop lab stop|status|explain|fixes` can find the lab started by an earlier `perfloop lab start`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { badInput } from '../core/errors.js';
import { FIX_NAMES } from './lab-problems.js';

export const labStateSchema = z.object({
  version: z.literal(1),
  supervisorPid: z.number().int().positive(),
  gatewayUrl: z.string().url(),
  serviceUrls: z.record(z.string().url()),
  pids: z.record(z.number().int()),
  fixes: z.array(z.enum(FIX_NAMES)),
  otlpEndpoint: z.string(),
  database: z.enum(['pglite', 'postgres']),
  logFile: z.string(),
  startedAt: z.string(),
});

export type LabState = z.infer<typeof labStateSchema>;

export function labStatePath(directory = process.cwd()): string {
  return join(directory, '.perfloop', 'lab.json');
}

/** The state file's content, or undefined when there is none; a corrupt file is bad input naming it. */
export function readLabState(path = labStatePath()): LabState | undefined {
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
    throw badInput(path, 'is not JSON; delete it if no lab is running');
  }
  const result = labStateSchema.safeParse(parsed);
  if (!result.success) throw badInput(path, `is not a lab state file: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

export function writeLabState(state: LabState, path = labStatePath()): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeLabState(path = labStatePath()): void {
  rmSync(path, { force: true });
}
