/**
 * Mann–Whitney U test (Wilcoxon rank-sum) on bucketed distributions, in O(buckets): values are compared bucket by
 * bucket, and values in one bucket are ties. Normal approximation with the tie correction of the variance and an
 * optional continuity correction — the same statistic as R's `wilcox.test(candidate, base, exact = FALSE)`.
 *
 * U counts the pairs (candidate c, base b) with c > b, plus half the ties: U/(n₁n₂) is the probability that a random
 * candidate request is slower than a random base request (0.5 = no difference).
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import type { BucketDistribution } from './bucket-distribution.js';

export interface MannWhitneyResult {
  /** U of the candidate: #(c > b) + ½·#(c = b). R's wilcox.test(candidate, base) reports it as W. */
  u: number;
  /** U/(n₁n₂): P(candidate slower) + ½·P(tie). */
  probabilityCandidateSlower: number;
  z: number;
  /** Two-sided p-value. 1 when either side is empty or every value is tied. */
  pValue: number;
}

export interface MannWhitneyOptions {
  /** Continuity correction (R's default `correct = TRUE`). Default true. */
  continuityCorrection?: boolean;
}

export function mannWhitney(base: BucketDistribution, candidate: BucketDistribution, options: MannWhitneyOptions = {}): MannWhitneyResult {
  const n1 = candidate.total;
  const n2 = base.total;
  if (n1 === 0 || n2 === 0) return { u: 0, probabilityCandidateSlower: 0.5, z: 0, pValue: 1 };
  // Merge the two sorted bucket lists: for each candidate bucket, base counts strictly below and equal.
  let u = 0;
  let tieTerm = 0;
  let i = 0; // base index
  let j = 0; // candidate index
  let baseBelow = 0;
  while (i < base.valuesUs.length || j < candidate.valuesUs.length) {
    const baseValue = i < base.valuesUs.length ? (base.valuesUs[i] ?? Infinity) : Infinity;
    const candidateValue = j < candidate.valuesUs.length ? (candidate.valuesUs[j] ?? Infinity) : Infinity;
    const value = Math.min(baseValue, candidateValue);
    const baseEqual = baseValue === value ? (base.counts[i++] ?? 0) : 0;
    const candidateEqual = candidateValue === value ? (candidate.counts[j++] ?? 0) : 0;
    u += candidateEqual * (baseBelow + baseEqual / 2);
    const tied = baseEqual + candidateEqual;
    tieTerm += tied * tied * tied - tied;
    baseBelow += baseEqual;
  }
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const probabilityCandidateSlower = u / (n1 * n2);
  if (!(variance > 0)) return { u, probabilityCandidateSlower, z: 0, pValue: 1 };
  const deviation = u - mean;
  const correction = (options.continuityCorrection ?? true) ? Math.sign(deviation) * 0.5 : 0;
  const z = (deviation - correction) / Math.sqrt(variance);
  // Φ(−|z|) rather than 1 − Φ(|z|): keeps precision for the tiny p-values of large runs.
  const pValue = Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
  return { u, probabilityCandidateSlower, z, pValue };
}
