/**
 * The percentile spectrum (HdrHistogram's "percentile distribution" plot): latency against percentile
 * on an axis where each tick adds a nine — 0, 90, 99, 99.9, 99.99 — i.e. x = log10(1 / (1 − p/100)).
 */
import type { LatencyHistogram } from '../../histogram/latency-histogram.js';

export interface SpectrumPoint {
  percentile: number;
  /** Position on the "nines" axis: log10(1 / (1 − p/100)); 0 at p0, 4 at p99.99. */
  ninesX: number;
  valueUs: number;
}

/** Highest percentile plotted: beyond four nines a 10-minute run rarely has the samples to say anything. */
export const MAX_NINES = 4;
const STEPS_PER_NINE = 20;

export const ninesOf = (percentile: number): number => Math.log10(1 / (1 - percentile / 100));
export const percentileOfNines = (nines: number): number => Number((100 - 100 * 10 ** -nines).toFixed(6));

/** Ticks of the nines axis, labelled as percentiles. */
export const NINES_TICKS: readonly { value: number; label: string }[] = [
  { value: 0, label: '0%' },
  { value: 1, label: '90%' },
  { value: 2, label: '99%' },
  { value: 3, label: '99.9%' },
  { value: 4, label: '99.99%' },
];

export function spectrumOf(histogram: LatencyHistogram): SpectrumPoint[] {
  if (histogram.count === 0) return [];
  const points: SpectrumPoint[] = [];
  for (let step = 0; step <= MAX_NINES * STEPS_PER_NINE; step++) {
    const nines = step / STEPS_PER_NINE;
    const percentile = percentileOfNines(nines);
    points.push({ percentile, ninesX: nines, valueUs: histogram.percentileUs(percentile) });
  }
  return points;
}
