/**
 * The round plan (src/demo/round-plan.ts): the power calculation of the paired sign rule and the block length it
 * picks — short for a large effect on a large population, long where a small population brings few observations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logSpread, observationsNeeded, planRound, type RoundPlanInputs } from '../../src/demo/round-plan.js';

/** 60 latencies, lognormal-like with log-spread ≈ 0.5 around 50 ms (deterministic quantiles). */
const latencies = Array.from({ length: 60 }, (_, index) => 50_000 * Math.exp(0.5 * Math.SQRT2 * inverseErf((2 * (index + 0.5)) / 60 - 1)));

function inverseErf(x: number): number {
  // Winitzki's approximation: ample for test fixtures.
  const a = 0.147;
  const ln = Math.log(1 - x * x);
  const first = 2 / (Math.PI * a) + ln / 2;
  return Math.sign(x) * Math.sqrt(Math.sqrt(first * first - ln / a) - first);
}

const base: RoundPlanInputs = {
  predictedUs: 25_000,
  populationLatenciesUs: latencies,
  trafficShare: 0.6,
  ratePerSec: 16,
  blockMs: 3000,
  blockOverheadMs: 1000,
  roundBudgetMs: 40_000,
  maxPairs: 6,
  alpha: 0.05,
  batchSize: 2,
};

test('observations the sign rule needs: all faster decides from 8, a coin never', () => {
  assert.deepEqual(
    [1, 0.95, 0.9, 0.8, 0.7, 0.6].map((share) => observationsNeeded(share, 0.05)),
    [8, 12, 16, 25, 59, 230],
  );
  assert.equal(observationsNeeded(0.5, 0.05), Number.POSITIVE_INFINITY);
  assert.ok(Math.abs(logSpread(latencies) - 0.5) < 0.03, `spread ${logSpread(latencies)}`);
});

test('a large effect on 60% of traffic: a short first pair, one pair planned', () => {
  // 12 needed, planned with a margin of 1.5 (18): 3 s pairs bring 14 (two pairs, 16 s), 4.5 s pairs 21 (one, 11 s).
  const plan = planRound(base);
  assert.deepEqual([plan.firstBlockMs, plan.blockMs, plan.plannedPairs, plan.observationsNeeded], [3000, 4500, 1, 12]);
  assert.equal(plan.expectedPerArm, 43);
  assert.match(plan.reason, /predicted 51% faster .* ~12 needed; blocks of 3\.0 s, then 4\.5 s, 1 pair planned/);
});

test('a fifth of the traffic: longer blocks buy the observations with less overhead', () => {
  // 1.6 observations/s, 18 planned: 3 s blocks need 5 pairs (40 s), 4.5 s 3 (33 s), 6 s 2 (28 s), 9 s 2 (40 s).
  // A short pair brings 4 observations, too few to decide at all (8): the long blocks from the first pair on.
  const plan = planRound({ ...base, trafficShare: 0.2 });
  assert.deepEqual([plan.firstBlockMs, plan.blockMs, plan.plannedPairs], [6000, 6000, 2]);
  // 20% faster: ~74% of observations faster, 42 needed — more than the 40 s budget buys; 9 s blocks buy the most.
  const small = planRound({ ...base, trafficShare: 0.2, predictedUs: 10_000 });
  assert.equal(small.observationsNeeded, 42);
  assert.deepEqual([small.blockMs, small.plannedPairs, small.expectedPerArm], [9000, 2, 57]);
});

test('no predicted saving: the most observations the budget buys, said so', () => {
  const plan = planRound({ ...base, predictedUs: 0 });
  assert.equal(plan.observationsNeeded, Number.POSITIVE_INFINITY);
  // The first pair stays short (14 observations could decide a large effect the model missed), then 9 s blocks.
  assert.deepEqual([plan.firstBlockMs, plan.blockMs, plan.plannedPairs], [3000, 9000, 2]);
  assert.match(plan.reason, /^no saving predicted on the median: blocks of 3\.0 s, then 9\.0 s/);
});
