/**
 * Statistics on bucketed distributions against hand-computed values.
 *
 * Mann–Whitney: base = 1..5, candidate = 3..7. U(candidate) = 2.5 + 3.5 + 4.5 + 5 + 5 = 20.5; mean n₁n₂/2 = 12.5;
 * ties 3, 4, 5 (twice each): Σ(t³ − t) = 18; variance = (25/12)·(11 − 18/90) = 22.5; with continuity correction
 * z = (20.5 − 12.5 − 0.5)/√22.5 = 1.581139, p = 2·Φ(−1.581139) = 0.113846 — R's
 * `wilcox.test(3:7, 1:5, exact = FALSE)` prints W = 20.5, p-value = 0.1138 for the same data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distributionOfSamples, percentileOf } from '../../src/compare/bucket-distribution.js';
import { mannWhitney } from '../../src/compare/mann-whitney.js';
import { hodgesLehmannShift } from '../../src/compare/hodges-lehmann.js';
import { resampledPercentile, bootstrapPercentileDifferences, quantileSorted } from '../../src/compare/bootstrap.js';
import { randomVariates } from '../../src/compare/random-variates.js';
import { uniforms } from './synthetic-run.js';

test('Mann–Whitney U with ties and continuity correction matches the hand computation (and R wilcox.test)', () => {
  const result = mannWhitney(distributionOfSamples([1, 2, 3, 4, 5]), distributionOfSamples([3, 4, 5, 6, 7]));
  assert.equal(result.u, 20.5);
  assert.equal(result.probabilityCandidateSlower, 20.5 / 25);
  assert.ok(Math.abs(result.z - 7.5 / Math.sqrt(22.5)) < 1e-12, `z ${result.z}`);
  assert.ok(Math.abs(result.pValue - 0.113846) < 2e-6, `p ${result.pValue}`);
  // Without continuity correction: z = 8/√22.5 = 1.686548, p = 2·Φ(−1.686548) = 0.09169 (normal table: Φ(1.68) = 0.95352, Φ(1.69) = 0.95449).
  const uncorrected = mannWhitney(distributionOfSamples([1, 2, 3, 4, 5]), distributionOfSamples([3, 4, 5, 6, 7]), { continuityCorrection: false });
  assert.ok(Math.abs(uncorrected.pValue - 0.09169) < 1e-5, `p ${uncorrected.pValue}`);
  // Identical samples: U = n₁n₂/2, p = 1.
  const same = mannWhitney(distributionOfSamples([5, 6, 7]), distributionOfSamples([5, 6, 7]));
  assert.equal(same.u, 4.5);
  assert.equal(same.pValue, 1);
});

test('Hodges–Lehmann shift is the median of pairwise differences', () => {
  // Differences (3..7) − (1..5): −2×1, −1×2, 0×3, 1×4, 2×5, 3×4, 4×3, 5×2, 6×1 → 13th of 25 is 2.
  assert.ok(Math.abs(hodgesLehmannShift(distributionOfSamples([1, 2, 3, 4, 5]), distributionOfSamples([3, 4, 5, 6, 7])) - 2) < 1e-6);
  // Even count: (2,4) − (1,2) = 1, 0, 3, 2 → median (1 + 2)/2 = 1.5.
  assert.ok(Math.abs(hodgesLehmannShift(distributionOfSamples([1, 2]), distributionOfSamples([2, 4])) - 1.5) < 1e-6);
  // Negative shift: (10, 20, 30) − (15, 25, 35) → −5 (median of −25..15 in steps of 5... exactly −5).
  assert.ok(Math.abs(hodgesLehmannShift(distributionOfSamples([15, 25, 35]), distributionOfSamples([10, 20, 30])) + 5) < 1e-6);
});

test('percentiles use HdrHistogram’s rank ceil(p·n); R quantile type 7 for bootstrap intervals', () => {
  const distribution = distributionOfSamples([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.equal(percentileOf(distribution, 50), 50);
  assert.equal(percentileOf(distribution, 90), 90);
  assert.equal(percentileOf(distribution, 99), 100);
  assert.equal(percentileOf(distribution, 1), 10);
  // R: quantile(c(1, 2, 3, 4), 0.25) = 1.75 (type 7).
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
});

test('order-statistic resampling equals multinomial resampling: P(median* ≤ v) = P(Binomial(20, F(v)) ≥ 10)', () => {
  const values = Array.from({ length: 20 }, (_, i) => i + 1);
  const distribution = distributionOfSamples(values);
  const random = randomVariates(7);
  const replicates = 40_000;
  const counts = new Map<number, number>();
  for (let r = 0; r < replicates; r++) {
    const value = resampledPercentile(distribution, 50, random);
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const binomialAtLeast = (n: number, p: number, k: number): number => {
    let sum = 0;
    for (let j = k; j <= n; j++) {
      let coefficient = 1;
      for (let i = 1; i <= j; i++) coefficient = (coefficient * (n - j + i)) / i;
      sum += coefficient * p ** j * (1 - p) ** (n - j);
    }
    return sum;
  };
  let cumulative = 0;
  for (const v of values) {
    cumulative += counts.get(v) ?? 0;
    const expected = binomialAtLeast(20, v / 20, 10);
    assert.ok(Math.abs(cumulative / replicates - expected) < 0.01, `v=${v}: ${cumulative / replicates} vs ${expected}`);
  }
  // Also against brute-force multinomial resampling with another generator.
  const next = uniforms(3);
  let bruteAtMost8 = 0;
  for (let r = 0; r < replicates; r++) {
    const sample = Array.from({ length: 20 }, () => values[Math.floor(next() * 20)]!).sort((a, b) => a - b);
    if (sample[9]! <= 8) bruteAtMost8++;
  }
  assert.ok(Math.abs(bruteAtMost8 / replicates - binomialAtLeast(20, 8 / 20, 10)) < 0.01);
});

test('bootstrap interval of a difference covers the true shift and is reproducible by seed', () => {
  const base = distributionOfSamples(Array.from({ length: 2000 }, (_, i) => 1000 + i));
  const candidate = distributionOfSamples(Array.from({ length: 2000 }, (_, i) => 1100 + i));
  const [median] = bootstrapPercentileDifferences(base, candidate, [50], { seed: 5 });
  // p50: base rank 1000 → 1999, candidate 2099: +5.0025%.
  assert.equal(median!.baseUs, 1999);
  assert.equal(median!.candidateUs, 2099);
  assert.ok(Math.abs(median!.relativeChange - 100 / 1999) < 1e-12);
  assert.ok(median!.ciLow > 0 && median!.ciLow < 100 / 1999 && median!.ciHigh > 100 / 1999, JSON.stringify(median));
  assert.deepEqual(bootstrapPercentileDifferences(base, candidate, [50], { seed: 5 }), [median]);
});
