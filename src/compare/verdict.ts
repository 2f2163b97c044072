/**
 * Verdicts: improved / regressed / no significant change, for one metric.
 *
 * A change is reported only when it is both *statistically significant* (its confidence interval excludes 0) and
 * *practically relevant* (the point estimate moves by at least `minEffect`, default 3%). Why both: latencies within
 * a run are autocorrelated (a GC pause, a compaction, a noisy neighbour slows many consecutive requests), so tests
 * that treat 100k requests as independent samples find "significant" differences of 0.5% between two runs of the same
 * build. The effect floor absorbs that run-to-run noise; significance still guards small samples.
 *
 * The default confidence level is 99% rather than 95% because one comparison makes about five decisions (p50, p90,
 * p99, p99.9, the rank-sum shift): Bonferroni 0.05/5 keeps the whole A/A comparison's false-alarm rate ≤ 5%.
 */
export type Verdict = 'improved' | 'regressed' | 'no significant change';

export interface Change {
  /** Point estimate of the change (relative, or absolute for rates). */
  change: number;
  ciLow: number;
  ciHigh: number;
}

export const DEFAULT_MIN_EFFECT = 0.03;
export const DEFAULT_CONFIDENCE_LEVEL = 0.99;

/** Verdict for a metric where lower is better (latency, errors) or higher is better (throughput). */
export function verdictFor(change: Change, minEffect: number, higherIsBetter = false): Verdict {
  const worse = higherIsBetter ? change.ciHigh < 0 && change.change <= -minEffect : change.ciLow > 0 && change.change >= minEffect;
  if (worse) return 'regressed';
  const better = higherIsBetter ? change.ciLow > 0 && change.change >= minEffect : change.ciHigh < 0 && change.change <= -minEffect;
  return better ? 'improved' : 'no significant change';
}

/** Worst of several verdicts: any regression wins (a mixed result is a regression to investigate), then improvement. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('regressed')) return 'regressed';
  if (verdicts.includes('improved')) return 'improved';
  return 'no significant change';
}
