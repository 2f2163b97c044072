/**
 * Predicted saving of a fix: re-time each affected trace with the fix's plan, re-run the critical path,
 * and average the saving over the p50 and p99 cohorts (unaffected cohort traces save nothing).
 */
import { criticalPath, criticalPathDurationNs } from './critical-path.js';
import type { DetectorContext } from './detectors/detector.js';
import { retimeTree, type RetimePlan } from './retime-trace.js';

export function predictSavingUs(context: DetectorContext, plans: ReadonlyMap<string, RetimePlan>): { p50: number; p99: number } {
  const savingNs = new Map<string, number>();
  for (const trace of context.traces) {
    const plan = plans.get(trace.tree.traceId);
    if (plan === undefined) continue;
    if (!context.cohorts.p50.has(trace.tree.traceId) && !context.cohorts.p99.has(trace.tree.traceId)) continue;
    let after: number;
    try {
      after = criticalPathDurationNs(criticalPath(retimeTree(trace.tree, plan)));
    } catch (error) {
      // Re-timing recurses per tree level: a trace thousands of levels deep predicts no saving rather than crashing.
      if (error instanceof RangeError) continue;
      throw error;
    }
    savingNs.set(trace.tree.traceId, Math.max(0, criticalPathDurationNs(trace.path) - after));
  }
  const mean = (cohort: ReadonlySet<string>): number => {
    if (cohort.size === 0) return 0;
    let total = 0;
    for (const traceId of cohort) total += savingNs.get(traceId) ?? 0;
    return Math.round(total / cohort.size / 1000);
  };
  return { p50: mean(context.cohorts.p50), p99: mean(context.cohorts.p99) };
}
