/**
 * One scrape (or one /proc reading) as a map of series → current value, the common input of
 * `interval-series.ts`. Prometheus families and process/cgroup readings both become snapshots, so counters
 * turn into per-interval rates and histograms into per-interval percentiles by the same code.
 */
import type { ParsedExposition, PromFamily } from './prometheus-text.js';

export interface HistogramBucket {
  /** Upper bound (`le`); +Infinity for the last. */
  le: number;
  /** Cumulative count. */
  count: number;
}

export type SeriesReading =
  | { kind: 'counter'; value: number }
  | { kind: 'gauge'; value: number }
  | { kind: 'histogram'; buckets: HistogramBucket[]; sum: number; count: number }
  | { kind: 'summary'; sum: number; count: number };

export interface SnapshotSeries {
  metric: string;
  labels: Record<string, string>;
  reading: SeriesReading;
}

/** Series key → reading. Insertion order is the exposition's order (the series cap keeps the first). */
export type MetricSnapshot = Map<string, SnapshotSeries>;

export interface TimedSnapshot {
  /** When the reading was taken, ms since the epoch. */
  atMs: number;
  series: MetricSnapshot;
}

/** Labels in their exposition order: a server writes them in the same order on every scrape, and not sorting saves a third of the snapshot time. */
export function seriesKey(metric: string, labels: Record<string, string>): string {
  let key = metric;
  let first = true;
  for (const name in labels) {
    key += `${first ? '{' : ','}${name}=${JSON.stringify(labels[name])}`;
    first = false;
  }
  return first ? key : `${key}}`;
}

function addFamily(snapshot: MetricSnapshot, family: PromFamily): void {
  const put = (metric: string, labels: Record<string, string>, reading: SeriesReading): void => {
    snapshot.set(seriesKey(metric, labels), { metric, labels, reading });
  };
  if (family.type === 'histogram' || family.type === 'summary') {
    const groups = new Map<string, { labels: Record<string, string>; buckets: HistogramBucket[]; sum: number; count: number }>();
    const group = (labels: Record<string, string>) => {
      const key = seriesKey('', labels);
      // The first sample of a group fixes its labels; `le` never reaches here (callers strip it).
      let entry = groups.get(key);
      if (!entry) {
        entry = { labels, buckets: [], sum: Number.NaN, count: Number.NaN };
        groups.set(key, entry);
      }
      return entry;
    };
    for (const sample of family.samples) {
      if (sample.name === `${family.name}_bucket` && sample.labels.le !== undefined) {
        const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
        if (!Number.isNaN(le)) {
          const { le: _le, ...rest } = sample.labels;
          group(rest).buckets.push({ le, count: sample.value });
        }
      } else if (sample.name === `${family.name}_sum`) group(sample.labels).sum = sample.value;
      else if (sample.name === `${family.name}_count`) group(sample.labels).count = sample.value;
      else if (family.type === 'summary' && sample.labels.quantile !== undefined) put(family.name, sample.labels, { kind: 'gauge', value: sample.value });
    }
    for (const entry of groups.values()) {
      if (Number.isNaN(entry.count) && entry.buckets.length > 0) entry.count = Math.max(...entry.buckets.map((bucket) => bucket.count));
      if (Number.isNaN(entry.count)) continue;
      if (family.type === 'histogram' && entry.buckets.length > 0) {
        entry.buckets.sort((a, b) => a.le - b.le);
        put(family.name, entry.labels, { kind: 'histogram', buckets: entry.buckets, sum: entry.sum, count: entry.count });
      } else put(family.name, entry.labels, { kind: 'summary', sum: entry.sum, count: entry.count });
    }
    return;
  }
  for (const sample of family.samples) {
    const counter = family.type === 'counter' || (family.type === 'untyped' && sample.name.endsWith('_total'));
    put(sample.name, sample.labels, { kind: counter ? 'counter' : 'gauge', value: sample.value });
  }
}

/** Turns a parsed exposition into a snapshot. */
export function snapshotOf(exposition: ParsedExposition): MetricSnapshot {
  const snapshot: MetricSnapshot = new Map();
  for (const family of exposition.families) addFamily(snapshot, family);
  return snapshot;
}
