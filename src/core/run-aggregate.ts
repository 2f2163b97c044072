/**
 * Exact aggregates of a run's intervals: merged histograms and counters per request name and in total.
 * Pure; warm-up intervals are excluded.
 */
import { LatencyHistogram } from '../histogram/latency-histogram.js';
import type { ErrorKind, Interval, IntervalStalls, RequestStats, RequestSummary, RunSummary } from './run-file.js';

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

/** One interval being added up: its counters, each request's aggregate and the generator's lag. */
export interface IntervalAggregate {
  scheduled: number;
  sent: number;
  requests: Map<string, RequestAggregate>;
  scheduleLag: LatencyHistogram;
}

/** The counters of a request's results (everything but the histograms), in whatever form they travel. */
export type RequestCounters = Pick<RequestAggregate, 'count' | 'ok' | 'bytesReceived' | 'statuses' | 'errors'>;

/** Adds counters: the one place where results of the same request are summed (histograms add beside it). */
export function addCounters(into: RequestCounters, from: RequestCounters): void {
  into.count += from.count;
  into.ok += from.ok;
  into.bytesReceived += from.bytesReceived;
  for (const [status, n] of Object.entries(from.statuses)) into.statuses[status] = (into.statuses[status] ?? 0) + n;
  for (const [kind, n] of Object.entries(from.errors) as [ErrorKind, number][]) into.errors[kind] = (into.errors[kind] ?? 0) + n;
}

export function addStats(into: RequestAggregate, stats: RequestStats): void {
  addCounters(into, stats);
  into.latency.add(LatencyHistogram.decode(stats.latency));
  into.serviceTime.add(LatencyHistogram.decode(stats.serviceTime));
}

export function mergeAggregates(into: RequestAggregate, from: RequestAggregate): void {
  addCounters(into, from);
  into.latency.add(from.latency);
  into.serviceTime.add(from.serviceTime);
}

/** The encoded form of an aggregate, as intervals store it. */
export function encodeAggregate(aggregate: RequestAggregate): RequestStats {
  return {
    count: aggregate.count,
    ok: aggregate.ok,
    statuses: aggregate.statuses,
    errors: aggregate.errors,
    bytesReceived: aggregate.bytesReceived,
    latency: aggregate.latency.encode(),
    serviceTime: aggregate.serviceTime.encode(),
  };
}

/** An interval with its histograms decoded once: decoding dominates every view's cost. */
export interface DecodedInterval {
  interval: Interval;
  /** Request name → counters and decoded histograms. */
  requests: Map<string, RequestAggregate>;
  scheduleLag: LatencyHistogram;
}

export function decodeIntervals(intervals: readonly Interval[]): DecodedInterval[] {
  return intervals.map((interval) => {
    const requests = new Map<string, RequestAggregate>();
    for (const [name, stats] of Object.entries(interval.requests)) {
      const aggregate = emptyAggregate();
      addStats(aggregate, stats);
      requests.set(name, aggregate);
    }
    return { interval, requests, scheduleLag: LatencyHistogram.decode(interval.scheduleLag) };
  });
}

/** Per-request and total aggregates over the measured (non-warm-up) decoded intervals. */
export function aggregateDecoded(decoded: readonly DecodedInterval[]): { total: RequestAggregate; byRequest: Map<string, RequestAggregate> } {
  const byRequest = new Map<string, RequestAggregate>();
  for (const { interval, requests } of decoded) {
    if (interval.warmup) continue;
    for (const [name, from] of requests) {
      let aggregate = byRequest.get(name);
      if (!aggregate) byRequest.set(name, (aggregate = emptyAggregate()));
      mergeAggregates(aggregate, from);
    }
  }
  const total = emptyAggregate();
  for (const aggregate of byRequest.values()) mergeAggregates(total, aggregate);
  return { total, byRequest };
}

/** Schedule-lag histogram over the measured decoded intervals. */
export function scheduleLagDecoded(decoded: readonly DecodedInterval[]): LatencyHistogram {
  return LatencyHistogram.merge(decoded.filter((entry) => !entry.interval.warmup).map((entry) => entry.scheduleLag));
}

export const errorCount = (aggregate: Pick<RequestAggregate, 'errors'>): number =>
  Object.values(aggregate.errors).reduce((sum, n) => sum + (n ?? 0), 0);

export const measuredIntervals = (intervals: readonly Interval[]): Interval[] => intervals.filter((interval) => !interval.warmup);

export const measuredMs = (intervals: readonly Interval[]): number =>
  measuredIntervals(intervals).reduce((sum, interval) => sum + interval.durationMs, 0);

/** Per-request and total aggregates over the measured intervals. */
export function aggregateIntervals(intervals: readonly Interval[]): { total: RequestAggregate; byRequest: Map<string, RequestAggregate> } {
  return aggregateDecoded(decodeIntervals(measuredIntervals(intervals)));
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

/** Exact merge of intervals of the same grid slot (worker threads, or segments from several machines). */
export function mergeIntervals(intervals: readonly Interval[]): Interval | undefined {
  const [first] = intervals;
  if (!first) return undefined;
  const requests = new Map<string, RequestAggregate>();
  const scheduleLag = LatencyHistogram.empty();
  for (const interval of intervals) {
    scheduleLag.add(LatencyHistogram.decode(interval.scheduleLag));
    for (const [name, stats] of Object.entries(interval.requests)) {
      let aggregate = requests.get(name);
      if (!aggregate) requests.set(name, (aggregate = emptyAggregate()));
      addStats(aggregate, stats);
    }
  }
  return {
    startMs: first.startMs,
    // The last interval stretches over each part's drain: the longest stands for all.
    durationMs: Math.max(...intervals.map((interval) => interval.durationMs)),
    phase: first.phase,
    warmup: intervals.every((interval) => interval.warmup),
    scheduled: intervals.reduce((sum, interval) => sum + interval.scheduled, 0),
    sent: intervals.reduce((sum, interval) => sum + interval.sent, 0),
    requests: Object.fromEntries([...requests].map(([name, aggregate]) => [name, encodeAggregate(aggregate)])),
    scheduleLag: scheduleLag.encode(),
    ...stallsOf(intervals),
  };
}

function stallsOf(intervals: readonly Interval[]): Pick<Interval, 'generatorStalls'> {
  let sum: IntervalStalls | undefined;
  for (const interval of intervals) if (interval.generatorStalls) sum = addStalls(sum, interval.generatorStalls);
  return sum ? { generatorStalls: sum } : {};
}

/**
 * Generator threads' stalls in one interval: the longest GC pause of any, run-queue waits summed; steal is of the CPUs the
 * threads may use — the same CPUs for every thread of a process unless pinned apart — so the largest stands.
 */
export function addStalls(sum: IntervalStalls | undefined, stalls: IntervalStalls): IntervalStalls {
  if (!sum) return { ...stalls };
  return { gcMaxUs: Math.max(sum.gcMaxUs, stalls.gcMaxUs), runQueueWaitUs: sum.runQueueWaitUs + stalls.runQueueWaitUs, stealUs: Math.max(sum.stealUs, stalls.stealUs) };
}
