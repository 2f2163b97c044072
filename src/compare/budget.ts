/**
 * Checks a run against a budget (see budget-file.ts): absolute limits on the whole run, windowed limits on every
 * window of the run, and limits relative to a baseline run. Pure; `perfloop check` and `perfloop run --budget` call it.
 *
 * Relative limits ("p99 regression < 5% at 95% confidence") fail only when the run is *demonstrably* worse: the
 * change is significant at that confidence AND at least the tolerated regression — the same rule as `perfloop
 * compare` (verdict.ts) with the budget's threshold, so noise between two runs of the same build never fails CI.
 */
import { badInput } from '../core/errors.js';
import { addStats, emptyAggregate, errorCount, measuredIntervals, type RequestAggregate } from '../core/run-aggregate.js';
import type { Interval, RunFile } from '../core/run-file.js';
import { terminalSafeName } from '../core/terminal-safe.js';
import { formatRate, formatUs } from '../core/units.js';
import type { Budget, BudgetLine, Comparator, LatencyMetric } from './budget-file.js';
import { compareRuns, type MetricComparison } from './compare-runs.js';
import { verdictFor } from './verdict.js';

export interface BudgetLineResult {
  text: string;
  scope: string;
  passed: boolean;
  /** The measured value in words, e.g. "p99 = 182ms" or "worst 10s window: p99 = 340ms at 20s". */
  actual: string;
}

export interface BudgetResult {
  passed: boolean;
  lines: BudgetLineResult[];
}

const PERCENTILE: Record<string, number> = { p50: 50, p90: 90, p99: 99, 'p99.9': 99.9 };

function latencyValue(aggregate: RequestAggregate, metric: LatencyMetric): number {
  if (metric === 'mean') return aggregate.latency.meanUs;
  if (metric === 'max') return aggregate.latency.maxUs;
  return aggregate.latency.percentileUs(PERCENTILE[metric] ?? 99);
}

const compare = (actual: number, comparator: Comparator, limit: number): boolean =>
  comparator === '<' ? actual < limit : comparator === '<=' ? actual <= limit : comparator === '>' ? actual > limit : actual >= limit;

/** Aggregate of `scope` over some intervals. */
function aggregateOf(intervals: readonly Interval[], scope: string): RequestAggregate {
  const aggregate = emptyAggregate();
  for (const interval of intervals) {
    for (const [name, stats] of Object.entries(interval.requests)) if (scope === 'total' || scope === name) addStats(aggregate, stats);
  }
  return aggregate;
}

interface Measured {
  value: number;
  formatted: string;
}

function measure(line: BudgetLine, aggregate: RequestAggregate, durationMs: number): Measured | null {
  if (line.limit.kind !== 'absolute') return null;
  const { metric } = line.limit;
  if (metric === 'errors') {
    const rate = aggregate.count > 0 ? errorCount(aggregate) / aggregate.count : 0;
    return { value: rate, formatted: `errors = ${(rate * 100).toFixed(3)}%` };
  }
  if (metric === 'throughput') {
    const rate = durationMs > 0 ? aggregate.count / (durationMs / 1000) : 0;
    return { value: rate, formatted: `throughput = ${formatRate(rate)}` };
  }
  if (aggregate.count === 0) return null;
  const value = latencyValue(aggregate, metric);
  return { value, formatted: `${metric} = ${formatUs(value)}` };
}

function checkAbsolute(line: BudgetLine, run: RunFile): BudgetLineResult {
  if (line.limit.kind !== 'absolute') throw new Error('absolute limit expected');
  const intervals = measuredIntervals(run.intervals);
  const names = new Set(intervals.flatMap((interval) => Object.keys(interval.requests)));
  if (line.scope !== 'total' && !names.has(line.scope)) return { text: line.text, scope: line.scope, passed: false, actual: `no request named "${line.scope}" in the run` };
  const { comparator, value: limit, windowMs } = line.limit;
  if (windowMs === undefined) {
    const durationMs = intervals.reduce((sum, interval) => sum + interval.durationMs, 0);
    const measured = measure(line, aggregateOf(intervals, line.scope), durationMs);
    if (!measured) return { text: line.text, scope: line.scope, passed: false, actual: 'no completed requests' };
    return { text: line.text, scope: line.scope, passed: compare(measured.value, comparator, limit), actual: measured.formatted };
  }
  // Windows: consecutive measured intervals grouped by floor((start − first start)/window).
  const firstMs = intervals[0]?.startMs ?? 0;
  const windows = new Map<number, Interval[]>();
  for (const interval of intervals) {
    const index = Math.floor((interval.startMs - firstMs) / windowMs);
    windows.set(index, [...(windows.get(index) ?? []), interval]);
  }
  let worst: { measured: Measured; startMs: number } | null = null;
  let failures = 0;
  for (const [index, members] of [...windows].sort((a, b) => a[0] - b[0])) {
    const durationMs = members.reduce((sum, interval) => sum + interval.durationMs, 0);
    const measured = measure(line, aggregateOf(members, line.scope), durationMs);
    if (!measured) continue;
    const passed = compare(measured.value, comparator, limit);
    if (!passed) failures++;
    // "Worst" is the window farthest on the wrong side of the limit.
    const badness = comparator === '<' || comparator === '<=' ? measured.value : -measured.value;
    const worstBadness = worst === null ? -Infinity : comparator === '<' || comparator === '<=' ? worst.measured.value : -worst.measured.value;
    if (badness > worstBadness) worst = { measured, startMs: index * windowMs };
  }
  if (!worst) return { text: line.text, scope: line.scope, passed: false, actual: 'no window with completed requests' };
  return {
    text: line.text,
    scope: line.scope,
    passed: failures === 0,
    actual: `worst ${windowMs / 1000}s window (at ${worst.startMs / 1000}s): ${worst.measured.formatted}; ${failures} of ${windows.size} windows over`,
  };
}

function checkRelative(line: BudgetLine, run: RunFile, baseline: RunFile | undefined): BudgetLineResult {
  if (line.limit.kind !== 'relative') throw new Error('relative limit expected');
  if (!baseline) throw badInput(line.field, `"${line.text}" needs a baseline run (--baseline FILE)`);
  const comparison = compareRuns([baseline], [run], { confidenceLevel: line.limit.confidenceLevel, minEffect: line.limit.maxRegression });
  const request = line.scope === 'total' ? comparison.total : comparison.byRequest.find((candidate) => candidate.name === line.scope);
  if (!request || request.candidateCount === 0) return { text: line.text, scope: line.scope, passed: false, actual: `no request named "${line.scope}" in the run` };
  const metric: MetricComparison | undefined = request.metrics.find((candidate) => candidate.metric === line.limit.metric);
  if (!metric) return { text: line.text, scope: line.scope, passed: false, actual: `metric ${line.limit.metric} not compared` };
  const higherIsBetter = line.limit.metric === 'throughput';
  const verdict = verdictFor(metric, line.limit.maxRegression, higherIsBetter);
  const change = `${metric.change >= 0 ? '+' : ''}${(metric.change * 100).toFixed(1)}%`;
  const interval = `[${(metric.ciLow * 100).toFixed(1)}%, ${(metric.ciHigh * 100).toFixed(1)}%]`;
  return {
    text: line.text,
    scope: line.scope,
    passed: verdict !== 'regressed',
    actual: `${line.limit.metric} ${change} vs baseline, ${Math.round(line.limit.confidenceLevel * 100)}% CI ${interval}`,
  };
}

/** Checks every line of the budget; `baseline` is required when the budget has relative limits. */
export function checkBudget(run: RunFile, budget: Budget, baseline?: RunFile): BudgetResult {
  const lines = budget.lines.map((line) => (line.limit.kind === 'absolute' ? checkAbsolute(line, run) : checkRelative(line, run, baseline)));
  return { passed: lines.every((line) => line.passed), lines };
}

export function renderBudgetResult(result: BudgetResult): string {
  return [
    ...result.lines.map((line) => `${line.passed ? 'PASS' : 'FAIL'}  ${line.scope === 'total' ? '' : `[${terminalSafeName(line.scope)}] `}${line.text}  —  ${line.actual}`),
    '',
    result.passed ? 'budget: passed' : `budget: FAILED (${result.lines.filter((line) => !line.passed).length} of ${result.lines.length} lines)`,
  ].join('\n');
}
