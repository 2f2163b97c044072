/**
 * The one-request scenario of `perfloop run URL --rate R --duration D`: the flag form of a scenario,
 * validated by the same schema (so errors name the flag).
 */
import { badInput, isPerfloopError } from '../core/errors.js';
import { parseDurationMs } from '../core/units.js';
import { MAX_DURATION_MS, MAX_INTERVALS } from './scenario-limits.js';
import { normalizeScenario, type Scenario } from './scenario.js';

export interface ScenarioFlags {
  ratePerSec?: number;
  /** Closed model instead of a rate: this many concurrent users. */
  users?: number;
  thinkTime?: string;
  duration?: string;
  warmup?: string;
  /** Arrival process for --rate: constant spacing (default) or Poisson. */
  arrival?: 'constant' | 'poisson';
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeout?: string;
  connections?: number;
  keepAlive?: boolean;
  expect?: number[];
  seed?: number;
}

export function scenarioFromUrl(url: string, flags: ScenarioFlags): Scenario {
  if (flags.ratePerSec !== undefined && flags.users !== undefined) throw badInput('--users', 'use either --rate (open model) or --users (closed model), not both');
  if (flags.thinkTime !== undefined && flags.users === undefined) {
    throw badInput('--think-time', 'only with --users (closed model): with --rate, arrivals follow the schedule and never wait for a response');
  }
  const duration = flags.duration ?? '10s';
  // The flag form has no --interval: long runs get longer intervals so the run stays within MAX_INTERVALS.
  const totalMs = parseDurationMs(duration, '--duration') + (flags.warmup ? parseDurationMs(flags.warmup, '--warmup') : 0);
  const intervalSec = totalMs <= MAX_DURATION_MS ? Math.max(1, Math.ceil(totalMs / MAX_INTERVALS / 1000)) : 1;
  const load =
    flags.users !== undefined
      ? { kind: 'closed', users: flags.users, thinkTime: flags.thinkTime ?? 0 }
      : { kind: flags.arrival ?? 'constant', rate: flags.ratePerSec ?? 100 };
  const phases = [
    ...(flags.warmup ? [{ ...load, name: 'warmup', duration: flags.warmup, warmup: true }] : []),
    { ...load, name: 'main', duration },
  ];
  const input = {
    requests: [
      {
        url,
        method: flags.method ?? 'GET',
        ...(flags.headers ? { headers: flags.headers } : {}),
        ...(flags.body !== undefined ? { body: flags.body } : {}),
        ...(flags.expect ? { expect: flags.expect } : {}),
      },
    ],
    phases,
    ...(intervalSec > 1 ? { interval: intervalSec } : {}),
    ...(flags.connections !== undefined ? { connections: flags.connections } : {}),
    ...(flags.keepAlive !== undefined ? { keepAlive: flags.keepAlive } : {}),
    ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  };
  try {
    return normalizeScenario(input, 'flags');
  } catch (error) {
    // Report the flag the user typed, not the scenario path it was turned into.
    if (isPerfloopError(error) && error.field) throw badInput(flagForField(error.field, flags.warmup !== undefined), error.message.slice(error.field.length + 2));
    throw error;
  }
}

const FLAG_FOR_KEY: Record<string, string> = {
  url: 'URL',
  rate: '--rate',
  users: '--users',
  thinkTime: '--think-time',
  duration: '--duration',
  timeout: '--timeout',
  connections: '--connections',
  method: '--method',
  expect: '--expect',
  interval: '--duration',
  phases: '--duration',
  body: '--body',
  headers: '--header',
};

function flagForField(field: string, hasWarmup: boolean): string {
  const key = field.split(/[.: ]/).filter(Boolean).pop() ?? '';
  if (hasWarmup && key === 'duration' && field.includes('phases.0.')) return '--warmup';
  return FLAG_FOR_KEY[key] ?? field;
}
