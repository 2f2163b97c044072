/**
 * Exact aggregates of a run's intervals: merged histograms and counters per request name and in total.
 * Pure; warm-up intervals are excluded.
 */
import { LatencyHistogram } from '../histogram/latency-histogram.js';
import type { ErrorKind, Interval, RequestStats, RequestSummary, RunSummary } from './run-file.js';

export interface RequestAggregate {
  count: number;
  ok: number;
  statuses: Record<string, number>;
  errors: Partial<Record<ErrorKind, number>>;
  bytesReceived: number;
  latency: LatencyHistogram;
  serviceTime: LatencyHistogram;
}

export function emptyAggregate(): RequestAggregate {
  return { count: 0, ok: 0, statuses: {}, errors: {}, bytesReceived: 0, latency: LatencyHistogram.empty(), serviceTime: LatencyHistogram.empty() };
}

function addCounts<K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void {
  for (const [key, value] of Object.entries(from) as [K, number][]) into[key] = (into[key] ?? 0) + value;
}

export function addStats(into: RequestAggregate, stats: RequestStats): void {
  into.count += stats.count;
  into.ok += stats.ok;
  into.bytesReceived += stats.bytesReceived;
  addCounts(into.statuses, stats.statuses);
  addCounts(into.errors, stats.errors);
  into.latency.add(LatencyHistogram.decode(stats.latency));
  into.serviceTime.add(LatencyHistogram.decode(stats.serviceTime));
}

export function mergeAggregates(into: RequestAggregate, from: RequestAggregate): void {
  into.count += from.count;
  into.ok += from.ok;
  into.bytesReceived += from.bytesReceived;
  addCounts(into.statuses, from.statuses);
  addCounts(into.errors, from.errors);
  into.latency.add(from.latency);
  into.serviceTime.add(from.serviceTime);
}

export const errorCount = (aggregate: Pick<RequestAggregate, 'errors'>): number =>
  Object.values(aggregate.errors).reduce((sum, n) => sum + (n ?? 0), 0);

export const measuredIntervals = (intervals: readonly Interval[]): Interval[] => intervals.filter((interval) => !interval.warmup);

export const measuredMs = (intervals: readonly Interval[]): number =>
  measuredIntervals(intervals).reduce((sum, interval) => sum + interval.durationMs, 0);

/** Per-request and total aggregates over the measured intervals. */
export function aggregateIntervals(intervals: readonly Interval[]): { total: RequestAggregate; byRequest: Map<string, RequestAggregate> } {
  const total = emptyAggregate();
  const byRequest = new Map<string, RequestAggregate>();
  for (const interval of measuredIntervals(intervals)) {
    for (const [name, stats] of Object.entries(interval.requests)) {
      let aggregate = byRequest.get(name);
      if (!aggregate) byRequest.set(name, (aggregate = emptyAggregate()));
      addStats(aggregate, stats);
    }
  }
  for (const aggregate of byRequest.values()) mergeAggregates(total, aggregate);
  return { total, byRequest };
}

export function summarizeAggregate(aggregate: RequestAggregate, durationMs: number): RequestSummary {
  const errors = errorCount(aggregate);
  return {
    count: aggregate.count,
    ok: aggregate.ok,
    errors,
    errorRate: aggregate.count === 0 ? 0 : errors / aggregate.count,
    throughputPerSec: durationMs > 0 ? aggregate.count / (durationMs / 1000) : 0,
    latency: aggregate.latency.summary(),
    serviceTime: aggregate.serviceTime.summary(),
  };
}

export function summarizeIntervals(intervals: readonly Interval[]): RunSummary {
  const durationMs = measuredMs(intervals);
  const { total, byRequest } = aggregateIntervals(intervals);
  return {
    measuredMs: durationMs,
    total: summarizeAggregate(total, durationMs),
    byRequest: Object.fromEntries([...byRequest].map(([name, aggregate]) => [name, summarizeAggregate(aggregate, durationMs)])),
  };
}

/** Schedule-lag histogram over the measured intervals. */
export function scheduleLagOf(run: { intervals: readonly Interval[] }): LatencyHistogram {
  return LatencyHistogram.merge(measuredIntervals(run.intervals).map((interval) => LatencyHistogram.decode(interval.scheduleLag)));
}
