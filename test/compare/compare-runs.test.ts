/**
 * compareRuns on simulated runs: noise-awareness (A/A says "no significant change" in ≥ 95% of trials), power (a 10%
 * latency shift is found in ≥ 90% of trials at the default settings), repeated runs, error rate and throughput.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { logNormalLatencies, syntheticRun } from './synthetic-run.js';

/** A 10-interval run of `perInterval` requests per second, log-normal latency, median 10 ms. */
function simulatedRun(id: string, seed: number, perInterval = 300, scale = 1) {
  return syntheticRun(
    id,
    Array.from({ length: 10 }, (_, i) => ({ latenciesUs: { 'GET /': logNormalLatencies(perInterval, seed * 1000 + i, 10_000, 0.5, scale) } })),
  );
}

test('A/A: two runs of the same configuration say "no significant change" in ≥ 95% of 100 trials', () => {
  const trials = 100;
  let quiet = 0;
  for (let trial = 0; trial < trials; trial++) {
    const result = compareRuns([simulatedRun('a', 2 * trial + 1)], [simulatedRun('b', 2 * trial + 2)], { resamples: 400, seed: trial });
    if (result.verdict === 'no significant change') quiet++;
  }
  assert.ok(quiet / trials >= 0.95, `A/A quiet in ${quiet}/${trials}`);
});

test('a 10% latency regression is detected in ≥ 90% of 40 trials; a 10% improvement is reported as such', () => {
  const trials = 40;
  let detected = 0;
  for (let trial = 0; trial < trials; trial++) {
    const result = compareRuns([simulatedRun('a', 5000 + 2 * trial)], [simulatedRun('b', 5001 + 2 * trial, 300, 1.1)], { resamples: 400, seed: trial });
    if (result.verdict === 'regressed') detected++;
  }
  assert.ok(detected / trials >= 0.9, `detected ${detected}/${trials}`);
  const improved = compareRuns([simulatedRun('a', 11)], [simulatedRun('b', 12, 300, 0.9)]);
  assert.equal(improved.verdict, 'improved');
  const p50 = improved.total.metrics.find((metric) => metric.metric === 'p50')!;
  assert.ok(p50.change < -0.05 && p50.change > -0.15, `p50 change ${p50.change}`);
  assert.equal(p50.verdict, 'improved');
  const shift = improved.total.metrics.find((metric) => metric.metric === 'shift')!;
  assert.equal(shift.verdict, 'improved');
  assert.ok(shift.pValue! < 1e-6);
});

test('repeated runs: histograms merge (exact counts) and run-to-run spread widens the intervals', () => {
  const base = [simulatedRun('a1', 21), simulatedRun('a2', 22), simulatedRun('a3', 23)];
  const candidate = [simulatedRun('b1', 24, 300, 1.02), simulatedRun('b2', 25, 300, 0.97), simulatedRun('b3', 26, 300, 1.05)];
  const result = compareRuns(base, candidate);
  assert.equal(result.total.baseCount, 9000);
  assert.equal(result.total.candidateCount, 9000);
  assert.deepEqual(result.baseRuns, ['a1', 'a2', 'a3']);
  const single = compareRuns([base[0]!], [candidate[0]!]);
  const width = (r: typeof result) => {
    const p50 = r.total.metrics.find((metric) => metric.metric === 'p50')!;
    return p50.ciHigh - p50.ciLow;
  };
  // The spread between candidate runs (−3% .. +5%) is wider than one run's sampling noise.
  assert.ok(width(result) > width(single) * 0.9, `${width(result)} vs ${width(single)}`);
  assert.equal(result.verdict, 'no significant change');
});

test('error rate and throughput changes, per request name and in total', () => {
  const perInterval = (errors: number) => ({
    latenciesUs: { 'GET /a': logNormalLatencies(200, 1), 'GET /b': logNormalLatencies(100, 2) },
    errors: { 'GET /a': errors },
  });
  const base = syntheticRun('base', Array.from({ length: 10 }, () => perInterval(0)));
  const candidate = syntheticRun('cand', Array.from({ length: 10 }, () => perInterval(10)));
  const result = compareRuns([base], [candidate]);
  assert.deepEqual(result.byRequest.map((request) => request.name), ['GET /a', 'GET /b']);
  const errorsA = result.byRequest[0]!.metrics.find((metric) => metric.metric === 'errorRate')!;
  assert.equal(errorsA.base, 0);
  assert.equal(errorsA.candidate, 0.05); // 100 of 2000
  assert.equal(errorsA.verdict, 'regressed');
  const errorsB = result.byRequest[1]!.metrics.find((metric) => metric.metric === 'errorRate')!;
  assert.equal(errorsB.verdict, 'no significant change');
  const errorsTotal = result.total.metrics.find((metric) => metric.metric === 'errorRate')!;
  assert.equal(errorsTotal.candidate, 100 / 3000);
  assert.equal(result.verdict, 'regressed');
  // Identical latencies: every latency metric is exactly unchanged.
  for (const metric of result.total.metrics.filter((m) => m.metric.startsWith('p'))) assert.equal(metric.change, 0);
  const throughput = result.total.metrics.find((metric) => metric.metric === 'throughput')!;
  assert.equal(throughput.base, 300);
  assert.equal(throughput.candidate, 300);
  assert.equal(throughput.verdict, 'no significant change');
  // Halving the request rate is a throughput regression.
  const slow = syntheticRun('slow', Array.from({ length: 10 }, () => ({ latenciesUs: { 'GET /a': logNormalLatencies(100, 1), 'GET /b': logNormalLatencies(50, 2) } })));
  const halved = compareRuns([base], [slow]).total.metrics.find((metric) => metric.metric === 'throughput')!;
  assert.equal(halved.change, -0.5);
  assert.equal(halved.verdict, 'regressed');
});
