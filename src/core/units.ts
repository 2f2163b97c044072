/**
 * Units and their converters. Every quantity in perfloop carries its unit in its name
 * (`latencyUs`, `durationMs`, `ratePerSec`); these converters are the only place units change.
 */
import { badInput } from './errors.js';

/** Microseconds per millisecond, second. */
export const US_PER_MS = 1_000;
export const US_PER_SEC = 1_000_000;
export const MS_PER_SEC = 1_000;

export const msToUs = (ms: number): number => ms * US_PER_MS;
export const usToMs = (us: number): number => us / US_PER_MS;
export const secToMs = (sec: number): number => sec * MS_PER_SEC;
export const msToSec = (ms: number): number => ms / MS_PER_SEC;
export const secToUs = (sec: number): number => sec * US_PER_SEC;
export const usToSec = (us: number): number => us / US_PER_SEC;
export const nsToUs = (ns: bigint): number => Number(ns / 1000n) + Number(ns % 1000n) / 1000;

const DURATION_UNITS_MS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration such as `30s`, `250ms`, `1m30s`, `1.5h` into milliseconds.
 * A bare number is read as seconds (the k6/wrk convention). `field` names the input in errors.
 */
export function parseDurationMs(text: string | number, field: string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw badInput(field, `must be a non-negative number of seconds, got ${text}`);
    return secToMs(text);
  }
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return secToMs(Number(trimmed));
  const part = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/gy;
  let totalMs = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    const unitMs = DURATION_UNITS_MS[match[2] ?? ''];
    if (unitMs === undefined) break;
    totalMs += Number(match[1]) * unitMs;
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw badInput(field, `unparseable duration "${text}" (use e.g. 30s, 250ms, 1m30s)`);
  }
  return totalMs;
}

/** Formats microseconds for humans: 850µs, 12.3ms, 4.20s. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** Formats a rate per second: 1,234.5/s. */
export function formatRate(ratePerSec: number): string {
  return `${ratePerSec.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s`;
}
