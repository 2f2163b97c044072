import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketQuantile, buildIntervalSeries, type IntervalSpan } from '../../src/signals/interval-series.js';
import type { MetricSnapshot, SeriesReading, TimedSnapshot } from '../../src/signals/metric-snapshot.js';

const grid: IntervalSpan[] = [0, 1, 2, 3].map((i) => ({ startMs: 10_000 + i * 1000, endMs: 11_000 + i * 1000 }));

function at(atMs: number, readings: Record<string, SeriesReading>): TimedSnapshot {
  const series: MetricSnapshot = new Map();
  for (const [metric, reading] of Object.entries(readings)) series.set(metric, { metric, labels: {}, reading });
  return { atMs, series };
}

test('counters: increases spread over the readings’ window (clipped at the run’s edges), rate per second per interval; reset handled', () => {
  // Readings offset by 500 ms from the grid: 0 → 100 over [9.5 s, 10.5 s], → 300 over [10.5, 11.5], reset to 50 at 12.5.
  const snapshots = [
    at(9_500, { c: { kind: 'counter', value: 0 } }),
    at(10_500, { c: { kind: 'counter', value: 100 } }),
    at(11_500, { c: { kind: 'counter', value: 300 } }),
    at(12_500, { c: { kind: 'counter', value: 50 } }),
  ];
  const [series] = buildIntervalSeries('s', snapshots, grid, 10).series;
  // The first window straddles the run's start, so it is clipped to [10, 10.5]: all its 100 lands in interval 0.
  // Interval 0 [10, 11]: 100 + half of 200 = 200 over 1 s. Interval 1: 100 + 25 = 125. Interval 2: half of 50
  // over its covered 0.5 s → 50/s.
  assert.deepEqual(series?.rate, [200, 125, 50, null]);
});

test('histograms: per-interval percentiles, means and observation rates from bucket increases', () => {
  const h = (c1: number, c2: number, cInf: number, sum: number): SeriesReading => ({
    kind: 'histogram',
    buckets: [{ le: 0.1, count: c1 }, { le: 1, count: c2 }, { le: Infinity, count: cInf }],
    sum,
    count: cInf,
  });
  const snapshots = [at(10_000, { h: h(0, 0, 0, 0) }), at(11_000, { h: h(10, 10, 10, 0.5) }), at(12_000, { h: h(10, 110, 110, 50.5) })];
  const [series] = buildIntervalSeries('s', snapshots, grid, 10).series;
  assert.deepEqual(series?.rate, [10, 100, null, null]);
  assert.deepEqual(series?.mean, [0.05, 0.5, null, null]);
  // Interval 0: 10 observations all ≤ 0.1 → p50 = 0.05 (linear). Interval 1: 100 in (0.1, 1] → p50 = 0.1 + 0.9·0.5.
  assert.deepEqual(series?.p50, [0.05, 0.55, null, null]);
  assert.deepEqual(series?.p99, [0.099, 0.991, null, null]);
});

test('gauges: mean of the readings in an interval, else the last before it', () => {
  const snapshots = [at(10_200, { g: { kind: 'gauge', value: 4 } }), at(10_700, { g: { kind: 'gauge', value: 6 } }), at(12_100, { g: { kind: 'gauge', value: 9 } })];
  assert.deepEqual(buildIntervalSeries('s', snapshots, grid, 10).series[0]?.value, [5, 6, 9, 9]);
});

test('series cap keeps the first seen and reports the dropped metrics', () => {
  const snapshots = [at(10_000, { a: { kind: 'gauge', value: 1 }, b: { kind: 'gauge', value: 1 }, c: { kind: 'gauge', value: 1 } })];
  const result = buildIntervalSeries('s', snapshots, grid, 2);
  assert.deepEqual(result.series.map((series) => series.metric), ['a', 'b']);
  assert.equal(result.droppedSeries, 1);
  assert.deepEqual(result.droppedMetrics, ['c']);
});

test('bucketQuantile matches histogram_quantile: +Inf bucket answers the highest finite bound', () => {
  const buckets = [{ le: 1, count: 0 }, { le: 2, count: 50 }, { le: Infinity, count: 100 }];
  assert.equal(bucketQuantile(buckets, 0.25), 1.5);
  assert.equal(bucketQuantile(buckets, 0.9), 2);
  assert.ok(Number.isNaN(bucketQuantile([{ le: 1, count: 0 }], 0.5)));
});

test('a series born between readings counted zero at the reading before', () => {
  const snapshots = [at(10_000, { other: { kind: 'gauge', value: 1 } }), at(11_000, { other: { kind: 'gauge', value: 1 }, c: { kind: 'counter', value: 40 } })];
  const counter = buildIntervalSeries('s', snapshots, grid, 10).series.find((series) => series.metric === 'c');
  assert.deepEqual(counter?.rate, [40, null, null, null]);
});
