/**
 * Always-valid quantile confidence sequences and the sequential A/B rule built on them: exact rank bounds, the
 * false-alarm rate of simulated A/A experiments that look after every block, the detection of a known shift, the
 * percentile ladder, and the interleaved population/mix comparison on hand-made blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareInterleaved, type InterleavedBlock } from '../../src/compare/interleaved-comparison.js';
import { logMixtureMartingale, mixtureConcentration, quantileConfidenceSequence, quantileRankBounds } from '../../src/compare/quantile-confidence-sequence.js';
import { randomVariates } from '../../src/compare/random-variates.js';
import { choosePercentile, compareQuantilesSequentially, decide, samplesNeededFor } from '../../src/compare/sequential-quantile-test.js';

test('rank bounds are exactly the counts whose mixture martingale stays below 1/α', () => {
  const cases: [number, number, number][] = [
    [20, 0.5, 100],
    [100, 0.5, 100],
    [400, 0.5, 100],
    [100, 0.9, 100],
    [1000, 0.99, 1000],
  ];
  for (const [n, q, targetN] of cases) {
    const { sLow, sHigh } = quantileRankBounds(n, q, { alpha: 0.025, targetN });
    const concentration = mixtureConcentration(targetN, 0.025);
    const inside = (s: number): boolean => logMixtureMartingale(s, n, q, concentration) < Math.log(40);
    // Brute force over every count: the accepted set is one interval and the bisection found its ends.
    const accepted = Array.from({ length: n + 1 }, (_, s) => s).filter(inside);
    assert.deepEqual([sLow, sHigh], [accepted[0], accepted.at(-1)], `n=${n} q=${q}`);
    assert.equal(accepted.length, sHigh - sLow + 1, `n=${n} q=${q}: not an interval`);
  }
  // Golden values (α = 0.025, tuned at n = 100): the median of 100 values lies between the 34th and 67th smallest;
  // a fixed-n 97.5% interval would be ranks 39..62 — the price of being valid at every n.
  assert.deepEqual(quantileRankBounds(100, 0.5, { alpha: 0.025, targetN: 100 }), { sLow: 34, sHigh: 66 });
  assert.deepEqual(quantileRankBounds(20, 0.5, { alpha: 0.025, targetN: 20 }), { sLow: 4, sHigh: 16 });
  assert.deepEqual(quantileRankBounds(1000, 0.99, { alpha: 0.025, targetN: 1000 }), { sLow: 978, sHigh: 998 });
  // Too few values: no bound at all.
  assert.deepEqual(quantileRankBounds(3, 0.5, { alpha: 0.025, targetN: 100 }), { sLow: 0, sHigh: 3 });
});

test('the interval of 1..100 is the order statistics at those ranks', () => {
  const values = Array.from({ length: 100 }, (_, index) => 100 - index); // any order
  const interval = quantileConfidenceSequence(values, 0.5, { alpha: 0.025, targetN: 100 });
  assert.deepEqual(interval, { estimate: 50, low: 34, high: 67, n: 100 });
  const tiny = quantileConfidenceSequence([5, 1, 3], 0.5, { alpha: 0.025 });
  assert.deepEqual(tiny, { estimate: 3, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY, n: 3 });
});

function lognormal(variates: ReturnType<typeof randomVariates>, medianUs: number, sigma: number): number {
  return medianUs * Math.exp(sigma * variates.standardNormal());
}

/** Runs one experiment of `looks` blocks of `perBlock` samples per arm; returns the first decisive look or 0. */
function experiment(seed: number, candidateFactor: number, looks: number, perBlock: number, percentile: number): { look: number; decision: string } {
  const variates = randomVariates(seed);
  const base: number[] = [];
  const candidate: number[] = [];
  for (let look = 1; look <= looks; look++) {
    for (let index = 0; index < perBlock; index++) {
      base.push(lognormal(variates, 20_000, 0.4));
      candidate.push(lognormal(variates, 20_000 * candidateFactor, 0.4));
    }
    const result = compareQuantilesSequentially(base, candidate, { percentile, alpha: 0.05, minEffect: 0.03, targetPerArm: looks * perBlock });
    if (result.decision === 'improved' || result.decision === 'regressed') return { look, decision: result.decision };
  }
  return { look: 0, decision: 'none' };
}

test('A/A: looking after each of 10 blocks keeps the false-alarm rate ≤ α = 5%', () => {
  const trials = 300;
  let alarms = 0;
  for (let trial = 0; trial < trials; trial++) if (experiment(1000 + trial, 1, 10, 30, 50).look > 0) alarms++;
  // The union of two per-arm sequences is conservative: in practice far below α. A naive test at every look is not.
  assert.ok(alarms / trials <= 0.05, `false alarms ${alarms}/${trials}`);
  let tailAlarms = 0;
  for (let trial = 0; trial < 100; trial++) if (experiment(5000 + trial, 1, 10, 100, 90).look > 0) tailAlarms++;
  assert.ok(tailAlarms / 100 <= 0.05, `p90 false alarms ${tailAlarms}/100`);
});

test('a naive fixed-n interval recomputed after every block does exceed α (why the sequence is needed)', () => {
  // Fixed-n 95% interval of the difference of medians by the normal approximation of ranks, per arm at 97.5%:
  // ranks n/2 ± 2.24·√n/2. Valid once; checked 10 times it raises far more alarms than the sequence above.
  const naiveInterval = (sorted: number[]): [number, number] => {
    const n = sorted.length;
    const half = 2.2414 * Math.sqrt(n) / 2;
    return [sorted[Math.max(0, Math.floor(n / 2 - half) - 1)] as number, sorted[Math.min(n - 1, Math.ceil(n / 2 + half) - 1)] as number];
  };
  let naiveAlarms = 0;
  let sequenceAlarms = 0;
  const trials = 300;
  for (let trial = 0; trial < trials; trial++) {
    const variates = randomVariates(9000 + trial);
    const base: number[] = [];
    const candidate: number[] = [];
    let naive = false;
    let sequence = false;
    for (let look = 1; look <= 10; look++) {
      for (let index = 0; index < 10; index++) {
        base.push(lognormal(variates, 20_000, 0.4));
        candidate.push(lognormal(variates, 20_000, 0.4));
      }
      const [aLow, aHigh] = naiveInterval([...base].sort((x, y) => x - y));
      const [bLow, bHigh] = naiveInterval([...candidate].sort((x, y) => x - y));
      if (bHigh < aLow || bLow > aHigh) naive = true;
      const result = compareQuantilesSequentially(base, candidate, { percentile: 50, targetPerArm: 100 });
      if (result.decision === 'improved' || result.decision === 'regressed') sequence = true;
    }
    if (naive) naiveAlarms++;
    if (sequence) sequenceAlarms++;
  }
  assert.ok(sequenceAlarms <= naiveAlarms, `sequence ${sequenceAlarms} vs naive ${naiveAlarms}`);
  assert.ok(sequenceAlarms / trials <= 0.05, `sequence ${sequenceAlarms}/${trials}`);
});

test('a 30% faster candidate is detected, early, and never called a regression', () => {
  const trials = 100;
  let detected = 0;
  let wrong = 0;
  let lookSum = 0;
  for (let trial = 0; trial < trials; trial++) {
    const outcome = experiment(2000 + trial, 0.7, 10, 30, 50);
    if (outcome.decision === 'improved') {
      detected++;
      lookSum += outcome.look;
    } else if (outcome.decision === 'regressed') wrong++;
  }
  assert.equal(wrong, 0);
  assert.ok(detected >= 95, `detected ${detected}/${trials}`);
  // σ = 0.4 lognormal: a 30% shift of the median is decided after ~2–4 blocks of 30 per arm, not at the cap.
  const meanLook = lookSum / detected;
  assert.ok(meanLook >= 1.5 && meanLook <= 5, `mean stopping look ${meanLook}`);
});

test('decisions, savings and their interval on known samples', () => {
  const base = Array.from({ length: 100 }, (_, index) => 1000 + index * 10); // 1000..1990 µs
  const candidate = base.map((value) => value / 2);
  const result = compareQuantilesSequentially(base, candidate, { percentile: 50, alpha: 0.05, targetPerArm: 100 });
  // Ranks 34 and 67 of each arm bound the medians: A ∈ [1330, 1660], B ∈ [665, 830].
  assert.deepEqual([result.base.low, result.base.estimate, result.base.high], [1330, 1490, 1660]);
  assert.deepEqual([result.candidate.low, result.candidate.estimate, result.candidate.high], [665, 745, 830]);
  assert.equal(result.change, -0.5);
  assert.ok(Math.abs(result.ciLow - (665 / 1660 - 1)) < 1e-12 && Math.abs(result.ciHigh - (830 / 1330 - 1)) < 1e-12);
  assert.deepEqual([result.savingUs, result.savingLowUs, result.savingHighUs], [745, 500, 995]);
  assert.equal(result.decision, 'improved');
  assert.equal(decide(-0.01, -0.02, 0.02, 0.03), 'equivalent');
  assert.equal(decide(-0.2, -0.3, 0.05, 0.03), 'undecided');
  assert.equal(decide(0.2, 0.1, 0.3, 0.03), 'regressed');
  assert.equal(decide(-0.02, -0.025, -0.01, 0.03), 'equivalent');
});

test('the percentile ladder: p99 needs 1000 per arm, p90 100, p50 20', () => {
  assert.deepEqual([samplesNeededFor(99), samplesNeededFor(90), samplesNeededFor(50), samplesNeededFor(99.9)], [1000, 100, 20, 10_000]);
  assert.deepEqual(choosePercentile(1500), { percentile: 99, reason: 'about 1500 requests per arm expected: judging p99' });
  assert.deepEqual(choosePercentile(140, [99, 50]), { percentile: 50, reason: 'p99 needs ≥ 1000 requests per arm; about 140 expected: judging p50' });
  assert.equal(choosePercentile(140).percentile, 90);
  assert.equal(choosePercentile(12).percentile, 50);
  assert.match(choosePercentile(12).reason, /p50 needs ≥ 20 requests per arm; only about 12 expected/);
});

test('interleaved blocks: population and mix judged separately, pair by pair', () => {
  const block = (arm: 'A' | 'B', pair: number, viewUs: number, listUs: number): InterleavedBlock => ({
    arm,
    pair,
    samples: [
      ...Array.from({ length: 30 }, (_, index) => ({ name: 'view', latencyUs: viewUs + index })),
      ...Array.from({ length: 10 }, (_, index) => ({ name: 'list', latencyUs: listUs + index })),
    ],
  });
  // Views get 40% faster with the fix; lists do not change. Pair 2 runs on a slower machine (drift ×1.5).
  const blocks = [block('A', 1, 10_000, 50_000), block('B', 1, 6_000, 50_000), block('A', 2, 15_000, 75_000), block('B', 2, 9_000, 75_000)];
  const result = compareInterleaved(blocks, { population: new Set(['view']), percentile: 50, targetPerArm: 60 });
  assert.equal(result.population.trafficShare, 0.75);
  assert.deepEqual(result.population.names, ['view']);
  assert.deepEqual(
    result.population.pairs.map((pair) => [pair.pair, pair.baseUs, pair.candidateUs]),
    [
      [1, 10_014, 6_014],
      [2, 15_014, 9_014],
    ],
  );
  assert.equal(result.population.pairsAgreeing, 2);
  assert.equal(result.population.result.base.n, 60);
  assert.equal(result.population.result.decision, 'improved');
  // Population: A's median ∈ [10017, 15012], B's ∈ [6017, 9012] (ranks 21 and 41 of 60).
  assert.deepEqual([result.population.result.savingUs, result.population.result.savingLowUs, result.population.result.savingHighUs], [4000, 1005, 8995]);
  // The mix pools the unchanged lists too (25% of traffic): 80 per arm, its median still a view.
  assert.equal(result.mix.result.base.n, 80);
  assert.deepEqual(
    result.mix.pairs.map((pair) => [pair.baseUs, pair.candidateUs]),
    [
      [10_019, 6_019],
      [15_019, 9_019],
    ],
  );
});
