/**
 * USL fit against published fits of the R `usl` package (Stefan Möding, github.com/smoeding/usl, ≥ 2.0, which fits
 * X(N) = γN/(1 + α(N−1) + βN(N−1)) by bounded NLS with nlsr::nlxb: α = σ, β = κ, γ = λ).
 *
 * Data (Gunther, Guerrilla Capacity Planning, 2007; shipped as datasets of the R package):
 * - raytracer: processors 1,4,8,12,16,20,24,28,32,48,64; throughput 20,78,130,170,190,200,210,230,260,280,310.
 * - specsdm91: load 1,18,36,72,108,144,216; throughput 64.9,995.9,1652.4,1853.2,1828.9,1775.0,1702.2 (the R package's
 *   tests/residuals.Rout.save prints residuals −25.10 −81.66 111.09 3.05 −49.99 −46.60 56.00, which pin these values).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitUsl, predictUsl } from '../../src/model/fit-usl.js';
import type { UslFitConverged } from '../../src/model/sweep-file.js';
import { uslFitSchema } from '../../src/model/sweep-file.js';

const RAYTRACER = { n: [1, 4, 8, 12, 16, 20, 24, 28, 32, 48, 64], x: [20, 78, 130, 170, 190, 200, 210, 230, 260, 280, 310] };
const SPECSDM91 = { n: [1, 18, 36, 72, 108, 144, 216], x: [64.9, 995.9, 1652.4, 1853.2, 1828.9, 1775.0, 1702.2] };

const points = (data: { n: number[]; x: number[] }) => data.n.map((n, i) => ({ n, throughputPerSec: data.x[i]! }));

function converged(data: { n: number[]; x: number[] }, options = {}): UslFitConverged {
  const fit = fitUsl(points(data), options);
  assert.equal(fit.kind, 'converged', fit.kind === 'failed' ? fit.reason : '');
  assert.ok(uslFitSchema.safeParse(fit).success, 'fit matches the sweep-file schema');
  return fit as UslFitConverged;
}

function assertRelative(actual: number, expected: number, tolerance: number, what: string): void {
  const relative = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(relative <= tolerance, `${what}: ${actual} vs ${expected} (relative error ${relative.toExponential(2)} > ${tolerance})`);
}

test('specsdm91 reproduces R usl (nlxb): coefficients, standard errors, residuals, R²', () => {
  const fit = converged(SPECSDM91);
  // tests/usl-nlxb.Rout.save: alpha 0.0277285 (SE 0.0091217), beta 0.0001044 (SE 0.0000199), gamma 89.9952330 (SE 14.2134894).
  assertRelative(fit.sigma.value, 0.0277285, 1e-4, 'sigma');
  assertRelative(fit.lambda.value, 89.995233, 1e-4, 'lambda');
  // beta is printed with 4 significant digits only: it is checked to that precision (±0.00000005 / 0.0001044).
  assertRelative(fit.kappa.value, 0.0001044, 5e-4, 'kappa');
  assertRelative(fit.sigma.standardError, 0.0091217, 1e-4, 'SE sigma');
  assertRelative(fit.lambda.standardError, 14.2134894, 1e-4, 'SE lambda');
  assertRelative(fit.kappa.standardError, 0.0000199, 3e-3, 'SE kappa');
  // tests/summary.Rout.save: residual standard error 82.85 on 4 degrees of freedom, R² 0.9896.
  assert.equal(fit.degreesOfFreedom, 4);
  assertRelative(fit.residualStandardErrorPerSec, 82.85, 1e-4, 'residual SE');
  assert.ok(Math.abs(fit.rSquared - 0.9896) < 5e-5, `R² ${fit.rSquared}`);
  const expectedResiduals = [-25.1, -81.66, 111.09, 3.05, -49.99, -46.6, 56.0];
  fit.points.forEach((point, i) => assert.ok(Math.abs(point.residualPerSec - expectedResiduals[i]!) < 0.006, `residual ${i}: ${point.residualPerSec}`));
  // tests/peak-scalability.Rout.save: signif(peak.scalability(u), 2) = 97.
  assert.equal(Number(fit.nStar!.toPrecision(2)), 97);
  assert.deepEqual(fit.activeBounds, []);
  assert.equal(fit.peak, 'finite');
});

test('raytracer lands on the bound kappa = 0 and reproduces R usl confint', () => {
  const fit = converged(RAYTRACER);
  // tests/confint.Rout.save: coef alpha 0.0578, beta 0.0000, gamma 21.8488; confint (95%):
  // alpha [0.033677, 0.081864], beta [-0.000214, 0.000214], gamma [17.868380, 25.829306].
  // R usl's confint (R/confint.R) is coef ± SE·qt(level, n−1) = SE·qt(0.95, 10) = SE·1.812461: the standard errors
  // are recovered from those intervals exactly; our own intervals use the two-sided t with n−3 df, as nls does.
  assert.equal(fit.kappa.value, 0);
  assert.equal(fit.kappa.atBound, 'lower');
  assert.deepEqual(fit.activeBounds, ['kappa = 0']);
  assertRelative(fit.sigma.value, (0.033677 + 0.081864) / 2, 1e-4, 'sigma');
  assertRelative(fit.lambda.value, (17.86838 + 25.829306) / 2, 1e-4, 'lambda');
  const qt95df10 = 1.812461123;
  assertRelative(fit.sigma.standardError, (0.081864 - 0.033677) / 2 / qt95df10, 1e-4, 'SE sigma');
  assertRelative(fit.lambda.standardError, (25.829306 - 17.86838) / 2 / qt95df10, 1e-4, 'SE lambda');
  assertRelative(fit.kappa.standardError, 0.000214 / qt95df10, 3e-3, 'SE kappa');
  // Two-sided 95% t-interval with 8 df: qt(0.975, 8) = 2.306004.
  assertRelative(fit.sigma.ciHigh - fit.sigma.value, 2.306004 * fit.sigma.standardError, 1e-6, 'sigma CI half-width');
  // κ = 0: Amdahl's law, no finite peak; X approaches λ/σ.
  assert.equal(fit.peak, 'asymptote');
  assert.equal(fit.nStar, null);
  assertRelative(fit.xMaxPerSec!, fit.lambda.value / fit.sigma.value, 1e-12, 'xMax');
});

test('R usl tests/coef.R synthetic data: alpha = beta = 0.02, gamma = 1 (3 significant digits)', () => {
  // tests/coef.Rout.save: load 1,2,4,6,8,10; tput 1,1.8868,3.0769,3.5294,3.5398,3.3557 → coef 0.02 0.02 1.00.
  const fit = converged({ n: [1, 2, 4, 6, 8, 10], x: [1, 1.8868, 3.0769, 3.5294, 3.5398, 3.3557] });
  assert.equal(Number(fit.sigma.value.toPrecision(3)), 0.02);
  assert.equal(Number(fit.kappa.value.toPrecision(3)), 0.02);
  assert.equal(Number(fit.lambda.value.toPrecision(3)), 1);
  // N* = sqrt(0.98/0.02) = 7 users; regimes: N=1,2 linear (penalty 0 and 0.06), 4,6 contention, 8,10 past the peak.
  assertRelative(fit.nStar!, 7, 1e-3, 'N*');
  assert.deepEqual(fit.points.map((point) => point.regime), ['linear', 'linear', 'contention', 'contention', 'coherence', 'coherence']);
  // X(7) = 7 / (1 + 0.02·6 + 0.02·42) = 7/1.96 = 3.5714.
  assertRelative(fit.xMaxPerSec!, 7 / 1.96, 1e-3, 'X max');
});

test('perfectly linear data lands on sigma = kappa = 0 with an exact fit, and reports no NaN', () => {
  const fit = converged({ n: [1, 2, 4, 8, 16], x: [100, 200, 400, 800, 1600] });
  assert.equal(fit.sigma.value, 0);
  assert.equal(fit.kappa.value, 0);
  assertRelative(fit.lambda.value, 100, 1e-9, 'lambda');
  assert.deepEqual(fit.activeBounds, ['sigma = 0', 'kappa = 0']);
  assert.equal(fit.peak, 'unbounded');
  assert.equal(fit.nStar, null);
  assert.equal(fit.xMaxPerSec, null);
  assert.equal(fit.rSquared, 1);
  assert.ok(fit.residualStandardErrorPerSec < 1e-6);
  assert.ok(fit.points.every((point) => point.regime === 'linear'));
  assert.ok(!JSON.stringify(fit).includes('null,"ciLow"') && !/NaN|Infinity/.test(JSON.stringify(fit)));
});

test('super-linear data: bounded fit pins sigma at 0; opt-in unbounded sigma goes negative', () => {
  // Generated from σ = −0.02, κ = 0.0005, λ = 10 (exact), so the unbounded fit recovers them.
  const truth = { sigma: -0.02, kappa: 0.0005, lambda: 10 };
  const n = [1, 2, 4, 8, 12, 16];
  const x = n.map((users) => (truth.lambda * users) / (1 + truth.sigma * (users - 1) + truth.kappa * users * (users - 1)));
  const bounded = converged({ n, x });
  assert.equal(bounded.sigma.value, 0);
  assert.equal(bounded.unboundedSigma, false);
  const unbounded = converged({ n, x }, { unboundedSigma: true });
  assert.equal(unbounded.unboundedSigma, true);
  assertRelative(unbounded.sigma.value, -0.02, 1e-6, 'sigma');
  assertRelative(unbounded.kappa.value, 0.0005, 1e-6, 'kappa');
  assertRelative(unbounded.lambda.value, 10, 1e-6, 'lambda');
  assert.ok(unbounded.rSquared > bounded.rSquared);
});

test('unfittable inputs fail with a reason instead of NaN', () => {
  const cases: [number[], number[], RegExp][] = [
    [[1, 2, 4], [1, 2, 4], /at least 4 points/],
    [[1, 1, 2, 2], [1, 1, 2, 2], /3 distinct/],
    [[1, 2, 4, 8], [0, 0, 0, 0], /every throughput is 0/],
    [[1, 2, -4, 8], [1, 2, 3, 4], /point 2: N must be a positive/],
    [[1, 2, 4, 8], [1, Number.NaN, 3, 4], /point 1: throughput/],
  ];
  for (const [n, x, reason] of cases) {
    const fit = fitUsl(points({ n, x }));
    assert.equal(fit.kind, 'failed');
    if (fit.kind === 'failed') assert.match(fit.reason, reason);
  }
});

test('predictions: throughput from the fit, latency by Little’s law R = N/X − Z', () => {
  const fit = converged({ n: [1, 2, 4, 6, 8, 10], x: [1, 1.8868, 3.0769, 3.5294, 3.5398, 3.3557] });
  const prediction = predictUsl(fit, 20, 1000);
  // X(20) = 20 / (1 + 0.02·19 + 0.02·380) = 20/8.98 = 2.2272/s; R = 20/2.2272 s − 1 s = 7.98 s.
  assertRelative(prediction.throughputPerSec, 20 / 8.98, 2e-3, 'X(20)');
  assertRelative(prediction.latencyMs, 8980 - 1000, 2e-3, 'R(20)');
});
