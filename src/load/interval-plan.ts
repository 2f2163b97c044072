/**
 * The interval grid of a run: fixed-length intervals laid out phase by phase (a phase's last interval
 * may be shorter), so every interval belongs to exactly one phase and warm-up splits cleanly.
 */
import type { Phase } from './scenario.js';

export interface PlannedInterval {
  startMs: number;
  durationMs: number;
  phase: string;
  warmup: boolean;
}

export function planIntervals(phases: readonly Phase[], intervalMs: number): PlannedInterval[] {
  const plan: PlannedInterval[] = [];
  let phaseStartMs = 0;
  for (const phase of phases) {
    for (let offsetMs = 0; offsetMs < phase.durationMs; offsetMs += intervalMs) {
      plan.push({ startMs: phaseStartMs + offsetMs, durationMs: Math.min(intervalMs, phase.durationMs - offsetMs), phase: phase.name, warmup: phase.warmup });
    }
    phaseStartMs += phase.durationMs;
  }
  return plan;
}

/** Index of the interval containing `atMs`; times past the end fall into the last interval. */
export function intervalIndexAt(plan: readonly PlannedInterval[], atMs: number): number {
  let low = 0;
  let high = plan.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((plan[middle]?.startMs ?? Infinity) <= atMs) low = middle;
    else high = middle - 1;
  }
  return Math.max(0, low);
}
