/**
 * Sweep and knee search with an injected step runner that simulates a system with known behaviour, so the expected
 * fit and knee are known exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kneeSearch, runSweep, scenarioForLevel, summarizeStep, type SweepSettings } from '../../src/model/sweep.js';
import { parseSlo } from '../../src/model/slo.js';
import { sweepFileSchema, type UslFitConverged } from '../../src/model/sweep-file.js';
import { littleCheck } from '../../src/model/little-law.js';
import { normalizeScenario, type Scenario } from '../../src/load/scenario.js';
import { syntheticRun } from '../compare/synthetic-run.js';

const scenario: Scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'constant', rate: 1, duration: '1s' }] });
const settings = (model: 'closed' | 'open'): SweepSettings => ({ target: 'http://127.0.0.1:1/', scenario, model, stepDurationMs: 5000, warmupMs: 1000, thinkTimeMs: 0 });

/** A closed system obeying the USL exactly (σ = 0.05, κ = 0.002, λ = 100/s): 5 measured 1-s intervals per step. */
const truth = { sigma: 0.05, kappa: 0.002, lambda: 100 };
const usl = (n: number) => (truth.lambda * n) / (1 + truth.sigma * (n - 1) + truth.kappa * n * (n - 1));
function closedSystem(users: number) {
  const perSecond = Math.round(usl(users) * 10) / 10; // requests per 1-s interval (fractional rates via 10-s scale)
  const count = Math.round(perSecond);
  const latencyUs = (users / perSecond) * 1e6; // Little: R = N/X
  return syntheticRun(`n${users}`, [
    { latenciesUs: { r: Array(count).fill(latencyUs) }, warmup: true },
    ...Array.from({ length: 5 }, () => ({ latenciesUs: { r: Array(count).fill(latencyUs) } })),
  ]);
}

test('a step scenario has a warm-up and a measured phase at the level', () => {
  const closed = scenarioForLevel(settings('closed'), 8);
  assert.deepEqual(closed.phases, [
    { kind: 'closed', name: 'users=8/warmup', durationMs: 1000, warmup: true, users: 8, thinkTimeMs: 0 },
    { kind: 'closed', name: 'users=8', durationMs: 5000, warmup: false, users: 8, thinkTimeMs: 0 },
  ]);
  const open = scenarioForLevel({ ...settings('open'), warmupMs: 0 }, 250);
  assert.deepEqual(open.phases, [{ kind: 'constant', name: 'rate=250', durationMs: 5000, warmup: false, ratePerSec: 250 }]);
  assert.equal(open.requests, scenario.requests);
});

test('closed sweep: steps summarised without warm-up, Little’s law holds, USL parameters recovered', async () => {
  const levels = [1, 2, 4, 8, 16, 32, 64];
  const seen: number[] = [];
  const sweep = await runSweep(settings('closed'), levels, async (stepScenario, level) => {
    seen.push(level);
    assert.equal(stepScenario.phases.length, 2);
    return closedSystem(level);
  });
  assert.deepEqual(seen, levels);
  assert.ok(sweepFileSchema.safeParse(sweep).success);
  assert.deepEqual(sweep.steps.map((step) => step.level), levels);
  const first = sweep.steps[0]!;
  assert.equal(first.summary.count, 500); // 100/s × 5 s, warm-up interval excluded
  assert.equal(first.summary.measuredMs, 5000);
  assert.equal(first.summary.throughputPerSec, 100);
  for (const step of sweep.steps) {
    assert.equal(step.little.expectedConcurrency, step.level);
    assert.ok(step.little.consistent, `Little at N=${step.level}: ${step.little.impliedConcurrency}`);
    assert.ok(Math.abs(step.little.relativeError!) < 0.01);
  }
  const fit = sweep.fit as UslFitConverged;
  assert.equal(fit.kind, 'converged');
  // Throughputs are rounded to whole requests per second, so the recovery is close, not exact.
  assert.ok(Math.abs(fit.sigma.value - 0.05) < 0.005, `sigma ${fit.sigma.value}`);
  assert.ok(Math.abs(fit.kappa.value - 0.002) < 0.0002, `kappa ${fit.kappa.value}`);
  assert.ok(Math.abs(fit.lambda.value - 100) < 2, `lambda ${fit.lambda.value}`);
  // N* = sqrt(0.95/0.002) = 21.8 users.
  assert.ok(Math.abs(fit.nStar! - Math.sqrt(0.95 / 0.002)) < 1.5, `N* ${fit.nStar}`);
  // Penalty σ(N−1) + κN(N−1): N=2 → 0.054 (< 10%: linear), N=4 → 0.174 (contention); N = 32, 64 are past N*.
  assert.deepEqual(fit.points.map((point) => point.regime), ['linear', 'linear', 'contention', 'contention', 'contention', 'coherence', 'coherence']);
});

test('Little’s law check flags a step whose implied concurrency is off by more than 10%', () => {
  assert.deepEqual(littleCheck({ throughputPerSec: 100, meanLatencyUs: 50_000, thinkTimeMs: 50, expectedConcurrency: 10 }), {
    impliedConcurrency: 10,
    expectedConcurrency: 10,
    relativeError: 0,
    consistent: true,
  });
  const off = littleCheck({ throughputPerSec: 100, meanLatencyUs: 50_000, thinkTimeMs: 0, expectedConcurrency: 10 });
  assert.equal(off.impliedConcurrency, 5);
  assert.equal(off.relativeError, -0.5);
  assert.equal(off.consistent, false);
  // The drain of in-flight requests lands in the last interval, which the recorder stretches to the time the drain
  // took (here 3.4 s for 340 completions): the rate over the whole measured time stays the server's 100/s.
  const drained = syntheticRun('drain', [
    { latenciesUs: { r: Array(100).fill(1000) } },
    { latenciesUs: { r: Array(100).fill(1000) } },
    { latenciesUs: { r: Array(100).fill(1000) } },
    { latenciesUs: { r: Array(340).fill(900_000) }, durationMs: 3400 },
  ]);
  const drainedStep = summarizeStep(drained, 100, 'open', 0);
  assert.equal(drainedStep.summary.throughputPerSec, 100);
  assert.equal(drainedStep.summary.count, 640);
  // 900 000 µs lies in the histogram bucket [899 584, 900 095] (width 512 at this magnitude): its top is reported.
  assert.equal(drainedStep.summary.p99Us, 900_095);
  const open = summarizeStep(closedSystem(4), 400, 'open', 0);
  assert.equal(open.little.expectedConcurrency, null);
  assert.ok(Math.abs(open.little.impliedConcurrency - 4) < 0.05);
});

/**
 * An open system whose p99 is 10 ms/(1 − rate/1000): 100 ms at 900/s. The SLO is p99 < 101 ms because the histogram
 * keeps 3 significant digits (100 ms is reported as its bucket's top, 100.06 ms).
 */
function openSystem(rate: number) {
  const p99Us = rate >= 1000 ? 10_000_000 : 10_000 / (1 - rate / 1000);
  const count = Math.max(1, Math.round(rate));
  return syntheticRun(`r${rate}`, Array.from({ length: 5 }, () => ({ latenciesUs: { r: Array(count).fill(p99Us) } })));
}

test('knee search doubles then bisects to the highest rate meeting the SLO', async () => {
  const slo = parseSlo('p99<101ms', 0.01);
  assert.equal(slo.p99MaxUs, 101_000);
  const order: number[] = [];
  const sweep = await kneeSearch(settings('open'), { slo, startRatePerSec: 100, maxRatePerSec: 100_000 }, async (_scenario, rate) => {
    order.push(rate);
    return openSystem(rate);
  });
  // 100, 200, 400, 800 pass; 1600 fails; bisect 1200 ✗, 1000 ✗, 900 ✓, 950 ✗, 925 ✗ → (925 − 900)/900 < 5%.
  assert.deepEqual(order, [100, 200, 400, 800, 1600, 1200, 1000, 900, 950, 925]);
  assert.equal(sweep.knee!.kneeRatePerSec, 900);
  assert.equal(sweep.knee!.firstFailingRatePerSec, 925);
  assert.match(sweep.knee!.stopReason, /converged/);
  assert.deepEqual(sweep.knee!.stepOrder.map((index) => sweep.steps[index]!.level), order);
  assert.deepEqual(sweep.steps.map((step) => step.sloMet), [true, true, true, true, true, false, false, false, false, false]);
  assert.ok(sweepFileSchema.safeParse(sweep).success);
});

test('knee search reports when even the first rate fails, and when the ceiling passes', async () => {
  const slo = parseSlo('p99 < 5ms', 0);
  const failing = await kneeSearch(settings('open'), { slo, startRatePerSec: 100, maxRatePerSec: 1000 }, async (_s, rate) => openSystem(rate));
  assert.equal(failing.knee!.kneeRatePerSec, null);
  assert.equal(failing.steps.length, 1);
  assert.match(failing.knee!.stopReason, /already failed/);
  const ceiling = await kneeSearch(settings('open'), { slo: parseSlo('p99<1s', 0), startRatePerSec: 100, maxRatePerSec: 500 }, async (_s, rate) => openSystem(rate));
  assert.deepEqual(ceiling.steps.map((step) => step.level), [100, 200, 400, 500]);
  assert.equal(ceiling.knee!.kneeRatePerSec, 500);
  assert.equal(ceiling.knee!.firstFailingRatePerSec, null);
  assert.throws(() => parseSlo('p50<1s', 0), /--slo/);
});
