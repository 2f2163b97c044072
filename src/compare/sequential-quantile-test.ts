/**
 * Sequential A/B comparison of one latency percentile, decided by always-valid confidence sequences
 * (quantile-confidence-sequence.ts), and the choice of which percentile a sample can support at all.
 *
 * Stopping rule: each arm gets a confidence sequence at α/2, so with probability ≥ 1 − α both hold at every pair of
 * sample sizes at once (union bound) and the interval of the ratio candidate/base, [lowB/highA, highB/lowA], is
 * valid whenever the caller looks. The caller measures in blocks and stops when the decision is not `undecided`, or
 * at its cap. The union bound makes the test conservative (the false-alarm rate is well below α); that is the price
 * of a rule that needs no assumption about the shape of latency distributions.
 */
import { quantileConfidenceSequence, type QuantileInterval } from './quantile-confidence-sequence.js';

/** `equivalent`: the interval lies inside ±minEffect — the change, if any, is too small to matter. */
export type SequentialDecision = 'improved' | 'regressed' | 'equivalent' | 'undecided';

export interface SequentialComparisonOptions {
  /** The percentile judged, e.g. 50 or 99. */
  percentile: number;
  /** Total error probability over all looks (both arms, both directions). Default 0.05. */
  alpha?: number;
  /** Smallest relative change worth a verdict. Default 0.03 (as compare-runs). */
  minEffect?: number;
  /**
   * Per-arm sample size at which the confidence sequences are tightest (the expected decision point). Fixed before
   * the first look; default 100.
   */
  targetPerArm?: number;
}

export const DEFAULT_TARGET_PER_ARM = 100;

export interface SequentialComparison {
  percentile: number;
  alpha: number;
  base: QuantileInterval;
  candidate: QuantileInterval;
  /** candidate / base − 1 at the point estimates. */
  change: number;
  /** Always-valid interval of candidate / base − 1 (±Infinity while unbounded). */
  ciLow: number;
  ciHigh: number;
  /** base − candidate, µs (positive = faster), with its always-valid interval. */
  savingUs: number;
  savingLowUs: number;
  savingHighUs: number;
  decision: SequentialDecision;
  /** Paired: observations the decision rests on (batches of twins) and the share of them that got faster. */
  observations?: number;
  fasterShare?: number;
}

export const DEFAULT_SEQUENTIAL_ALPHA = 0.05;

/** Decision from an always-valid interval of the relative change (lower latency is better). */
export function decide(change: number, ciLow: number, ciHigh: number, minEffect: number): SequentialDecision {
  if (ciHigh < 0 && change <= -minEffect) return 'improved';
  if (ciLow > 0 && change >= minEffect) return 'regressed';
  if (ciLow > -minEffect && ciHigh < minEffect) return 'equivalent';
  return 'undecided';
}

/** Compares the chosen percentile of two samples (µs). Pure; recompute after every block. */
export function compareQuantilesSequentially(base: readonly number[], candidate: readonly number[], options: SequentialComparisonOptions): SequentialComparison {
  const alpha = options.alpha ?? DEFAULT_SEQUENTIAL_ALPHA;
  const minEffect = options.minEffect ?? 0.03;
  const q = options.percentile / 100;
  // The mixture's tuning must not depend on the data seen so far, or the sequence is no longer one martingale.
  const perArm = { alpha: alpha / 2, targetN: options.targetPerArm ?? DEFAULT_TARGET_PER_ARM };
  const a = quantileConfidenceSequence(base, q, perArm);
  const b = quantileConfidenceSequence(candidate, q, perArm);
  const change = a.estimate > 0 ? b.estimate / a.estimate - 1 : Number.NaN;
  // Latencies are positive, so a bound at or below zero is no bound for the ratio.
  const ciLow = a.high > 0 && Number.isFinite(a.high) && b.low > 0 ? b.low / a.high - 1 : -1;
  const ciHigh = a.low > 0 && Number.isFinite(b.high) ? b.high / a.low - 1 : Number.POSITIVE_INFINITY;
  return {
    percentile: options.percentile,
    alpha,
    base: a,
    candidate: b,
    change,
    ciLow,
    ciHigh,
    savingUs: a.estimate - b.estimate,
    savingLowUs: a.low - b.high,
    savingHighUs: a.high - b.low,
    decision: Number.isNaN(change) ? 'undecided' : decide(change, ciLow, ciHigh, minEffect),
  };
}

/** Observations a percentile needs beyond it before it is judged: fewer, and "p99" is one or two requests. */
export const MIN_BEYOND = 10;

/** Smallest per-arm sample that supports percentile p: MIN_BEYOND observations above it (p99 → 1000). */
export function samplesNeededFor(percentile: number, minBeyond = MIN_BEYOND): number {
  // Rounded first: 1 − 0.999 is not exactly 0.001 in binary.
  return Math.ceil(Math.round((minBeyond / (1 - percentile / 100)) * 1e6) / 1e6);
}

export interface PercentileChoice {
  percentile: number;
  /** Plain-language reason, e.g. "p99 needs ≥ 1000 requests per arm; about 140 expected: judging p50". */
  reason: string;
}

/**
 * The highest percentile of `ladder` (descending) that `expectedPerArm` supports; the lowest rung when none does.
 * Chosen before measuring: switching statistics after seeing data would void the stopping rule's guarantee.
 */
export function choosePercentile(expectedPerArm: number, ladder: readonly number[] = [99, 90, 50]): PercentileChoice {
  const sorted = [...ladder].sort((a, b) => b - a);
  const expected = Math.floor(expectedPerArm);
  const skipped: string[] = [];
  for (const percentile of sorted) {
    const needed = samplesNeededFor(percentile);
    if (expected >= needed) {
      const why = skipped.length > 0 ? `${skipped.join(', ')}; ` : '';
      return { percentile, reason: `${why}about ${expected}${why ? '' : ' requests per arm'} expected: judging p${percentile}` };
    }
    skipped.push(`p${percentile} needs ≥ ${needed} requests per arm`);
  }
  const lowest = sorted.at(-1) ?? 50;
  return { percentile: lowest, reason: `${skipped.join(', ')}; only about ${expected} expected: judging p${lowest}, with a wide interval` };
}
