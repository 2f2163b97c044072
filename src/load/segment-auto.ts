/**
 * `--segment auto`: this process's share of the schedule from the environment of a Kubernetes Indexed
 * Job. Kubernetes sets JOB_COMPLETION_INDEX (0-based) in every pod of an Indexed Job; the count is not
 * exposed to the pod, so the manifest sets PERFLOOP_SEGMENT_COUNT to the Job's `completions`.
 */
import { badInput } from '../core/errors.js';
import type { Segment } from './arrival-schedule.js';

export const INDEX_VARIABLE = 'JOB_COMPLETION_INDEX';
export const COUNT_VARIABLE = 'PERFLOOP_SEGMENT_COUNT';

/** Upper bound on segments: far above any real Job, low enough to catch a pasted timestamp. */
export const MAX_SEGMENT_COUNT = 10_000;

function integerVariable(env: NodeJS.ProcessEnv, name: string, hint: string): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') throw badInput(`--segment auto: ${name}`, `is not set (${hint})`);
  if (!/^\d+$/.test(text.trim())) throw badInput(`--segment auto: ${name}`, `must be a non-negative integer, got "${text}"`);
  return Number(text.trim());
}

/** The segment (0-based index) named by the environment; exit-2 errors name the variable at fault. */
export function segmentFromEnvironment(env: NodeJS.ProcessEnv): Segment {
  const index = integerVariable(env, INDEX_VARIABLE, 'Kubernetes sets it in the pods of an Indexed Job: completionMode: Indexed');
  const count = integerVariable(env, COUNT_VARIABLE, "set it to the Job's completions in the pod's env");
  if (count < 1 || count > MAX_SEGMENT_COUNT) throw badInput(`--segment auto: ${COUNT_VARIABLE}`, `must be between 1 and ${MAX_SEGMENT_COUNT}, got ${count}`);
  if (index >= count) throw badInput(`--segment auto: ${INDEX_VARIABLE}`, `${index} is out of range for ${COUNT_VARIABLE}=${count} (0..${count - 1})`);
  return { index, count };
}
