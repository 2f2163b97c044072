/**
 * Documented limits on what a scenario (file or flags) may ask for, checked before any work starts. Each
 * bounds a resource the run would otherwise grow without bound: memory for the schedule and the per-interval
 * histograms, threads, sockets. The README's "Limits" table lists them; errors name the field and the limit.
 */
import { availableParallelism } from 'node:os';
import { badInput } from '../core/errors.js';

/** Open-model arrival rate of one phase, requests per second (all workers together). */
export const MAX_RATE_PER_SEC = 1_000_000;
/** One phase, and all phases together. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;
/** Intervals in a run (total duration ÷ interval): each holds histograms in memory and in the run file. */
export const MAX_INTERVALS = 100_000;
/** Reporting interval bounds. */
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;
/** Per-request timeout and closed-model think time. */
export const MAX_TIMEOUT_MS = 3_600_000;
export const MAX_THINK_TIME_MS = 3_600_000;
/** Connections per origin per worker. */
export const MAX_CONNECTIONS = 10_000;
/** Closed-model concurrent users. */
export const MAX_USERS = 100_000;
/** Request body, bytes (UTF-8). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** All header names and values of one request together, bytes. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Distinct requests in one scenario. */
export const MAX_REQUESTS = 10_000;
/** Generator threads: never more than 64, nor more than 4 per CPU core (at least 4). */
export const MAX_WORKERS_CAP = 64;

/** The worker limit on this machine: min(64, max(4, 4 × cores)). */
export const maxWorkers = (cores: number = availableParallelism()): number => Math.min(MAX_WORKERS_CAP, Math.max(4, 4 * cores));

/** 1234567 → "1,234,567". */
export const formatLimit = (value: number): string => value.toLocaleString('en-US');

/** A duration for messages: 604800000 → "168h (7 days)", 3600000 → "1h", 100 → "100ms". */
export function formatLimitMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 3_600_000}h (${ms / 86_400_000} days)`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Checks a worker count against `maxWorkers()`; `field` names the flag in the error. */
export function checkWorkers(workers: number, field: string, cores: number = availableParallelism()): number {
  const limit = maxWorkers(cores);
  if (workers > limit) throw badInput(field, `at most ${limit} (4 per CPU core, ${cores} cores here, never more than ${MAX_WORKERS_CAP}), got ${workers}`);
  return workers;
}
