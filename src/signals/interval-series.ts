/**
 * Timed snapshots → per-interval series on the run's interval grid (pure).
 *
 * Scrapes are not aligned with interval edges (they start before the load and drift by their own latency), so
 * each counter increase between two consecutive readings is spread uniformly over the time between them and
 * apportioned to the intervals that time overlaps. A rate is the apportioned increase over the covered time;
 * histogram buckets are apportioned the same way, so percentiles are of the observations made in the interval.
 * Windows straddling the run's start or end are clipped to the run (the load is what moves the counters).
 */
import type { SignalSeries } from '../core/run-file.js';
import type { HistogramBucket, SeriesReading, TimedSnapshot } from './metric-snapshot.js';

export interface IntervalSpan {
  /** ms since the epoch. */
  startMs: number;
  endMs: number;
}

export interface SeriesBuildResult {
  series: SignalSeries[];
  droppedSeries: number;
  droppedMetrics: string[];
}

/** Four significant digits keep the run file small; every signal is far noisier than that. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? round(value) : null;
}

/** Counter increase with Prometheus reset semantics: a drop means the counter restarted from zero. */
export function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/**
 * The q-quantile (0..1) of the observations in cumulative bucket counts, linear within the bucket as
 * Prometheus' histogram_quantile does; the +Inf bucket answers the highest finite bound.
 */
export function bucketQuantile(buckets: readonly HistogramBucket[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank && bucket.count > previousCount) {
      if (bucket.le === Number.POSITIVE_INFINITY) return previousLe;
      const lower = previousLe > bucket.le ? 0 : previousLe;
      return lower + (bucket.le - lower) * ((rank - previousCount) / (bucket.count - previousCount));
    }
    previousLe = bucket.le;
    previousCount = bucket.count;
  }
  return previousLe;
}

interface Accumulator {
  covered: number[];
  delta: number[];
  sum: number[];
  buckets: Map<number, number>[];
}

function accumulator(count: number): Accumulator {
  return {
    covered: new Array<number>(count).fill(0),
    delta: new Array<number>(count).fill(0),
    sum: new Array<number>(count).fill(0),
    buckets: Array.from({ length: count }, () => new Map<number, number>()),
  };
}

/** Spreads the window [fromMs, toMs] over the grid, calling `add(interval, share)` for each overlap. */
function apportion(grid: readonly IntervalSpan[], fromMs: number, toMs: number, add: (index: number, share: number, overlapMs: number) => void): void {
  const span = toMs - fromMs;
  if (!(span > 0)) return;
  for (let index = 0; index < grid.length; index++) {
    const interval = grid[index];
    if (!interval || interval.endMs <= fromMs) continue;
    if (interval.startMs >= toMs) break;
    const overlap = Math.min(interval.endMs, toMs) - Math.max(interval.startMs, fromMs);
    if (overlap > 0) add(index, overlap / span, overlap);
  }
}

type Readings = { atMs: number; reading: SeriesReading }[];

function buildCumulative(source: string, metric: string, labels: Record<string, string>, readings: Readings, grid: readonly IntervalSpan[]): SignalSeries {
  const first = readings[0]?.reading;
  const kind = first?.kind ?? 'counter';
  const acc = accumulator(grid.length);
  const gridStartMs = grid[0]?.startMs ?? 0;
  const gridEndMs = grid.at(-1)?.endMs ?? 0;
  for (let k = 1; k < readings.length; k++) {
    const a = readings[k - 1];
    const b = readings[k];
    if (!a || !b || a.reading.kind !== b.reading.kind) continue;
    const ra = a.reading;
    const rb = b.reading;
    let delta = 0;
    let sumDelta = 0;
    let bucketDeltas: [number, number][] = [];
    if (ra.kind === 'counter' && rb.kind === 'counter') delta = increase(ra.value, rb.value);
    else if ((ra.kind === 'histogram' || ra.kind === 'summary') && (rb.kind === 'histogram' || rb.kind === 'summary')) {
      const reset = rb.count < ra.count;
      delta = reset ? rb.count : rb.count - ra.count;
      sumDelta = reset ? rb.sum : rb.sum - ra.sum;
      if (ra.kind === 'histogram' && rb.kind === 'histogram') {
        const before = new Map(ra.buckets.map((bucket) => [bucket.le, bucket.count]));
        bucketDeltas = rb.buckets.map((bucket) => [bucket.le, reset ? bucket.count : bucket.count - (before.get(bucket.le) ?? 0)]);
      }
    } else continue;
    // A window straddling the run's first or last edge is clipped to the run: the load drives these counters,
    // and the readings around the run's end can come late (the run file is finished first), which would
    // otherwise spread the last requests' increase over time after the run.
    const fromMs = a.atMs < gridStartMs && b.atMs > gridStartMs ? gridStartMs : a.atMs;
    const toMs = b.atMs > gridEndMs && a.atMs < gridEndMs ? gridEndMs : b.atMs;
    apportion(grid, fromMs, toMs, (index, share, overlapMs) => {
      acc.covered[index] = (acc.covered[index] ?? 0) + overlapMs;
      acc.delta[index] = (acc.delta[index] ?? 0) + delta * share;
      acc.sum[index] = (acc.sum[index] ?? 0) + sumDelta * share;
      const buckets = acc.buckets[index];
      if (buckets) for (const [le, count] of bucketDeltas) buckets.set(le, (buckets.get(le) ?? 0) + count * share);
    });
  }
  const rate = acc.delta.map((delta, index) => {
    const covered = acc.covered[index] ?? 0;
    return covered > 0 ? finiteOrNull((delta / covered) * 1000) : null;
  });
  if (kind === 'counter') return { source, metric, labels, kind: 'counter', rate };
  const mean = acc.delta.map((count, index) => (count > 0 ? finiteOrNull((acc.sum[index] ?? 0) / count) : null));
  if (kind === 'summary') return { source, metric, labels, kind: 'summary', rate, mean };
  const quantile = (q: number): (number | null)[] =>
    acc.buckets.map((buckets) => {
      const cumulative = [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([le, count]) => ({ le, count }));
      return finiteOrNull(bucketQuantile(cumulative, q));
    });
  return { source, metric, labels, kind: 'histogram', rate, mean, p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99) };
}

function buildGauge(source: string, metric: string, labels: Record<string, string>, readings: Readings, grid: readonly IntervalSpan[]): SignalSeries {
  let cursor = 0;
  let last: number | undefined;
  const value = grid.map((interval) => {
    let total = 0;
    let count = 0;
    while (cursor < readings.length && (readings[cursor]?.atMs ?? 0) < interval.endMs) {
      const reading = readings[cursor];
      cursor++;
      if (!reading || reading.reading.kind !== 'gauge') continue;
      last = reading.reading.value;
      if (reading.atMs >= interval.startMs) {
        total += reading.reading.value;
        count++;
      }
    }
    if (count > 0) return finiteOrNull(total / count);
    return last === undefined ? null : finiteOrNull(last);
  });
  return { source, metric, labels, kind: 'gauge', value };
}

function zeroOf(reading: SeriesReading): SeriesReading | undefined {
  switch (reading.kind) {
    case 'counter':
      return { kind: 'counter', value: 0 };
    case 'histogram':
      return { kind: 'histogram', buckets: reading.buckets.map((bucket) => ({ le: bucket.le, count: 0 })), sum: 0, count: 0 };
    case 'summary':
      return { kind: 'summary', sum: 0, count: 0 };
    default:
      return undefined;
  }
}

/**
 * Builds the series of one source. At most `maxSeries` series are kept, in the order they first appear; the
 * rest are counted and their metric names reported.
 */
export function buildIntervalSeries(source: string, snapshots: readonly TimedSnapshot[], grid: readonly IntervalSpan[], maxSeries: number): SeriesBuildResult {
  const byKey = new Map<string, { metric: string; labels: Record<string, string>; readings: Readings }>();
  const dropped = new Set<string>();
  const droppedMetrics = new Set<string>();
  for (const [snapshotIndex, snapshot] of snapshots.entries()) {
    for (const [key, entry] of snapshot.series) {
      let series = byKey.get(key);
      if (!series) {
        if (byKey.size >= maxSeries) {
          dropped.add(key);
          droppedMetrics.add(entry.metric);
          continue;
        }
        series = { metric: entry.metric, labels: entry.labels, readings: [] };
        byKey.set(key, series);
        // A labelled counter or histogram is born at its first increment (client libraries create series
        // lazily): a series missing from the previous reading of the same source counted zero then.
        const previous = snapshots[snapshotIndex - 1];
        if (previous) {
          const zero = zeroOf(entry.reading);
          if (zero) series.readings.push({ atMs: previous.atMs, reading: zero });
        }
      }
      series.readings.push({ atMs: snapshot.atMs, reading: entry.reading });
    }
  }
  const series = [...byKey.values()].map(({ metric, labels, readings }) =>
    readings[0]?.reading.kind === 'gauge' ? buildGauge(source, metric, labels, readings, grid) : buildCumulative(source, metric, labels, readings, grid),
  );
  return { series, droppedSeries: dropped.size, droppedMetrics: [...droppedMetrics].slice(0, 20) };
}
