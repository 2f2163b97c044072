/**
 * Fits the Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) to (N, X) observations by bounded
 * non-linear least squares on X (not on normalised capacity), with σ, κ ∈ [0, 1] and λ ≥ 0 — the same problem the R
 * `usl` package (≥ 2.0) solves with nlsr::nlxb, whose published fits the tests reproduce.
 *
 * Why hand-written: no maintained TypeScript optimiser does *bounded* NLS with an active set and gives the Jacobian
 * needed for standard errors (ml-levenberg-marquardt clamps parameters after each step, which stalls on a bound
 * and reports no uncertainty). With three parameters a careful Levenberg–Marquardt is ~100 lines:
 * - Marquardt scaling (damping ∝ diag JᵀJ), because κ (~1e-4) and λ (~1e2) differ by six orders of magnitude;
 * - an active set: a parameter on a bound whose gradient pushes outward is frozen for the step, and every trial
 *   point is projected onto the box, so a fit that belongs on a bound (κ = 0 for Amdahl-like data) lands exactly on it;
 * - several starting points, keeping the best, because the surface is not convex.
 *
 * Uncertainty follows R's nls/usl: SE = sqrt(diag((JᵀJ)⁻¹) · SSE/(n−3)) with the full Jacobian at the solution (also
 * for parameters on a bound, where the Wald interval is only indicative — flagged by `atBound`), and two-sided
 * t-intervals with n−3 degrees of freedom. Intervals are not clipped to the box (as in R's `confint`).
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { ParameterEstimate, UslFit, UslFitConverged, UslPoint } from './sweep-file.js';
import { invertMatrix, solveLinearSystem } from './solve-linear-system.js';
import { uslPeak, uslRegime, uslThroughput, type UslParameters } from './usl-regime.js';

export interface UslObservation {
  /** Concurrency (users, threads, processors). */
  n: number;
  throughputPerSec: number;
}

export interface FitUslOptions {
  /** Allow σ < 0 (super-linear data, e.g. a cache that warms with load). Default false: σ ∈ [0, 1]. */
  unboundedSigma?: boolean;
  /** Two-sided confidence level of the parameter intervals. Default 0.95. */
  confidenceLevel?: number;
}

type Vector3 = [number, number, number];
const NAMES = ['sigma', 'kappa', 'lambda'] as const;
const MAX_ITERATIONS = 1000;
/** Lower bound for σ when unbounded: the denominator must stay positive anyway, which the fit enforces. */
const UNBOUNDED_SIGMA_LOWER = -1;

interface Box {
  lower: Vector3;
  upper: Vector3;
}

const toParams = (p: Vector3): UslParameters => ({ sigma: p[0], kappa: p[1], lambda: p[2] });

/** Sum of squared residuals; Infinity when the denominator is not positive at some observed N (σ < 0 only). */
function sumOfSquares(p: Vector3, points: readonly UslObservation[]): number {
  let sse = 0;
  for (const { n, throughputPerSec } of points) {
    const denominator = 1 + p[0] * (n - 1) + p[1] * n * (n - 1);
    if (!(denominator > 0)) return Infinity;
    const residual = throughputPerSec - (p[2] * n) / denominator;
    sse += residual * residual;
  }
  return sse;
}

/** Jacobian rows ∂X/∂(σ, κ, λ) and residuals at p. */
function jacobian(p: Vector3, points: readonly UslObservation[]): { rows: Vector3[]; residuals: number[] } {
  const rows: Vector3[] = [];
  const residuals: number[] = [];
  for (const { n, throughputPerSec } of points) {
    const denominator = 1 + p[0] * (n - 1) + p[1] * n * (n - 1);
    const squared = denominator * denominator;
    rows.push([(-p[2] * n * (n - 1)) / squared, (-p[2] * n * n * (n - 1)) / squared, n / denominator]);
    residuals.push(throughputPerSec - (p[2] * n) / denominator);
  }
  return { rows, residuals };
}

function normalEquations(rows: readonly Vector3[], residuals: readonly number[]): { jtj: number[][]; jtr: number[] } {
  const jtj = [0, 1, 2].map(() => [0, 0, 0]);
  const jtr = [0, 0, 0];
  rows.forEach((row, k) => {
    const residual = residuals[k] ?? 0;
    row.forEach((rowI, i) => {
      jtr[i] = (jtr[i] ?? 0) + rowI * residual;
      const line = jtj[i] ?? [];
      row.forEach((rowJ, j) => (line[j] = (line[j] ?? 0) + rowI * rowJ));
    });
  });
  return { jtj, jtr };
}

const project = (p: Vector3, box: Box): Vector3 => p.map((value, i) => Math.min(box.upper[i]!, Math.max(box.lower[i]!, value))) as Vector3;

interface LocalFit {
  p: Vector3;
  sse: number;
  iterations: number;
}

/** Projected, active-set Levenberg–Marquardt from one start. */
function levenbergMarquardt(start: Vector3, points: readonly UslObservation[], box: Box): LocalFit {
  let p = project(start, box);
  let sse = sumOfSquares(p, points);
  let damping = 1e-3;
  let iterations = 0;
  while (iterations < MAX_ITERATIONS && sse > 0 && Number.isFinite(sse)) {
    iterations++;
    const { rows, residuals } = jacobian(p, points);
    const { jtj, jtr } = normalEquations(rows, residuals);
    // jtr[i] > 0 means increasing parameter i lowers the SSE. A parameter on a bound that would be pushed through it
    // is frozen (active); the others take the LM step.
    const free = [0, 1, 2].filter((i) => !((p[i] === box.lower[i] && jtr[i]! <= 0) || (p[i] === box.upper[i] && jtr[i]! >= 0)));
    if (free.length === 0) break;
    let improved = false;
    while (damping < 1e30) {
      const system = free.map((i) => free.map((j) => jtj[i]![j]! + (i === j ? damping * Math.max(jtj[i]![i]!, 1e-300) : 0)));
      const step = solveLinearSystem(system, free.map((i) => jtr[i]!));
      if (step) {
        const trial = [...p] as Vector3;
        free.forEach((i, k) => (trial[i] = (trial[i] ?? 0) + (step[k] ?? 0)));
        const projected = project(trial, box);
        const trialSse = sumOfSquares(projected, points);
        if (trialSse < sse) {
          const relativeChange = Math.max(...projected.map((value, i) => Math.abs(value - p[i]!) / Math.max(Math.abs(value), 1e-12)));
          const relativeGain = (sse - trialSse) / sse;
          p = projected;
          sse = trialSse;
          damping = Math.max(damping / 3, 1e-12);
          improved = true;
          if (relativeGain < 1e-15 && relativeChange < 1e-12) return { p, sse, iterations };
          break;
        }
      }
      damping *= 4;
    }
    // No damping gives a lower SSE: p is a (projected) stationary point to machine precision.
    if (!improved) break;
  }
  return { p, sse, iterations };
}

function estimate(value: number, standardError: number, tCritical: number, lower: number, upper: number): ParameterEstimate {
  return {
    value,
    standardError,
    ciLow: value - tCritical * standardError,
    ciHigh: value + tCritical * standardError,
    atBound: value === lower ? 'lower' : value === upper ? 'upper' : null,
  };
}

/** Validates the observations; returns a reason when they cannot be fitted. */
function invalidReason(points: readonly UslObservation[]): string | null {
  for (const [index, point] of points.entries()) {
    if (!Number.isFinite(point.n) || point.n <= 0) return `point ${index}: N must be a positive number, got ${point.n}`;
    if (!Number.isFinite(point.throughputPerSec) || point.throughputPerSec < 0) {
      return `point ${index}: throughput must be a non-negative number, got ${point.throughputPerSec}`;
    }
  }
  if (points.length < 4) return `need at least 4 points to fit 3 parameters with an error estimate, got ${points.length}`;
  if (new Set(points.map((point) => point.n)).size < 3) return 'need at least 3 distinct values of N';
  if (points.every((point) => point.throughputPerSec === 0)) return 'every throughput is 0';
  return null;
}

/** Fits the USL; never throws and never returns NaN: an unfittable input is `{ kind: 'failed', reason }`. */
export function fitUsl(points: readonly UslObservation[], options: FitUslOptions = {}): UslFit {
  const reason = invalidReason(points);
  if (reason) return { kind: 'failed', reason };
  const confidenceLevel = options.confidenceLevel ?? 0.95;
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) return { kind: 'failed', reason: `confidence level must be in (0, 1), got ${confidenceLevel}` };
  const unboundedSigma = options.unboundedSigma ?? false;
  const box: Box = { lower: [unboundedSigma ? UNBOUNDED_SIGMA_LOWER : 0, 0, 0], upper: [1, 1, Number.MAX_VALUE] };

  // λ starts where R's usl starts it (the best per-user throughput seen); σ, κ from a small grid.
  const lambdaStart = Math.max(...points.map((point) => point.throughputPerSec / point.n));
  const starts: Vector3[] = [];
  for (const sigma of [0.01, 0.1, 0.5]) for (const kappa of [1e-4, 1e-2, 0]) starts.push([sigma, kappa, lambdaStart]);
  if (unboundedSigma) starts.push([-0.01, 1e-4, lambdaStart]);
  let best: LocalFit | null = null;
  let totalIterations = 0;
  for (const start of starts) {
    const local = levenbergMarquardt(start, points, box);
    totalIterations += local.iterations;
    if (Number.isFinite(local.sse) && (best === null || local.sse < best.sse)) best = local;
  }
  if (!best) return { kind: 'failed', reason: 'no starting point gave a finite fit' };

  const { rows, residuals } = jacobian(best.p, points);
  const { jtj } = normalEquations(rows, residuals);
  const covarianceUnscaled = invertMatrix(jtj);
  if (!covarianceUnscaled) return { kind: 'failed', reason: 'parameters not identifiable at the solution (singular Jacobian)' };
  const degreesOfFreedom = points.length - 3;
  const residualVariance = best.sse / degreesOfFreedom;
  const tCritical = tQuantile(1 - (1 - confidenceLevel) / 2, degreesOfFreedom);
  const standardErrors = [0, 1, 2].map((i) => Math.sqrt(Math.max(0, covarianceUnscaled[i]![i]! * residualVariance)));
  if (!standardErrors.every(Number.isFinite) || !Number.isFinite(tCritical)) return { kind: 'failed', reason: 'standard errors are not finite' };
  const [sigma, kappa, lambda] = [0, 1, 2].map((i) => estimate(best.p[i]!, standardErrors[i]!, tCritical, box.lower[i]!, box.upper[i]!)) as [
    ParameterEstimate,
    ParameterEstimate,
    ParameterEstimate,
  ];
  const activeBounds = [sigma, kappa, lambda].flatMap((parameter, i) =>
    parameter.atBound === null ? [] : [`${NAMES[i]} = ${parameter.atBound === 'lower' ? box.lower[i] : box.upper[i]}`],
  );
  const params = toParams(best.p);
  const peak = uslPeak(params);
  const mean = points.reduce((sum, point) => sum + point.throughputPerSec, 0) / points.length;
  const totalSumOfSquares = points.reduce((sum, point) => sum + (point.throughputPerSec - mean) ** 2, 0);
  const fitPoints: UslPoint[] = points.map((point) => {
    const predictedPerSec = uslThroughput(params, point.n);
    return { n: point.n, throughputPerSec: point.throughputPerSec, predictedPerSec, residualPerSec: point.throughputPerSec - predictedPerSec, regime: uslRegime(params, point.n) };
  });
  const fit: UslFitConverged = {
    kind: 'converged',
    sigma,
    kappa,
    lambda,
    confidenceLevel,
    degreesOfFreedom,
    activeBounds,
    unboundedSigma,
    peak: peak.kind,
    nStar: peak.kind === 'finite' ? peak.nStar : null,
    xMaxPerSec: peak.kind === 'unbounded' ? null : peak.xMaxPerSec,
    // A flat series (all X equal) has no variance to explain: R² is 1 for an exact fit, else 0.
    rSquared: totalSumOfSquares > 0 ? 1 - best.sse / totalSumOfSquares : best.sse === 0 ? 1 : 0,
    residualStandardErrorPerSec: Math.sqrt(residualVariance),
    iterations: totalIterations,
    points: fitPoints,
  };
  return fit;
}

/** The fitted parameters as plain numbers. */
export const uslParametersOf = (fit: UslFitConverged): UslParameters => ({ sigma: fit.sigma.value, kappa: fit.kappa.value, lambda: fit.lambda.value });

export interface UslPrediction {
  n: number;
  throughputPerSec: number;
  /**
   * Mean latency by Little's law for a closed system, R = N/X − Z, in ms. Clamped at 0: a negative value only means
   * the model's X exceeds what N users with think time Z could ever offer.
   */
  latencyMs: number;
}

/** Predicted throughput and mean latency at concurrency N (closed model with think time Z). */
export function predictUsl(fit: UslFitConverged, n: number, thinkTimeMs = 0): UslPrediction {
  const throughputPerSec = uslThroughput(uslParametersOf(fit), n);
  const latencyMs = throughputPerSec > 0 ? Math.max(0, (n / throughputPerSec) * 1000 - thinkTimeMs) : Infinity;
  return { n, throughputPerSec, latencyMs: Number.isFinite(latencyMs) ? latencyMs : Number.MAX_VALUE };
}
