/**
 * Merges run files exactly: the segments of one schedule run on several machines (or repeated runs)
 * become one run whose histograms are the bucket-wise sum, so n merged segments equal one whole run.
 */
import { summarizeIntervals } from '../core/run-aggregate.js';
import { badInput } from '../core/errors.js';
import type { RunFile, TraceSample } from '../core/run-file.js';
import { mergeIntervalLists } from './merge-intervals.js';
import { newRunId } from './run-load.js';

export function mergeRuns(runs: readonly RunFile[], names: readonly string[]): RunFile {
  const [first] = runs;
  if (!first) throw badInput('runs', 'nothing to merge');
  runs.forEach((run, index) => {
    if (run.intervalMs !== first.intervalMs) throw badInput(names[index] ?? 'run', `interval ${run.intervalMs}ms differs from ${first.intervalMs}ms of ${names[0]}`);
  });
  const intervals = mergeIntervalLists(runs.map((run) => run.intervals));
  const healths = runs.map((run) => run.health);
  const sum = (pick: (health: RunFile['health']) => number): number => healths.reduce((total, health) => total + pick(health), 0);
  const samples: TraceSample[] = runs.flatMap((run) => run.traces?.samples ?? []);
  const withTraces = runs.find((run) => run.traces);
  return {
    ...first,
    id: newRunId(),
    startedAt: runs.map((run) => run.startedAt).sort()[0] ?? first.startedAt,
    endedAt: runs.map((run) => run.endedAt).sort().at(-1) ?? first.endedAt,
    interrupted: runs.some((run) => run.interrupted),
    environment: { ...first.environment, workers: runs.reduce((total, run) => total + run.environment.workers, 0), segment: { index: 0, count: 1 } },
    intervals,
    health: {
      valid: healths.every((health) => health.valid),
      reasons: runs.flatMap((run, index) => run.health.reasons.map((reason) => `${names[index] ?? index}: ${reason}`)),
      lagP99Us: Math.max(...healths.map((health) => health.lagP99Us)),
      lagMaxUs: Math.max(...healths.map((health) => health.lagMaxUs)),
      generatorCpuPct: Math.max(...healths.map((health) => health.generatorCpuPct)),
      scheduled: sum((health) => health.scheduled),
      sent: sum((health) => health.sent),
      inFlightAtEnd: sum((health) => health.inFlightAtEnd),
    },
    summary: summarizeIntervals(intervals),
    ...(withTraces?.traces ? { traces: { ...withTraces.traces, samples, samplesCap: Math.max(withTraces.traces.samplesCap, samples.length) } } : {}),
    mergedFrom: [...names],
  };
}
