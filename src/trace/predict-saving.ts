/**
 * Predicted saving of a fix: re-time each affected trace with the fix's plan, re-run the critical path,
 * and average the saving over the p50 and p99 cohorts (unaffected cohort traces save nothing — unless the database
 * serves one statement at a time: then the work the fix takes off it shortens every other call's wait, in every
 * trace of the window, and each cohort trace's database calls take their replayed durations; serial-database.ts).
 */
import { criticalPath, criticalPathDurationNs } from './critical-path.js';
import type { DetectorContext } from './detectors/detector.js';
import { retimeTree, type RetimePlan } from './retime-trace.js';
import { callKey, relievedDurations } from './serial-database.js';

/** The plans with the database's relieved queue added: new durations for every database call whose wait the fix changes. */
function withQueueRelief(context: DetectorContext, plans: ReadonlyMap<string, RetimePlan>): ReadonlyMap<string, RetimePlan> {
  const database = context.serialDatabase;
  if (database === undefined || plans.size === 0) return plans;
  const removed = new Set<string>();
  const durationNs = new Map<string, number>();
  for (const [traceId, plan] of plans) {
    for (const spanId of plan.remove ?? []) removed.add(callKey(traceId, spanId));
    for (const [spanId, duration] of plan.durationNs ?? []) durationNs.set(callKey(traceId, spanId), duration);
  }
  const relieved = relievedDurations(database, { removed, durationNs });
  // A fix that takes no work off the database (a parallel call, a payload) changes no wait: nothing more to re-time.
  if (relieved.size === 0) return plans;
  const merged = new Map<string, RetimePlan>();
  for (const trace of context.traces) {
    const traceId = trace.tree.traceId;
    if (!context.cohorts.p50.has(traceId) && !context.cohorts.p99.has(traceId)) continue;
    const plan = plans.get(traceId) ?? {};
    const durations = new Map(plan.durationNs ?? []);
    for (const spanId of trace.tree.byId.keys()) {
      const duration = relieved.get(callKey(traceId, spanId));
      if (duration !== undefined) durations.set(spanId, duration);
    }
    if (durations.size > 0 || plans.has(traceId)) merged.set(traceId, { ...plan, durationNs: durations });
  }
  return merged;
}

export function predictSavingUs(context: DetectorContext, fixPlans: ReadonlyMap<string, RetimePlan>): { p50: number; p99: number } {
  const plans = withQueueRelief(context, fixPlans);
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
