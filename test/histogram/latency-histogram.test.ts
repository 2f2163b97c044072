import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../src/histogram/latency-histogram.js';

test('merge is exact: merged parts equal one histogram of all values', () => {
  const all = LatencyHistogram.empty();
  const parts = [LatencyHistogram.empty(), LatencyHistogram.empty(), LatencyHistogram.empty()];
  for (let i = 0; i < 30_000; i++) {
    const valueUs = 100 + ((i * 7919) % 50_000) + (i % 1000 === 0 ? 2_000_000 : 0);
    all.record(valueUs);
    parts[i % 3]?.record(valueUs);
  }
  const merged = LatencyHistogram.merge(parts.map((part) => LatencyHistogram.decode(part.encode())));
  assert.equal(merged.count, 30_000);
  for (const percentile of [0, 50, 90, 99, 99.9, 99.99, 100]) assert.equal(merged.percentileUs(percentile), all.percentileUs(percentile));
  assert.deepEqual(merged.buckets(), all.buckets());
  assert.equal(merged.maxUs, all.maxUs);
});

test('percentiles are within 0.1% of exact values; encode/decode round trip', () => {
  const histogram = LatencyHistogram.empty();
  for (let ms = 1; ms <= 1000; ms++) histogram.record(ms * 1000);
  // 990 of 1000 values are ≤ 990 ms: the p99 is 990 ms, to 3 significant digits.
  assert.ok(Math.abs(histogram.percentileUs(99) - 990_000) / 990_000 < 0.001);
  assert.ok(Math.abs(histogram.percentileUs(50) - 500_000) / 500_000 < 0.001);
  assert.ok(Math.abs(histogram.maxUs - 1_000_000) / 1_000_000 < 0.001);
  const decoded = LatencyHistogram.decode(histogram.encode());
  assert.deepEqual(decoded.summary(), histogram.summary());
  assert.equal(LatencyHistogram.decode('').count, 0);
  assert.equal(LatencyHistogram.empty().encode(), '');
});

test('buckets sum to the count', () => {
  const histogram = LatencyHistogram.empty();
  histogram.record(5, 10);
  histogram.record(12_345, 3);
  const buckets = histogram.buckets();
  assert.equal(buckets.reduce((sum, bucket) => sum + bucket.count, 0), 13);
  assert.equal(buckets[0]?.valueUs, 5);
  assert.equal(buckets[0]?.count, 10);
});

test('sparse buckets cross threads exactly: added into an empty, a used and a reset histogram', () => {
  const source = LatencyHistogram.empty();
  for (let i = 0; i < 10_000; i++) source.record(3 + ((i * 7919) % 40_000) + (i % 997 === 0 ? 5_000_000 : 0));
  const expected = LatencyHistogram.empty();
  expected.add(source);
  expected.add(source);

  const target = LatencyHistogram.empty();
  target.addSparse(source.toSparse());
  assert.deepEqual(target.summary(), source.summary());
  assert.deepEqual(target.buckets(), source.buckets());
  target.addSparse(source.toSparse());
  assert.deepEqual(target.summary(), expected.summary());
  assert.deepEqual(LatencyHistogram.decode(target.encode()).buckets(), expected.buckets());

  target.reset();
  target.addSparse(new Float64Array(0));
  assert.equal(target.count, 0);
  const single = LatencyHistogram.empty();
  single.record(250, 7);
  target.addSparse(single.toSparse());
  assert.deepEqual(target.summary(), single.summary());
  // A reset histogram that had grown for 5 s values takes a new, smaller range with the right min and max.
  const two = LatencyHistogram.empty();
  two.record(40, 2);
  two.record(900, 5);
  target.reset();
  target.addSparse(two.toSparse());
  assert.deepEqual(target.summary(), two.summary());
});
