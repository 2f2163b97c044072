/**
 * Always-valid (time-uniform) confidence sequences for a quantile, after Howard & Ramdas, "Sequential estimation
 * of quantiles with applications to A/B-testing and best-arm identification" (Bernoulli 2022).
 *
 * Why: a fixed-sample confidence interval is valid once, at a sample size chosen in advance. Looking after every
 * block of measurements and stopping when it excludes zero inflates the false-alarm rate well beyond α (five looks
 * at 5% each give ~14%). A confidence sequence holds at every sample size simultaneously with probability ≥ 1 − α,
 * so a run may stop as soon as it decides, or at a cap, without paying for the looks.
 *
 * Construction: for the true q-quantile θ of a continuous distribution, Xᵢ = 1{Yᵢ ≤ θ} are iid Bernoulli(q). The
 * beta-binomial mixture of likelihood ratios, M_n = B(a + S, b + n − S) / (B(a, b) · q^S · (1 − q)^(n−S)) with
 * S = ΣXᵢ and a Beta(a, b) prior centred on q, is a non-negative martingale under the null with M_0 = 1, so by
 * Ville's inequality P(∃n: M_n ≥ 1/α) ≤ α. The counts S that keep M_n < 1/α form an interval [sLow, sHigh]
 * (log M_n is convex in S); on that event at least sLow observations lie at or below θ and at most sHigh do, so
 * θ ∈ [Y₍sLow₎, Y₍sHigh+1₎] for every n at once (an order statistic past either end is ∓∞).
 */
import gammaln from '@stdlib/math-base-special-gammaln';

export interface ConfidenceSequenceOptions {
  /** Error probability over all sample sizes together (two-sided). */
  alpha: number;
  /**
   * Sample size at which the boundary is tightest. The prior's concentration follows from it; any value keeps the
   * guarantee, a good one narrows the interval where the decision is expected to fall. Default 100.
   */
  targetN?: number;
}

/** Counts S with M_n(S) < 1/α: the order-statistic ranks that bound the quantile at sample size n. */
export interface RankBounds {
  /** The quantile is ≥ the sLow-th smallest value (0: no lower bound yet). */
  sLow: number;
  /** The quantile is < the (sHigh + 1)-th smallest value (sHigh = n: no upper bound yet). */
  sHigh: number;
}

const lnBeta = (a: number, b: number): number => gammaln(a) + gammaln(b) - gammaln(a + b);

/**
 * Prior concentration a + b of the beta mixture tuned for `targetN`: the prior's spread matches the deviation the
 * boundary sees at that size — the conjugate analogue of Howard et al.'s ρ = V / (2 log(1/α) + log(1 + 2 log(1/α))).
 */
export function mixtureConcentration(targetN: number, alpha: number): number {
  const logInverse = Math.log(1 / alpha);
  return Math.max(2, targetN / (2 * logInverse + Math.log(1 + 2 * logInverse)));
}

/** log M_n for S successes in n trials against Bernoulli(q), beta prior with mean q and concentration c. */
export function logMixtureMartingale(successes: number, n: number, q: number, concentration: number): number {
  const a = q * concentration;
  const b = (1 - q) * concentration;
  return lnBeta(a + successes, b + n - successes) - lnBeta(a, b) - successes * Math.log(q) - (n - successes) * Math.log(1 - q);
}

/** The rank bounds of a confidence sequence for the q-quantile at sample size n. */
export function quantileRankBounds(n: number, q: number, options: ConfidenceSequenceOptions): RankBounds {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile must be in (0, 1), got ${q}`);
  if (!(options.alpha > 0 && options.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${options.alpha}`);
  if (n <= 0) return { sLow: 0, sHigh: n };
  const concentration = mixtureConcentration(options.targetN ?? 100, options.alpha);
  const threshold = Math.log(1 / options.alpha);
  const inside = (s: number): boolean => logMixtureMartingale(s, n, q, concentration) < threshold;
  // log M is convex in S with its minimum near n·q: walk outwards from there by bisection on each side.
  const centre = Math.min(n, Math.max(0, Math.round(n * q)));
  if (!inside(centre)) {
    // Only possible for tiny n with extreme q; no count can be excluded then.
    return { sLow: 0, sHigh: n };
  }
  const lowest = (): number => {
    if (inside(0)) return 0;
    let outside = 0;
    let within = centre;
    while (within - outside > 1) {
      const middle = Math.floor((outside + within) / 2);
      if (inside(middle)) within = middle;
      else outside = middle;
    }
    return within;
  };
  const highest = (): number => {
    if (inside(n)) return n;
    let within = centre;
    let outside = n;
    while (outside - within > 1) {
      const middle = Math.floor((outside + within) / 2);
      if (inside(middle)) within = middle;
      else outside = middle;
    }
    return within;
  };
  return { sLow: lowest(), sHigh: highest() };
}

export interface QuantileInterval {
  /** The sample quantile (nearest rank), NaN for an empty sample. */
  estimate: number;
  /** Lower bound; −Infinity while the sample cannot bound it. */
  low: number;
  /** Upper bound; +Infinity while the sample cannot bound it. */
  high: number;
  n: number;
}

/** Nearest-rank sample quantile of sorted values. */
export function sampleQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * The confidence sequence's interval for the q-quantile at the current sample (values in any order). Valid at
 * every sample size together: the caller may recompute it after each block and stop whenever it likes.
 */
export function quantileConfidenceSequence(values: readonly number[], q: number, options: ConfidenceSequenceOptions): QuantileInterval {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const { sLow, sHigh } = quantileRankBounds(n, q, options);
  return {
    estimate: sampleQuantile(sorted, q),
    low: sLow >= 1 ? (sorted[sLow - 1] as number) : Number.NEGATIVE_INFINITY,
    high: sHigh + 1 <= n ? (sorted[sHigh] as number) : Number.POSITIVE_INFINITY,
    n,
  };
}
