/** E-divisive change points on synthetic series with a known change (and none). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestSplit, detectChangePoints } from '../../src/compare/change-points.js';
import { randomVariates } from '../../src/compare/random-variates.js';

const noisy = (count: number, level: number, sd: number, seed: number): number[] => {
  const random = randomVariates(seed);
  return Array.from({ length: count }, () => level + sd * random.standardNormal());
};

test('energy statistic by hand: [0,0,10,10] splits at 2 with Q = 2·2/4·(2·10 − 0 − 0) = 20', () => {
  assert.deepEqual(bestSplit([0, 0, 10, 10], 2), { tau: 2, q: 20 });
  // [0, 10, 0, 10] at τ = 2: between mean 5, within-left 10, within-right 10 → Q = 1·(10 − 10 − 10) = −10; τ is
  // the best of a symmetric −10 at every split, so the first one.
  assert.deepEqual(bestSplit([0, 10, 0, 10], 2), { tau: 2, q: -10 });
  assert.equal(bestSplit([1, 2, 3], 2), null);
});

test('a 20% level shift at run 30 of 60 is found at index 30', () => {
  const series = [...noisy(30, 100, 3, 1), ...noisy(30, 120, 3, 2)];
  const points = detectChangePoints(series);
  assert.equal(points.length, 1, JSON.stringify(points));
  assert.equal(points[0]!.index, 30);
  assert.ok(points[0]!.pValue <= 0.005);
  assert.ok(Math.abs(points[0]!.meanAfter / points[0]!.meanBefore - 1.2) < 0.02);
});

test('two changes (up at 20, back down at 45) are both found', () => {
  const series = [...noisy(20, 50, 2, 3), ...noisy(25, 65, 2, 4), ...noisy(20, 50, 2, 5)];
  assert.deepEqual(detectChangePoints(series).map((point) => point.index), [20, 45]);
});

test('flat noisy series: no change point in at least 9 of 10 series (α = 0.01)', () => {
  let flagged = 0;
  for (let seed = 100; seed < 110; seed++) if (detectChangePoints(noisy(50, 100, 5, seed), { seed }).length > 0) flagged++;
  assert.ok(flagged <= 1, `flagged ${flagged} of 10 flat series`);
});
