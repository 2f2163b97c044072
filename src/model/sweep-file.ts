/**
 * The sweep file: the versioned JSON document `perfloop sweep` produces. One step per load level (users for the
 * closed model, requests/s for the open model), each summarised from its run file (warm-up excluded), the
 * Little's-law check per step, the USL fit over the steps, and — for a knee search — the SLO and the knee found.
 *
 * Renderers (terminal, HTML report) read only this file; nothing here re-runs load. The run files of the steps are
 * either embedded (`steps[].run`) or referenced by path (`steps[].runPath`), or neither when the sweep was summarised
 * only.
 *
 * JSON has no Infinity: an unbounded quantity (N* when κ = 0, X_max when σ = κ = 0) is `null` and the accompanying
 * `peak` field says why.
 */
import { z } from 'zod';
import { badInput } from '../core/errors.js';
import { runFileSchema } from '../core/run-file.js';

export const SWEEP_FILE_FORMAT = 'perfloop-sweep';
export const SWEEP_FILE_VERSION = 1;

/** Closed model: the level is a number of users (concurrency N). Open model: the level is an arrival rate per second. */
export const loadModelSchema = z.enum(['closed', 'open']);
export type LoadModel = z.infer<typeof loadModelSchema>;

/**
 * Scaling regime of a level under the fitted USL (see src/model/usl-regime.ts):
 * - `linear`: the contention + coherence penalty σ(N−1) + κN(N−1) is below 10% — throughput within ~9% of λN;
 * - `contention`: penalty ≥ 10% and N ≤ N* — still scaling, but sub-linearly (queueing on shared resources);
 * - `coherence`: N > N* — past the peak; adding load lowers throughput (crosstalk / coherency delay dominates).
 */
export const uslRegimeSchema = z.enum(['linear', 'contention', 'coherence']);
export type UslRegime = z.infer<typeof uslRegimeSchema>;

/** One fitted parameter with its standard error and a two-sided confidence interval (t-distribution). */
export const parameterEstimateSchema = z.object({
  value: z.number(),
  standardError: z.number().nonnegative(),
  ciLow: z.number(),
  ciHigh: z.number(),
  /** Set when the estimate sits on a bound of the box (e.g. κ = 0): its SE/CI are then one-sided in truth. */
  atBound: z.enum(['lower', 'upper']).nullable(),
});
export type ParameterEstimate = z.infer<typeof parameterEstimateSchema>;

export const uslPointSchema = z.object({
  /** Concurrency N. */
  n: z.number().positive(),
  throughputPerSec: z.number().nonnegative(),
  predictedPerSec: z.number().nonnegative(),
  /** Observed − predicted. */
  residualPerSec: z.number(),
  regime: uslRegimeSchema,
});
export type UslPoint = z.infer<typeof uslPointSchema>;

export const uslFitConvergedSchema = z.object({
  kind: z.literal('converged'),
  sigma: parameterEstimateSchema,
  kappa: parameterEstimateSchema,
  /** Throughput of one user (X(1)) in requests/s. */
  lambda: parameterEstimateSchema,
  confidenceLevel: z.number().gt(0).lt(1),
  degreesOfFreedom: z.number().int().nonnegative(),
  /** Human-readable active bounds, e.g. ["kappa = 0"]. */
  activeBounds: z.array(z.string()),
  /** σ was allowed below 0 (super-linear data; opt-in). */
  unboundedSigma: z.boolean(),
  /**
   * `finite`: κ > 0, throughput peaks at N* then falls. `asymptote`: κ = 0, σ > 0, throughput approaches λ/σ.
   * `unbounded`: κ = 0, σ ≤ 0: no limit within the model.
   */
  peak: z.enum(['finite', 'asymptote', 'unbounded']),
  /** N* = sqrt((1 − σ)/κ); null when κ = 0 (infinite). */
  nStar: z.number().positive().nullable(),
  /** X(N*) for a finite peak, λ/σ for an asymptote, null when unbounded. */
  xMaxPerSec: z.number().positive().nullable(),
  rSquared: z.number(),
  /** sqrt(SSE / degrees of freedom); 0 when there are no degrees of freedom left. */
  residualStandardErrorPerSec: z.number().nonnegative(),
  iterations: z.number().int().nonnegative(),
  points: z.array(uslPointSchema),
});
export type UslFitConverged = z.infer<typeof uslFitConvergedSchema>;

export const uslFitFailedSchema = z.object({ kind: z.literal('failed'), reason: z.string() });
export type UslFitFailed = z.infer<typeof uslFitFailedSchema>;

export const uslFitSchema = z.discriminatedUnion('kind', [uslFitConvergedSchema, uslFitFailedSchema]);
export type UslFit = z.infer<typeof uslFitSchema>;

/** Little's law check for a step: N ≈ X·(R + Z). */
export const littleCheckSchema = z.object({
  /** X·(R + Z) with X the completion rate, R the mean latency and Z the think time. */
  impliedConcurrency: z.number().nonnegative(),
  /** The configured concurrency (closed model); null for the open model, where it is an output, not an input. */
  expectedConcurrency: z.number().positive().nullable(),
  /** (implied − expected) / expected; null when there is no expectation. */
  relativeError: z.number().nullable(),
  /** True when |relativeError| ≤ tolerance (always true for the open model). */
  consistent: z.boolean(),
});
export type LittleCheck = z.infer<typeof littleCheckSchema>;

export const stepSummarySchema = z.object({
  /** Measured (non-warm-up) time, ms. */
  measuredMs: z.number().nonnegative(),
  count: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  errorRate: z.number().min(0).max(1),
  throughputPerSec: z.number().nonnegative(),
  meanUs: z.number().nonnegative(),
  p50Us: z.number().nonnegative(),
  p90Us: z.number().nonnegative(),
  p99Us: z.number().nonnegative(),
  maxUs: z.number().nonnegative(),
});
export type StepSummary = z.infer<typeof stepSummarySchema>;

export const sweepStepSchema = z.object({
  /** Users (closed) or requests/s (open). */
  level: z.number().positive(),
  summary: stepSummarySchema,
  little: littleCheckSchema,
  /** Knee search only: whether this step met the SLO. */
  sloMet: z.boolean().optional(),
  /** The step's run file, embedded. */
  run: runFileSchema.optional(),
  /** Or the path of the step's run file, relative to the sweep file. */
  runPath: z.string().optional(),
});
export type SweepStep = z.infer<typeof sweepStepSchema>;

export const sloSchema = z.object({
  /** Upper bound on p99 latency, µs. */
  p99MaxUs: z.number().positive(),
  /** Upper bound on the error rate, a fraction in [0, 1]. */
  maxErrorRate: z.number().min(0).max(1),
  /** The SLO as the user wrote it, e.g. "p99<200ms". */
  text: z.string(),
});
export type Slo = z.infer<typeof sloSchema>;

export const kneeResultSchema = z.object({
  slo: sloSchema,
  /** Highest rate that met the SLO; null when even the lowest rate failed. */
  kneeRatePerSec: z.number().positive().nullable(),
  /** Lowest rate that failed the SLO; null when every rate tried passed (search hit its ceiling). */
  firstFailingRatePerSec: z.number().positive().nullable(),
  /** Indices into `steps` in the order the search ran them. */
  stepOrder: z.array(z.number().int().nonnegative()),
  /** Why the search stopped, in words. */
  stopReason: z.string(),
});
export type KneeResult = z.infer<typeof kneeResultSchema>;

export const sweepFileSchema = z.object({
  format: z.literal(SWEEP_FILE_FORMAT),
  version: z.literal(SWEEP_FILE_VERSION),
  id: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  /** The URL or scenario file swept. */
  target: z.string(),
  model: loadModelSchema,
  /** `levels`: the listed levels were run; `knee`: a knee search chose them. */
  mode: z.enum(['levels', 'knee']),
  /** Closed model: think time between a user's requests, ms. */
  thinkTimeMs: z.number().nonnegative(),
  stepDurationMs: z.number().positive(),
  warmupMs: z.number().nonnegative(),
  /** Steps in ascending level order. */
  steps: z.array(sweepStepSchema),
  /**
   * USL fit over the steps: closed model N = users, X = throughput; open model N = implied concurrency X·R.
   * Absent when no fit was attempted; `failed` (with the reason) when there were too few levels (< 4) or the data
   * cannot be fitted.
   */
  fit: uslFitSchema.optional(),
  knee: kneeResultSchema.optional(),
});
export type SweepFile = z.infer<typeof sweepFileSchema>;

/** Validates parsed JSON as a sweep file; errors name the source and the first offending field (exit 2). */
export function parseSweepFile(json: unknown, source: string): SweepFile {
  const parsed = sweepFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw badInput(source, `not a valid perfloop sweep file: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
