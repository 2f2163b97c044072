/**
 * A validation round's plan, made before it measures: how long its blocks are and how many paired observations
 * its decision is expected to need — from the predicted effect and the spread of the affected population's
 * latencies in the measurement that found the problem (a power calculation for the paired sign rule).
 *
 * Why: a round's time goes on blocks, and every block also pays a warm-up, a switch and a drain. A fix acting on
 * a fifth of the traffic brings ~5 observations per 3 s pair: the confidence sequence needs ≥ 10 before it can
 * decide at all, so short blocks spend most of the round on overhead. A large effect on a large population
 * decides within one short pair, and longer blocks would only waste time. The plan picks the block length that
 * minimises the expected time to a decision; the first pair stays short when a short pair can decide at all, as the
 * prediction may understate. The stopping rule is untouched: under "no change" a twin is as likely faster as
 * slower whatever its block's length, and the sequences' tuning depends only on data measured before the round.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { quantileRankBounds, sampleQuantile } from '../compare/quantile-confidence-sequence.js';

export interface RoundPlanInputs {
  /** Predicted saving of the population's median, µs. */
  predictedUs: number;
  /** The population's latencies in the measurement that found the problem, µs. */
  populationLatenciesUs: readonly number[];
  /** The population's share of the traffic, 0..1. */
  trafficShare: number;
  ratePerSec: number;
  /** Shortest block (the demo's --block), ms; the plan may lengthen it up to three times (BLOCK_FACTORS). */
  blockMs: number;
  /** Per-block cost besides the measured time (warm-up, switch, drain, run file), ms. */
  blockOverheadMs: number;
  roundBudgetMs: number;
  maxPairs: number;
  alpha: number;
  /** Consecutive twins judged as one observation. */
  batchSize: number;
}

export interface RoundPlan {
  /**
   * The first pair's blocks: the shortest (--block) when one such pair could decide at all, so an effect larger
   * than predicted (the models understate some fixes) is found at the shortest block's cost.
   */
  firstBlockMs: number;
  /** Later pairs' blocks. */
  blockMs: number;
  /** Pairs the round is planned to measure (the expected decision point, at most what the budget affords). */
  plannedPairs: number;
  /** Expected requests of the population per arm at `plannedPairs` (tunes the confidence sequences). */
  expectedPerArm: number;
  /** Paired observations a decision is expected to need (Infinity when no effect is predicted). */
  observationsNeeded: number;
  /** Predicted share of observations that get faster. */
  fasterShare: number;
  reason: string;
}

/** Block lengths tried, as multiples of --block: longer than 3× leaves a round one look and no counterbalancing. */
const BLOCK_FACTORS = [1, 1.5, 2, 3] as const;
/**
 * Observations planned per observation needed: the population's count in a block is Poisson, some twins do not
 * match (late, failed) and a block's odd twin drops out of the batches — planning for exactly the number needed
 * left a third of the rounds one observation short (a 6 s block expected 17 writes and got 13).
 */
const PLAN_MARGIN = 1.5;
/** Most observations the power search looks at (beyond that, no round of the demo's size decides). */
const MAX_OBSERVATIONS = 400;

/** Robust spread of ln(latency): 1.4826 × the median absolute deviation (σ for a lognormal). */
export function logSpread(latenciesUs: readonly number[]): number {
  const logs = latenciesUs.filter((value) => value > 0).map((value) => Math.log(value)).sort((a, b) => a - b);
  if (logs.length < 2) return Number.NaN;
  const median = sampleQuantile(logs, 0.5);
  const deviations = logs.map((value) => Math.abs(value - median)).sort((a, b) => a - b);
  return 1.4826 * sampleQuantile(deviations, 0.5);
}

/**
 * Observations the median's confidence sequence needs to exclude "no change" when a share `fasterShare` of them
 * get faster: the smallest n at which that share of n exceeds the sequence's upper rank bound.
 */
export function observationsNeeded(fasterShare: number, alpha: number): number {
  if (!(fasterShare > 0.5)) return Number.POSITIVE_INFINITY;
  for (let n = 1; n <= MAX_OBSERVATIONS; n++) {
    const { sHigh } = quantileRankBounds(n, 0.5, { alpha, targetN: n });
    if (Math.floor(fasterShare * n) >= sHigh + 1) return n;
  }
  return Number.POSITIVE_INFINITY;
}

export function planRound(inputs: RoundPlanInputs): RoundPlan {
  const sorted = [...inputs.populationLatenciesUs].sort((a, b) => a - b);
  const medianUs = sampleQuantile(sorted, 0.5);
  const relative = medianUs > 0 ? Math.min(0.95, Math.max(0, inputs.predictedUs / medianUs)) : 0;
  const logEffect = -Math.log(1 - relative);
  // A twin shares its request (same order, same lines) with its partner, which removes the request-mix part of
  // the spread; the machine's moment is not shared. Assumed: half the variance is shared, so a twin's log-ratio
  // has the population's spread σ, and a batch's mean σ / √batch.
  const spread = logSpread(sorted);
  const observationSpread = (Number.isFinite(spread) && spread > 0 ? spread : 0.5) / Math.sqrt(inputs.batchSize);
  const fasterShare = logEffect > 0 ? normalCdf(logEffect / observationSpread, 0, 1) : 0.5;
  const needed = observationsNeeded(fasterShare, inputs.alpha);
  const observationsPerSec = (inputs.ratePerSec * inputs.trafficShare) / inputs.batchSize;

  let best: { blockMs: number; pairs: number; timeMs: number; affordable: number } | undefined;
  for (const factor of BLOCK_FACTORS) {
    const blockMs = Math.round(inputs.blockMs * factor);
    const pairMs = 2 * (blockMs + inputs.blockOverheadMs);
    const affordable = Math.max(1, Math.min(inputs.maxPairs, Math.floor(inputs.roundBudgetMs / pairMs)));
    const perPair = Math.max(1e-9, Math.floor((observationsPerSec * blockMs) / 1000));
    const pairs = Math.ceil((needed * PLAN_MARGIN) / perPair);
    // Decidable within the budget: the quickest. Not decidable: the most observations the budget buys.
    const timeMs = pairs <= affordable ? pairs * pairMs : Number.POSITIVE_INFINITY;
    const candidate = { blockMs, pairs, timeMs, affordable };
    if (best === undefined) best = candidate;
    else if (Number.isFinite(timeMs) ? timeMs < best.timeMs : !Number.isFinite(best.timeMs) && affordable * blockMs > best.affordable * best.blockMs) best = candidate;
  }
  const chosen = best as NonNullable<typeof best>;
  const plannedPairs = Number.isFinite(chosen.timeMs) ? Math.max(1, chosen.pairs) : chosen.affordable;
  const expectedPerArm = Math.floor(inputs.ratePerSec * inputs.trafficShare * (chosen.blockMs / 1000) * plannedPairs);
  const shortPairDecides = Math.floor((observationsPerSec * inputs.blockMs) / 1000) >= PLAN_MARGIN * observationsNeeded(1, inputs.alpha);
  const firstBlockMs = shortPairDecides ? inputs.blockMs : chosen.blockMs;
  const blocks = firstBlockMs === chosen.blockMs ? `blocks of ${(chosen.blockMs / 1000).toFixed(1)} s` : `blocks of ${(firstBlockMs / 1000).toFixed(1)} s, then ${(chosen.blockMs / 1000).toFixed(1)} s`;
  const reason =
    relative === 0
      ? `no saving predicted on the median: ${blocks}, as many pairs as the budget affords`
      : `predicted ${(relative * 100).toFixed(0)}% faster (log-spread ${spread.toFixed(2)}): ~${(fasterShare * 100).toFixed(0)}% of observations faster, ` +
        (Number.isFinite(needed) ? `~${needed} needed; ${blocks}, ${plannedPairs} pair${plannedPairs === 1 ? '' : 's'} planned` : `more than ${MAX_OBSERVATIONS} needed; ${blocks}, as many pairs as the budget affords`);
  return { firstBlockMs, blockMs: chosen.blockMs, plannedPairs, expectedPerArm, observationsNeeded: needed, fasterShare, reason };
}
