/**
 * A latency distribution as HdrHistogram buckets (value, count) with cumulative counts: the form every statistic in
 * src/compare works on, so costs scale with the number of buckets (~10³), never with the number of requests.
 */
import type { HistogramBucket, LatencyHistogram } from '../histogram/latency-histogram.js';

export interface BucketDistribution {
  /** Bucket values, ascending, µs. */
  valuesUs: Float64Array;
  counts: Float64Array;
  /** cumulative[i] = counts[0] + … + counts[i]. */
  cumulative: Float64Array;
  total: number;
}

export function bucketDistribution(buckets: readonly HistogramBucket[]): BucketDistribution {
  const sorted = [...buckets].filter((bucket) => bucket.count > 0).sort((a, b) => a.valueUs - b.valueUs);
  const valuesUs = new Float64Array(sorted.length);
  const counts = new Float64Array(sorted.length);
  const cumulative = new Float64Array(sorted.length);
  let running = 0;
  sorted.forEach((bucket, i) => {
    valuesUs[i] = bucket.valueUs;
    counts[i] = bucket.count;
    running += bucket.count;
    cumulative[i] = running;
  });
  return { valuesUs, counts, cumulative, total: running };
}

export const distributionOf = (histogram: LatencyHistogram): BucketDistribution => bucketDistribution(histogram.buckets());

/** Distribution of explicit samples (tests, small data). */
export const distributionOfSamples = (samplesUs: readonly number[]): BucketDistribution => {
  const counts = new Map<number, number>();
  for (const value of samplesUs) counts.set(value, (counts.get(value) ?? 0) + 1);
  return bucketDistribution([...counts].map(([valueUs, count]) => ({ valueUs, count })));
};

/** Value of the k-th smallest observation (1-based rank), by binary search on the cumulative counts. */
export function valueAtRank(distribution: BucketDistribution, rank: number): number {
  const { cumulative, valuesUs } = distribution;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((cumulative[middle] ?? 0) >= rank) high = middle;
    else low = middle + 1;
  }
  return valuesUs[low] ?? 0;
}

/** Value at a fraction u ∈ [0, 1) of the distribution: F⁻¹(u), the inverse of the empirical CDF. */
export const valueAtFraction = (distribution: BucketDistribution, u: number): number =>
  valueAtRank(distribution, Math.min(distribution.total, Math.floor(u * distribution.total) + 1));

/**
 * Percentile p ∈ (0, 100] as the value of rank ceil(p/100 · n) — the same definition HdrHistogram's
 * getValueAtPercentile uses, so the figures agree with run summaries.
 */
export const percentileOf = (distribution: BucketDistribution, percentile: number): number =>
  distribution.total === 0 ? 0 : valueAtRank(distribution, Math.max(1, Math.ceil((percentile / 100) * distribution.total)));

export const meanOf = (distribution: BucketDistribution): number => {
  let sum = 0;
  distribution.valuesUs.forEach((value, i) => (sum += value * (distribution.counts[i] ?? 0)));
  return distribution.total === 0 ? 0 : sum / distribution.total;
};
