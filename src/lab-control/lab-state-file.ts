/**
 * The CLI's record of a background lab: `.perfloop/lab.json` with the supervisor pid, URLs and fix set,
 * so `perfloop lab stop|status|explain|fixes` can find the lab started by an earlier `perfloop lab start`.
 */
import { z } from 'zod';
import { readStateFile, removeStateFile, statePathIn, writeStateFile } from './state-file.js';
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

export const labStatePath = (directory = process.cwd()): string => statePathIn('lab.json', directory);

/** The state file's content, or undefined when there is none; a corrupt file is bad input naming it. */
export const readLabState = (path = labStatePath()): LabState | undefined => readStateFile(path, labStateSchema, 'lab');

export const writeLabState = (state: LabState, path = labStatePath()): void => writeStateFile(path, state);

export const removeLabState = (path = labStatePath()): void => removeStateFile(path);
