/**
 * Where the generator's worst schedule lag came from. A send that leaves late was held up by one of: the
 * generator's garbage collector, another thread holding its CPU (run-queue wait), the hypervisor running
 * something else on its virtual CPU (steal), or the generator's own work — and only the first and the last are
 * the generator's doing. The interval with the largest lag is set beside what its threads measured there
 * (thread-stall-meter.ts); the largest explanation that covers at least half the lag is named.
 */
import type { Interval } from '../core/run-file.js';
import { formatUs } from '../core/units.js';

export type StallCause = 'garbage collection' | 'CPU contention' | 'host steal' | 'unexplained';

export interface StallAttribution {
  /** Start of the interval with the largest schedule lag, ms since the run's start. */
  atMs: number;
  lagMaxUs: number;
  gcMaxUs: number;
  runQueueWaitUs: number;
  stealUs: number;
  cause: StallCause;
}

/** Lag below this is within what timers and a busy machine always add: not worth naming a cause. */
export const NOTABLE_LAG_US = 1000;

/**
 * The worst interval's lag and what was measured beside it; undefined when no interval carries stalls. Each interval
 * comes with its schedule lag's maximum (the caller has the histograms decoded already).
 */
export function attributeWorstStall(intervals: readonly { interval: Interval; lagMaxUs: number }[]): StallAttribution | undefined {
  let worst: { interval: Interval; lagMaxUs: number } | undefined;
  for (const candidate of intervals) {
    if (!candidate.interval.generatorStalls) continue;
    if (!worst || candidate.lagMaxUs > worst.lagMaxUs) worst = candidate;
  }
  const stalls = worst?.interval.generatorStalls;
  if (!worst || !stalls) return undefined;
  const explanations: [StallCause, number][] = [
    ['garbage collection', stalls.gcMaxUs],
    ['CPU contention', stalls.runQueueWaitUs],
    ['host steal', stalls.stealUs],
  ];
  const [largest] = explanations.sort((a, b) => b[1] - a[1]);
  const cause = largest && largest[1] >= worst.lagMaxUs / 2 ? largest[0] : 'unexplained';
  return { atMs: worst.interval.startMs, lagMaxUs: worst.lagMaxUs, ...stalls, cause };
}

const CAUSE_MEANING: Record<StallCause, string> = {
  'garbage collection': "the generator's own garbage collector",
  'CPU contention': "another thread held the generator's CPU: another process, or perfloop's own main thread when the whole process is pinned to one core; leave the generator a core of its own or use --priority realtime",
  'host steal': 'the hypervisor ran something else on its virtual CPU — the machine, not the generator or the target',
  unexplained: "the generator's own work, or a stall it cannot see",
};

export function describeStall(stall: StallAttribution): string {
  return `the worst schedule lag (${formatUs(stall.lagMaxUs)}, in the interval at ${(stall.atMs / 1000).toFixed(1)} s) came with GC max ${formatUs(stall.gcMaxUs)}, ${formatUs(stall.runQueueWaitUs)} waiting for a CPU, ${formatUs(stall.stealUs)} host steal: most likely ${stall.cause} (${CAUSE_MEANING[stall.cause]})`;
}
