/**
 * A run's timeline for charts: consecutive intervals merged into at most `maxBuckets` buckets.
 * Merging decodes and adds the interval histograms (exact), so a downsampled p99 is the true p99 of
 * the merged time span — never an average of p99s.
 */
import { errorCount } from '../../core/run-aggregate.js';
import type { RunFile } from '../../core/run-file.js';
import { LatencyHistogram } from '../../histogram/latency-histogram.js';
import { decodeIntervals, type DecodedInterval } from '../../core/run-aggregate.js';

export interface TimelineBucket {
  /** Bucket start, ms since the run's start. */
  startMs: number;
  durationMs: number;
  warmup: boolean;
  phase: string;
  /** Completed requests, all request names. */
  count: number;
  errors: number;
  scheduled: number;
  sent: number;
  latencyP50Us: number;
  latencyP90Us: number;
  latencyP99Us: number;
  latencyMaxUs: number;
  lagP99Us: number;
  lagMaxUs: number;
}

/** Default cap: a 10-minute run at 1 s intervals keeps full resolution; an hour becomes 12 s buckets. */
export const DEFAULT_MAX_BUCKETS = 600;

function groupIntervals(intervals: readonly DecodedInterval[], maxBuckets: number): DecodedInterval[][] {
  const perBucket = Math.max(1, Math.ceil(intervals.length / Math.max(1, maxBuckets)));
  const groups: DecodedInterval[][] = [];
  let current: DecodedInterval[] = [];
  for (const decoded of intervals) {
    const interval = decoded.interval;
    const head = current[0]?.interval;
    // Never merge across a warm-up or phase boundary: those edges are what a reader looks for.
    if (head && (current.length >= perBucket || head.warmup !== interval.warmup || head.phase !== interval.phase)) {
      groups.push(current);
      current = [];
    }
    current.push(decoded);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function bucketOf(group: readonly DecodedInterval[]): TimelineBucket {
  const latency = LatencyHistogram.empty();
  const lag = LatencyHistogram.empty();
  let count = 0;
  let errors = 0;
  let scheduled = 0;
  let sent = 0;
  let durationMs = 0;
  for (const decoded of group) {
    const interval = decoded.interval;
    durationMs += interval.durationMs;
    scheduled += interval.scheduled;
    sent += interval.sent;
    lag.add(decoded.scheduleLag);
    for (const stats of Object.values(interval.requests)) {
      count += stats.count;
      errors += errorCount(stats);
    }
    for (const aggregate of decoded.requests.values()) latency.add(aggregate.latency);
  }
  const first = group[0]?.interval;
  return {
    startMs: first?.startMs ?? 0,
    durationMs,
    warmup: first?.warmup ?? false,
    phase: first?.phase ?? '',
    count,
    errors,
    scheduled,
    sent,
    latencyP50Us: latency.percentileUs(50),
    latencyP90Us: latency.percentileUs(90),
    latencyP99Us: latency.percentileUs(99),
    latencyMaxUs: latency.maxUs,
    lagP99Us: lag.percentileUs(99),
    lagMaxUs: lag.maxUs,
  };
}

export function timelineOfDecoded(decoded: readonly DecodedInterval[], maxBuckets = DEFAULT_MAX_BUCKETS): TimelineBucket[] {
  return groupIntervals(decoded, maxBuckets).map(bucketOf);
}

export function timelineOf(run: Pick<RunFile, 'intervals'>, maxBuckets = DEFAULT_MAX_BUCKETS): TimelineBucket[] {
  return timelineOfDecoded(decodeIntervals(run.intervals), maxBuckets);
}
