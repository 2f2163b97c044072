/**
 * Scales and tick choice for the server-side SVG charts: data value → pixel, plus readable tick values.
 */

export interface Tick {
  value: number;
  label: string;
}

export interface Scale {
  /** Data value → pixel. */
  toPx(value: number): number;
  readonly domain: readonly [number, number];
}

/** Linear map of [d0, d1] onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  return {
    domain,
    toPx: (value) => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0)),
  };
}

/** Log10 map of [d0, d1] (both > 0) onto [r0, r1]; values ≤ 0 clamp to d0. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const lo = Math.log10(Math.max(domain[0], Number.MIN_VALUE));
  const hi = Math.log10(Math.max(domain[1], domain[0] * 1.0001));
  const inner = linearScale([lo, hi], range);
  return { domain, toPx: (value) => inner.toPx(Math.log10(Math.max(value, domain[0]))) };
}

/** 1-2-5 "nice" step for about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** Nice linear tick values covering [min, max] (the axis is then stretched to the outer ticks). */
export function niceLinearTicks(min: number, max: number, count: number): number[] {
  const step = niceStep(max - min, count);
  const first = Math.floor(min / step) * step;
  const last = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Rounding to the step's precision avoids 0.30000000000000004-style labels.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let value = first; value <= last + step / 2; value += step) ticks.push(Number(value.toFixed(digits)));
  return ticks.length >= 2 ? ticks : [first, first + step];
}

/** 1-2-5 ticks per decade inside [min, max] for a log axis; thinned to 1 per decade when many. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  const lowDecade = Math.floor(Math.log10(Math.max(min, Number.MIN_VALUE)));
  const highDecade = Math.ceil(Math.log10(Math.max(max, min)));
  const multipliers = highDecade - lowDecade > 4 ? [1] : [1, 2, 5];
  for (let decade = lowDecade; decade <= highDecade; decade++) {
    for (const multiplier of multipliers) {
      const value = multiplier * 10 ** decade;
      if (value >= min * 0.9999 && value <= max * 1.0001) ticks.push(value);
    }
  }
  return ticks;
}

const NICE_MULTIPLIERS = [1, 2, 5, 10] as const;

/** Largest 1-2-5 value ≤ `value` (> 0). */
export function niceLogFloor(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  let best = magnitude;
  for (const multiplier of NICE_MULTIPLIERS) if (multiplier * magnitude <= value * 1.0001) best = multiplier * magnitude;
  return best;
}

/** Smallest 1-2-5 value ≥ `value` (> 0). */
export function niceLogCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const multiplier of NICE_MULTIPLIERS) if (multiplier * magnitude >= value * 0.9999) return multiplier * magnitude;
  return 10 * magnitude;
}
