/**
 * The CLI's record of a background kv lab: `.perfloop/kv-lab.json` with the supervisor pid, its admin URL and
 * the members, so `perfloop lab kv stop|status|culprits` can find the lab an earlier `lab kv start` left running.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { badInput } from '../core/errors.js';

export const kvLabStateSchema = z.object({
  version: z.literal(1),
  supervisorPid: z.number().int().positive(),
  adminUrl: z.string().url(),
  leaderUrl: z.string().url(),
  members: z.array(z.object({ name: z.string(), pid: z.number().int(), clientUrl: z.string().url() })),
  baseDir: z.string(),
  logFile: z.string(),
  startedAt: z.string(),
});

export type KvLabState = z.infer<typeof kvLabStateSchema>;

export function kvLabStatePath(directory = process.cwd()): string {
  return join(directory, '.perfloop', 'kv-lab.json');
}

/** The state file's content, or undefined when there is none; a corrupt file is bad input naming it. */
export function readKvLabState(path = kvLabStatePath()): KvLabState | undefined {
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
    throw badInput(path, 'is not JSON; delete it if no kv lab is running');
  }
  const result = kvLabStateSchema.safeParse(parsed);
  if (!result.success) throw badInput(path, `is not a kv lab state file: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

export function writeKvLabState(state: KvLabState, path = kvLabStatePath()): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, path);
}

export function removeKvLabState(path = kvLabStatePath()): void {
  rmSync(path, { force: true });
}
