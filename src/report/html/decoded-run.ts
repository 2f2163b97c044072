/**
 * A run's interval histograms decoded once. Decoding dominates the report's render time (a few hundred µs per
 * histogram), and the aggregates, the timeline and the lag chart all need the same histograms.
 */
import { emptyAggregate, mergeAggregates, type RequestAggregate } from '../../core/run-aggregate.js';
import type { Interval, RunFile } from '../../core/run-file.js';
import { LatencyHistogram } from '../../histogram/latency-histogram.js';

export interface DecodedInterval {
  interval: Interval;
  /** Request name → latency histogram. */
  latency: Map<string, LatencyHistogram>;
  serviceTime: Map<string, LatencyHistogram>;
  scheduleLag: LatencyHistogram;
}

export function decodeIntervals(run: Pick<RunFile, 'intervals'>): DecodedInterval[] {
  return run.intervals.map((interval) => {
    const latency = new Map<string, LatencyHistogram>();
    const serviceTime = new Map<string, LatencyHistogram>();
    for (const [name, stats] of Object.entries(interval.requests)) {
      latency.set(name, LatencyHistogram.decode(stats.latency));
      serviceTime.set(name, LatencyHistogram.decode(stats.serviceTime));
    }
    return { interval, latency, serviceTime, scheduleLag: LatencyHistogram.decode(interval.scheduleLag) };
  });
}

function addCounts(into: Record<string, number>, from: Record<string, number | undefined>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + (value ?? 0);
}

/**
 * Per-request and total aggregates over the measured (non-warm-up) intervals: the same result as
 * aggregateIntervals in src/core/run-aggregate.ts, from already-decoded histograms.
 */
export function aggregateDecoded(decoded: readonly DecodedInterval[]): { total: RequestAggregate; byRequest: Map<string, RequestAggregate> } {
  const byRequest = new Map<string, RequestAggregate>();
  for (const { interval, latency, serviceTime } of decoded) {
    if (interval.warmup) continue;
    for (const [name, stats] of Object.entries(interval.requests)) {
      let aggregate = byRequest.get(name);
      if (!aggregate) byRequest.set(name, (aggregate = emptyAggregate()));
      aggregate.count += stats.count;
      aggregate.ok += stats.ok;
      aggregate.bytesReceived += stats.bytesReceived;
      addCounts(aggregate.statuses, stats.statuses);
      addCounts(aggregate.errors, stats.errors);
      const latencyHistogram = latency.get(name);
      const serviceHistogram = serviceTime.get(name);
      if (latencyHistogram) aggregate.latency.add(latencyHistogram);
      if (serviceHistogram) aggregate.serviceTime.add(serviceHistogram);
    }
  }
  const total = emptyAggregate();
  for (const aggregate of byRequest.values()) mergeAggregates(total, aggregate);
  return { total, byRequest };
}

/** Schedule-lag histogram over the measured intervals. */
export function scheduleLagDecoded(decoded: readonly DecodedInterval[]): LatencyHistogram {
  return LatencyHistogram.merge(decoded.filter((entry) => !entry.interval.warmup).map((entry) => entry.scheduleLag));
}
