/**
 * The display unit for a latency axis: one unit per chart, chosen from the largest value, so tick labels
 * stay short numbers and the unit sits once in the axis title.
 */
import { US_PER_MS, US_PER_SEC } from '../../core/units.js';

export interface TimeUnit {
  symbol: 'µs' | 'ms' | 's';
  /** Microseconds per displayed unit. */
  usPerUnit: number;
}

export function timeUnitFor(maxUs: number): TimeUnit {
  if (maxUs >= 10 * US_PER_SEC) return { symbol: 's', usPerUnit: US_PER_SEC };
  if (maxUs >= 2 * US_PER_MS) return { symbol: 'ms', usPerUnit: US_PER_MS };
  return { symbol: 'µs', usPerUnit: 1 };
}

/** Tick label for a value already in the display unit: up to 3 significant digits, no exponent. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return Number(value.toFixed(digits)).toString();
}
