/**
 * Exact merge of interval lists laid on the same grid (segments from several machines): intervals with the
 * same start merge through `mergeIntervals` (counters add; histograms add bucket by bucket).
 */
import { mergeIntervals } from '../core/run-aggregate.js';
import type { Interval } from '../core/run-file.js';

/** Merges interval lists aligned on their start time (the same interval grid), keeping time order. */
export function mergeIntervalLists(lists: readonly (readonly Interval[])[]): Interval[] {
  const byStart = new Map<number, Interval[]>();
  for (const list of lists) {
    for (const interval of list) {
      const group = byStart.get(interval.startMs);
      if (group) group.push(interval);
      else byStart.set(interval.startMs, [interval]);
    }
  }
  return [...byStart.values()].flatMap((group) => mergeIntervals(group) ?? []).sort((a, b) => a.startMs - b.startMs);
}
