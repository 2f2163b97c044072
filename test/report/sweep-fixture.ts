/**
 * A sweep file with a known USL fit (σ = 0.05, κ = 0.001, λ = 100/s → N* = √(0.95/0.001) ≈ 30.82), measured
 * points generated from the model itself, validated by sweepFileSchema.
 */
import { sweepFileSchema, type SweepFile } from '../../src/model/sweep-file.js';

const SIGMA = 0.05;
const KAPPA = 0.001;
const LAMBDA = 100;
export const LEVELS = [1, 5, 10, 20, 40] as const;
export const modelThroughput = (n: number): number => (LAMBDA * n) / (1 + SIGMA * (n - 1) + KAPPA * n * (n - 1));

const estimate = (value: number) => ({ value, standardError: 0, ciLow: value, ciHigh: value, atBound: null });

export function sampleSweep(): SweepFile {
  const nStar = Math.sqrt((1 - SIGMA) / KAPPA);
  return sweepFileSchema.parse({
    format: 'perfloop-sweep',
    version: 1,
    id: 'sweep-1',
    startedAt: '2026-11-23T18:00:00.000Z',
    endedAt: '2026-11-23T18:05:00.000Z',
    target: 'http://127.0.0.1:1/',
    model: 'closed',
    mode: 'levels',
    thinkTimeMs: 0,
    stepDurationMs: 30_000,
    warmupMs: 5000,
    steps: LEVELS.map((n) => {
      const throughputPerSec = modelThroughput(n);
      const meanUs = (n / throughputPerSec) * 1e6;
      return {
        level: n,
        summary: { measuredMs: 30_000, count: Math.round(throughputPerSec * 30), errors: 0, errorRate: 0, throughputPerSec, meanUs, p50Us: meanUs, p90Us: meanUs * 1.5, p99Us: meanUs * 3, maxUs: meanUs * 5 },
        little: { impliedConcurrency: n, expectedConcurrency: n, relativeError: 0, consistent: true },
      };
    }),
    fit: {
      kind: 'converged',
      sigma: estimate(SIGMA),
      kappa: estimate(KAPPA),
      lambda: estimate(LAMBDA),
      confidenceLevel: 0.95,
      degreesOfFreedom: 2,
      activeBounds: [],
      unboundedSigma: false,
      peak: 'finite',
      nStar,
      xMaxPerSec: modelThroughput(nStar),
      rSquared: 1,
      residualStandardErrorPerSec: 0,
      iterations: 7,
      points: LEVELS.map((n) => ({ n, throughputPerSec: modelThroughput(n), predictedPerSec: modelThroughput(n), residualPerSec: 0, regime: n > nStar ? 'coherence' : n < 3 ? 'linear' : 'contention' })),
    },
  });
}
