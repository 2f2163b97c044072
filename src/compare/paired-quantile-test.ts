/**
 * Sequential paired A/B comparison: the same requests measured in both arms, judged on the median of their
 * per-request latency ratios, decided by one always-valid confidence sequence (quantile-confidence-sequence.ts).
 *
 * Why paired: an interleaved pair's A and B blocks replay one seeded schedule — the same arrival times, the same
 * request choices, the same order ids — so request i of the A block and request i of the B block differ only by the
 * fix and by the machine's noise at that moment. Comparing each request with its twin cancels the request-mix noise
 * (an order with many lines is slow in both arms), which the pooled per-arm comparison pays for in full; and one
 * sequence at α replaces the union bound over two at α/2. Together they decide a −20% change with about a third of
 * the requests the per-arm rule needs (test/compare/paired-quantile.test.ts measures both on the same draws).
 *
 * What it assumes: under "no effect" each twin's log-ratio is as likely to be negative as positive, independently of
 * the earlier ones — true when the arms are exchangeable, which the round's counterbalanced order (AB, BA, AB, …)
 * protects against a slow drift of the machine. The median ratio is a statistic of pairs, not the ratio of the arms'
 * medians; for a fix that scales the requests it acts on they coincide.
 */
import { quantileConfidenceSequence, sampleQuantile } from './quantile-confidence-sequence.js';
import { DEFAULT_SEQUENTIAL_ALPHA, DEFAULT_TARGET_PER_ARM, decide, type SequentialComparison } from './sequential-quantile-test.js';

/** One request measured in both arms (its twin shares the arrival and the request choice). */
export interface MatchedPair {
  baseUs: number;
  candidateUs: number;
  /** The interleaved pair (block) it was measured in; batches never span two. Default 0. */
  block?: number;
}

export interface PairedComparisonOptions {
  /** Error probability over all looks (both directions). Default 0.05. */
  alpha?: number;
  /** Smallest relative change worth a verdict. Default 0.03. */
  minEffect?: number;
  /** Number of matched pairs at which the sequence is tightest; fixed before the first look. Default 100. */
  targetPairs?: number;
  /**
   * Consecutive twins (in schedule order, within one block) judged as one observation, by their geometric-mean
   * ratio. Neighbouring requests share the machine's moment (a collection, a neighbour's burst), so their ratios are
   * correlated and the sign sequence would count them as independent evidence; batching keeps the false-alarm rate
   * at α when they are (test/compare/paired-quantile.test.ts: lag-1 correlation 0.5, batches of two). A block's
   * trailing partial batch is left out. Default 1.
   */
  batchSize?: number;
}

/**
 * Log-ratios ln(candidate/base) of the pairs, averaged over consecutive runs of `batchSize` within a block. Pairs
 * must come in schedule order. Latencies are positive; a zero (a clock that did not tick) is clamped to 1 µs.
 */
export function batchedLogRatios(pairs: readonly MatchedPair[], batchSize: number): { logRatios: number[]; savingsUs: number[] } {
  const logRatios: number[] = [];
  const savingsUs: number[] = [];
  let batch: MatchedPair[] = [];
  const flush = (): void => {
    logRatios.push(batch.reduce((sum, pair) => sum + Math.log(Math.max(1, pair.candidateUs) / Math.max(1, pair.baseUs)), 0) / batch.length);
    savingsUs.push(batch.reduce((sum, pair) => sum + pair.baseUs - pair.candidateUs, 0) / batch.length);
    batch = [];
  };
  for (const [index, pair] of pairs.entries()) {
    batch.push(pair);
    const next = pairs[index + 1];
    if (batch.length >= batchSize) flush();
    else if (next !== undefined && (next.block ?? 0) !== (pair.block ?? 0)) batch = [];
  }
  return { logRatios, savingsUs };
}

/**
 * Compares matched pairs (µs). `change` and its interval are the median per-request ratio candidate/base − 1;
 * `savingUs` and its interval are the median per-request saving base − candidate (µs), from a second sequence at
 * the same α (it reports the size of the effect; the decision comes from the ratio alone). `base` and `candidate`
 * describe each arm's median over the matched requests (per-arm sequences at α/2, as the unpaired rule's).
 */
export function comparePairedSequentially(pairs: readonly MatchedPair[], options: PairedComparisonOptions = {}): SequentialComparison {
  const alpha = options.alpha ?? DEFAULT_SEQUENTIAL_ALPHA;
  const minEffect = options.minEffect ?? 0.03;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1));
  const sequence = { alpha, targetN: Math.max(1, Math.round((options.targetPairs ?? DEFAULT_TARGET_PER_ARM) / batchSize)) };
  const { logRatios, savingsUs } = batchedLogRatios(pairs, batchSize);
  const ratio = quantileConfidenceSequence(logRatios, 0.5, sequence);
  const saving = quantileConfidenceSequence(savingsUs, 0.5, sequence);
  const perArm = { alpha: alpha / 2, targetN: sequence.targetN };
  const base = quantileConfidenceSequence(
    pairs.map((pair) => pair.baseUs),
    0.5,
    perArm,
  );
  const candidate = quantileConfidenceSequence(
    pairs.map((pair) => pair.candidateUs),
    0.5,
    perArm,
  );
  const change = logRatios.length === 0 ? Number.NaN : Math.expm1(ratio.estimate);
  // exp(−∞) − 1 = −1 and exp(+∞) − 1 = +∞: an unbounded side stays unbounded.
  const ciLow = Math.expm1(ratio.low);
  const ciHigh = Math.expm1(ratio.high);
  return {
    percentile: 50,
    alpha,
    base,
    candidate,
    change,
    ciLow,
    ciHigh,
    savingUs: logRatios.length === 0 ? Number.NaN : saving.estimate,
    savingLowUs: saving.low,
    savingHighUs: saving.high,
    decision: Number.isNaN(change) ? 'undecided' : decide(change, ciLow, ciHigh, minEffect),
    observations: logRatios.length,
    fasterShare: logRatios.length === 0 ? Number.NaN : logRatios.filter((value) => value < 0).length / logRatios.length,
  };
}

/** Median per-request change of a set of pairs (NaN when empty), for the pair-by-pair view. */
export function medianPairedChange(pairs: readonly MatchedPair[]): number {
  const sorted = pairs.map((pair) => Math.log(Math.max(1, pair.candidateUs) / Math.max(1, pair.baseUs))).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : Math.expm1(sampleQuantile(sorted, 0.5));
}
