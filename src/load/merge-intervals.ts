/**
 * Exact merge of interval records — across worker threads of one run, and across run files of
 * several machines (segments). Counters add; histograms add bucket by bucket.
 */
import { LatencyHistogram } from '../histogram/latency-histogram.js';
import type { Interval, RequestStats } from '../core/run-file.js';

function addRecords(into: Record<string, number>, from: Record<string, number | undefined>): Record<string, number> {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + (value ?? 0);
  return into;
}

const addEncoded = (a: string, b: string): string => (a === '' ? b : b === '' ? a : LatencyHistogram.merge([LatencyHistogram.decode(a), LatencyHistogram.decode(b)]).encode());

function mergeRequestStats(a: RequestStats, b: RequestStats): RequestStats {
  return {
    count: a.count + b.count,
    ok: a.ok + b.ok,
    statuses: addRecords({ ...a.statuses }, b.statuses),
    errors: addRecords({ ...a.errors } as Record<string, number>, b.errors) as RequestStats['errors'],
    bytesReceived: a.bytesReceived + b.bytesReceived,
    latency: addEncoded(a.latency, b.latency),
    serviceTime: addEncoded(a.serviceTime, b.serviceTime),
  };
}

export function mergeInterval(a: Interval, b: Interval): Interval {
  const requests: Record<string, RequestStats> = { ...a.requests };
  for (const [name, stats] of Object.entries(b.requests)) {
    const existing = requests[name];
    requests[name] = existing ? mergeRequestStats(existing, stats) : stats;
  }
  return {
    startMs: a.startMs,
    durationMs: Math.max(a.durationMs, b.durationMs),
    phase: a.phase,
    warmup: a.warmup && b.warmup,
    scheduled: a.scheduled + b.scheduled,
    sent: a.sent + b.sent,
    requests,
    scheduleLag: addEncoded(a.scheduleLag, b.scheduleLag),
  };
}

/** Merges interval lists aligned on their start time (the same interval plan), keeping time order. */
export function mergeIntervalLists(lists: readonly (readonly Interval[])[]): Interval[] {
  const byStart = new Map<number, Interval>();
  for (const list of lists) {
    for (const interval of list) {
      const existing = byStart.get(interval.startMs);
      byStart.set(interval.startMs, existing ? mergeInterval(existing, interval) : interval);
    }
  }
  return [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
}
