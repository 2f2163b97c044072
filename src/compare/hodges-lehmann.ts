/**
 * Hodges–Lehmann shift: the median of all pairwise differences candidate − base, the location-shift estimate that goes
 * with the Mann–Whitney test. On bucketed distributions the n₁n₂ differences are never materialised: the number of
 * pairs with c − b ≤ d is counted in O(buckets) by a two-pointer sweep, and d is found by bisection.
 */
import type { BucketDistribution } from './bucket-distribution.js';

/** Number of pairs (c, b) with c − b ≤ d, weighted by counts. */
function pairsAtMost(base: BucketDistribution, candidate: BucketDistribution, d: number): number {
  let pairs = 0;
  let below = 0; // base count with value < c − d, growing as c grows
  let i = 0;
  for (let j = 0; j < candidate.valuesUs.length; j++) {
    const threshold = (candidate.valuesUs[j] ?? 0) - d;
    while (i < base.valuesUs.length && (base.valuesUs[i] ?? 0) < threshold) below += base.counts[i++] ?? 0;
    pairs += (candidate.counts[j] ?? 0) * (base.total - below);
  }
  return pairs;
}

/** Smallest pairwise difference d whose rank (1-based, ascending) is ≥ rank. */
function differenceAtRank(base: BucketDistribution, candidate: BucketDistribution, rank: number): number {
  const last = (distribution: BucketDistribution): number => distribution.valuesUs[distribution.valuesUs.length - 1] ?? 0;
  let low = (candidate.valuesUs[0] ?? 0) - last(base);
  let high = last(candidate) - (base.valuesUs[0] ?? 0);
  if (pairsAtMost(base, candidate, low) >= rank) return low;
  // Invariant: count(low) < rank ≤ count(high). 200 halvings reach the float resolution of any range.
  for (let step = 0; step < 200 && high - low > Math.max(1e-9, Math.abs(high) * 1e-15); step++) {
    const middle = (low + high) / 2;
    if (pairsAtMost(base, candidate, middle) >= rank) high = middle;
    else low = middle;
  }
  return high;
}

/** Median of candidate − base over all pairs, µs (0 when a side is empty). */
export function hodgesLehmannShift(base: BucketDistribution, candidate: BucketDistribution): number {
  const pairs = base.total * candidate.total;
  if (pairs === 0) return 0;
  const lowRank = Math.floor((pairs + 1) / 2);
  const highRank = Math.floor(pairs / 2) + 1;
  const lower = differenceAtRank(base, candidate, lowRank);
  return lowRank === highRank ? lower : (lower + differenceAtRank(base, candidate, highRank)) / 2;
}
