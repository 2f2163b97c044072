/**
 * The CLI's record of a background kv lab: `.perfloop/kv-lab.json` with the supervisor pid, its admin URL and
 * the members, so `perfloop lab kv stop|status|culprits` can find the lab an earlier `lab kv start` left running.
 */
import { z } from 'zod';
import { readStateFile, removeStateFile, statePathIn, writeStateFile } from './state-file.js';

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

export const kvLabStatePath = (directory = process.cwd()): string => statePathIn('kv-lab.json', directory);

/** The state file's content, or undefined when there is none; a corrupt file is bad input naming it. */
export const readKvLabState = (path = kvLabStatePath()): KvLabState | undefined => readStateFile(path, kvLabStateSchema, 'kv lab');

export const writeKvLabState = (state: KvLabState, path = kvLabStatePath()): void => writeStateFile(path, state);

export const removeKvLabState = (path = kvLabStatePath()): void => removeStateFile(path);
