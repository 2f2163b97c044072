/**
 * The interval grid of a run: fixed-length intervals laid out phase by phase (a phase's last interval
 * may be shorter), so every interval belongs to exactly one phase and warm-up splits cleanly. Computed on
 * demand, never laid out in full: a week-long run costs no more memory than a minute.
 */
import type { Phase } from './scenario.js';

export interface PlannedInterval {
  startMs: number;
  durationMs: number;
  phase: string;
  warmup: boolean;
}

interface PhaseSpan {
  phase: Phase;
  startMs: number;
  firstIndex: number;
  count: number;
}

export class IntervalGrid {
  private readonly spans: PhaseSpan[] = [];
  readonly length: number;

  constructor(
    phases: readonly Phase[],
    readonly intervalMs: number,
  ) {
    let startMs = 0;
    let firstIndex = 0;
    for (const phase of phases) {
      const count = Math.ceil(phase.durationMs / intervalMs);
      this.spans.push({ phase, startMs, firstIndex, count });
      startMs += phase.durationMs;
      firstIndex += count;
    }
    this.length = firstIndex;
  }

  private spanOfIndex(index: number): PhaseSpan | undefined {
    let found: PhaseSpan | undefined;
    for (const span of this.spans) if (span.count > 0 && span.firstIndex <= index) found = span;
    return found;
  }

  /** Interval `index`, 0 ≤ index < length. */
  at(index: number): PlannedInterval | undefined {
    const span = this.spanOfIndex(index);
    if (!span || index >= this.length || index < 0) return undefined;
    const offsetMs = (index - span.firstIndex) * this.intervalMs;
    return { startMs: span.startMs + offsetMs, durationMs: Math.min(this.intervalMs, span.phase.durationMs - offsetMs), phase: span.phase.name, warmup: span.phase.warmup };
  }

  /** Index of the interval containing `atMs` (run-relative); times past the end fall into the last one. */
  indexAt(atMs: number): number {
    let found = 0;
    for (const span of this.spans) {
      if (span.count === 0 || atMs < span.startMs) continue;
      found = span.firstIndex + Math.min(span.count - 1, Math.floor((atMs - span.startMs) / this.intervalMs));
    }
    return Math.max(0, Math.min(this.length - 1, found));
  }
}
