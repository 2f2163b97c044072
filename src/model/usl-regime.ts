/**
 * The Universal Scalability Law's throughput function, its peak, and the scaling regime of a load level.
 *
 *   X(N) = λN / (1 + σ(N−1) + κN(N−1))
 *
 * σ (contention) is the serial fraction: queueing for a shared resource. κ (coherence) is the pairwise crosstalk
 * cost of keeping shared state consistent; it grows with N² and is what makes throughput go retrograde.
 */
import type { UslRegime } from './sweep-file.js';

export interface UslParameters {
  sigma: number;
  kappa: number;
  /** Throughput of a single user, per second. */
  lambda: number;
}

/** The USL penalty term σ(N−1) + κN(N−1): how far the denominator is above 1 (linear scaling). */
export const uslPenalty = (params: Pick<UslParameters, 'sigma' | 'kappa'>, n: number): number =>
  params.sigma * (n - 1) + params.kappa * n * (n - 1);

/** X(N) per second; 0 where the model's denominator is not positive (only possible with an unbounded σ < 0). */
export function uslThroughput(params: UslParameters, n: number): number {
  const denominator = 1 + uslPenalty(params, n);
  return denominator > 0 ? (params.lambda * n) / denominator : 0;
}

export type UslPeak =
  | { kind: 'finite'; nStar: number; xMaxPerSec: number }
  | { kind: 'asymptote'; xMaxPerSec: number }
  | { kind: 'unbounded' };

/**
 * Where throughput peaks. κ > 0: at N* = sqrt((1−σ)/κ), clamped to ≥ 1 because a load below one user is not a load
 * (σ = 1 puts the peak at N = 1). κ = 0 and σ > 0: Amdahl's law, X approaches λ/σ and never peaks.
 * κ = 0 and σ ≤ 0: no limit within the model.
 */
export function uslPeak(params: UslParameters): UslPeak {
  if (params.kappa > 0) {
    const nStar = Math.max(1, Math.sqrt(Math.max(0, 1 - params.sigma) / params.kappa));
    return { kind: 'finite', nStar, xMaxPerSec: uslThroughput(params, nStar) };
  }
  if (params.sigma > 0 && params.lambda > 0) return { kind: 'asymptote', xMaxPerSec: params.lambda / params.sigma };
  return { kind: 'unbounded' };
}

/** Penalty below which a level counts as linear: X within 1/1.1 ≈ 91% of λN. */
export const LINEAR_PENALTY_LIMIT = 0.1;

/**
 * Regime of a level: `coherence` past the peak (N > N*: more load, less throughput); otherwise `linear` while the
 * penalty σ(N−1) + κN(N−1) stays below 10% (throughput within ~9% of λN); otherwise `contention` (still scaling,
 * sub-linearly). Coherence is judged by position relative to N* rather than by which term is larger, because what
 * an operator needs to know is whether adding load still pays.
 */
export function uslRegime(params: UslParameters, n: number): UslRegime {
  const peak = uslPeak(params);
  if (peak.kind === 'finite' && n > peak.nStar) return 'coherence';
  return uslPenalty(params, n) < LINEAR_PENALTY_LIMIT ? 'linear' : 'contention';
}
