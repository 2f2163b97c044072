/**
 * Compares a candidate against a base, each one or more repeated runs: per request name and in total, the latency
 * percentiles (bootstrap CI of the relative difference), the Mann–Whitney rank-sum test with the Hodges–Lehmann shift,
 * throughput and error rate — each with a verdict (see verdict.ts for the rule and why it needs a minimum effect).
 *
 * Noise: each percentile's interval is the widest of (1) the iid bootstrap over requests (bootstrap.ts: sampling
 * noise), (2) the block bootstrap over measurement intervals (block-bootstrap.ts: requests within a run are
 * autocorrelated, so second-to-second swings count), and (3) with ≥ 2 runs on a side, a Welch t-interval on the per-run
 * log percentiles (run-to-run spread). Repeated runs' histograms are merged exactly for the point estimates.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { aggregateDecoded, decodeIntervals, emptyAggregate, errorCount, measuredIntervals, measuredMs, mergeAggregates, type RequestAggregate } from '../core/run-aggregate.js';
import type { RunFile } from '../core/run-file.js';
import type { HistogramBucket } from '../histogram/latency-histogram.js';
import { blockBootstrapPercentileDifferences } from './block-bootstrap.js';
import { bootstrapPercentileDifferences } from './bootstrap.js';
import { distributionOf, percentileOf, type BucketDistribution } from './bucket-distribution.js';
import { hodgesLehmannShift } from './hodges-lehmann.js';
import { mannWhitney, type MannWhitneyResult } from './mann-whitney.js';
import { combineVerdicts, DEFAULT_CONFIDENCE_LEVEL, DEFAULT_MIN_EFFECT, verdictFor, type Verdict } from './verdict.js';

export interface CompareOptions {
  /** Default [50, 90, 99, 99.9]. */
  percentiles?: number[];
  /** Smallest relative change worth reporting (fraction). Default 0.03. */
  minEffect?: number;
  /** Smallest error-rate change worth reporting (absolute, fraction of requests). Default 0.001 (0.1 pp). */
  minErrorRateChange?: number;
  confidenceLevel?: number;
  resamples?: number;
  seed?: number;
}

export interface MetricComparison {
  /** `p50`, `p99.9`, `shift` (Hodges–Lehmann), `throughput`, `errorRate`. */
  metric: string;
  /** µs for latencies, requests/s for throughput, fraction for the error rate. */
  base: number;
  candidate: number;
  /** `relative`: change and CI are candidate/base − 1. `absolute`: candidate − base (error rate). */
  changeKind: 'relative' | 'absolute';
  change: number;
  ciLow: number;
  ciHigh: number;
  /** p-value when the metric has a test of its own (shift, throughput, error rate). */
  pValue?: number;
  verdict: Verdict;
}

export interface RequestComparison {
  name: string;
  baseCount: number;
  candidateCount: number;
  metrics: MetricComparison[];
  mannWhitney: MannWhitneyResult;
  hodgesLehmannShiftUs: number;
  verdict: Verdict;
}

export interface RunComparison {
  baseRuns: string[];
  candidateRuns: string[];
  options: Required<CompareOptions>;
  total: RequestComparison;
  byRequest: RequestComparison[];
  verdict: Verdict;
}

interface Side {
  /** Merged over the side's runs. */
  merged: RequestAggregate;
  /** One aggregate per run (for run-to-run spread). */
  perRun: RequestAggregate[];
  measuredMsPerRun: number[];
  /** Latency buckets per measured interval, all runs pooled: the blocks of the block bootstrap. */
  blocks: HistogramBucket[][];
}

const PERCENTILE_LABEL = (percentile: number): string => `p${percentile}`;

interface RunAggregates {
  aggregates: { total: RequestAggregate; byRequest: Map<string, RequestAggregate> };
  measuredMs: number;
  /** Per measured interval: request name → latency buckets. */
  intervalBuckets: Map<string, HistogramBucket[]>[];
}

/** A run's measured intervals decoded once: the merged aggregates and each interval's bucket list. */
function runAggregatesOf(run: RunFile): RunAggregates {
  const decoded = decodeIntervals(measuredIntervals(run.intervals));
  const intervalBuckets = decoded.map(({ requests }) => new Map([...requests].map(([name, aggregate]) => [name, aggregate.latency.buckets()])));
  return { aggregates: aggregateDecoded(decoded), measuredMs: measuredMs(run.intervals), intervalBuckets };
}

const runAggregates = (runs: readonly RunFile[]): RunAggregates[] => runs.map(runAggregatesOf);

function sideOf(runs: readonly RunAggregates[], name: string | null): Side {
  const perRun = runs.map(({ aggregates }) => (name === null ? aggregates.total : (aggregates.byRequest.get(name) ?? emptyAggregate())));
  const merged = emptyAggregate();
  for (const aggregate of perRun) mergeAggregates(merged, aggregate);
  const blocks = runs.flatMap((run) => run.intervalBuckets.map((byName) => (name === null ? [...byName.values()].flat() : (byName.get(name) ?? []))));
  return { merged, perRun, measuredMsPerRun: runs.map((run) => run.measuredMs), blocks };
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
const variance = (values: readonly number[]): number => {
  const m = mean(values);
  return values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1);
};

/**
 * Welch interval for the difference of means of two small samples; when one side has a single value its variance is
 * taken from the other (pooled assumption). Null when neither side has 2 values.
 */
function welchInterval(base: readonly number[], candidate: readonly number[], confidenceLevel: number): { difference: number; low: number; high: number; pValue: number } | null {
  if (base.length < 2 && candidate.length < 2) return null;
  const baseVariance = base.length >= 2 ? variance(base) : variance(candidate);
  const candidateVariance = candidate.length >= 2 ? variance(candidate) : variance(base);
  const a = baseVariance / base.length;
  const b = candidateVariance / candidate.length;
  const standardError = Math.sqrt(a + b);
  const difference = mean(candidate) - mean(base);
  if (!(standardError > 0)) return { difference, low: difference, high: difference, pValue: difference === 0 ? 1 : 0 };
  const dfBase = Math.max(1, base.length - 1);
  const dfCandidate = Math.max(1, candidate.length - 1);
  const df = (a + b) ** 2 / ((a * a) / dfBase + (b * b) / dfCandidate);
  const t = tQuantile(1 - (1 - confidenceLevel) / 2, df);
  const tStatistic = Math.abs(difference) / standardError;
  // The verdict uses the t-interval; the p-value is the normal approximation, reported as indicative only.
  return { difference, low: difference - t * standardError, high: difference + t * standardError, pValue: 2 * normalCdf(-tStatistic, 0, 1) };
}

function compareLatency(base: Side, candidate: Side, baseDistribution: BucketDistribution, candidateDistribution: BucketDistribution, options: Required<CompareOptions>): MetricComparison[] {
  const differences = bootstrapPercentileDifferences(baseDistribution, candidateDistribution, options.percentiles, {
    resamples: options.resamples,
    confidenceLevel: options.confidenceLevel,
    seed: options.seed,
  });
  const blockIntervals = blockBootstrapPercentileDifferences(base.blocks, candidate.blocks, options.percentiles, {
    resamples: Math.min(options.resamples, 1000),
    confidenceLevel: options.confidenceLevel,
    seed: options.seed,
  });
  return differences.map((difference, index) => {
    let { ciLow, ciHigh } = difference;
    // The wider of the iid interval (sampling noise) and the block interval (second-to-second and run-to-run moods).
    const block = blockIntervals?.[index];
    if (block) {
      ciLow = Math.min(ciLow, block.ciLow);
      ciHigh = Math.max(ciHigh, block.ciHigh);
    }
    if (base.perRun.length >= 2 || candidate.perRun.length >= 2) {
      const logPercentiles = (side: Side): number[] =>
        side.perRun.map((aggregate) => Math.log(Math.max(1, aggregate.latency.percentileUs(difference.percentile))));
      const spread = welchInterval(logPercentiles(base), logPercentiles(candidate), options.confidenceLevel);
      if (spread) {
        ciLow = Math.min(ciLow, Math.exp(spread.low) - 1);
        ciHigh = Math.max(ciHigh, Math.exp(spread.high) - 1);
      }
    }
    const change = { change: difference.relativeChange, ciLow, ciHigh };
    return {
      metric: PERCENTILE_LABEL(difference.percentile),
      base: difference.baseUs,
      candidate: difference.candidateUs,
      changeKind: 'relative' as const,
      ...change,
      verdict: verdictFor(change, options.minEffect),
    };
  });
}

function compareThroughput(base: Side, candidate: Side, options: Required<CompareOptions>): MetricComparison {
  const rate = (count: number, ms: number): number => (ms > 0 ? count / (ms / 1000) : 0);
  const baseMs = base.measuredMsPerRun.reduce((sum, ms) => sum + ms, 0);
  const candidateMs = candidate.measuredMsPerRun.reduce((sum, ms) => sum + ms, 0);
  const baseRate = rate(base.merged.count, baseMs);
  const candidateRate = rate(candidate.merged.count, candidateMs);
  const relativeChange = baseRate > 0 ? candidateRate / baseRate - 1 : 0;
  let ciLow = relativeChange;
  let ciHigh = relativeChange;
  let pValue = 1;
  const perRunRates = (side: Side): number[] => side.perRun.map((aggregate, i) => rate(aggregate.count, side.measuredMsPerRun[i] ?? 0));
  const spread = baseRate > 0 ? welchInterval(perRunRates(base), perRunRates(candidate), options.confidenceLevel) : null;
  if (spread) {
    ciLow = spread.low / baseRate;
    ciHigh = spread.high / baseRate;
    pValue = spread.pValue;
  } else if (baseRate > 0 && baseMs > 0 && candidateMs > 0) {
    // Single runs: completions as Poisson counts over the measured time.
    const standardError = Math.sqrt(base.merged.count / (baseMs / 1000) ** 2 + candidate.merged.count / (candidateMs / 1000) ** 2);
    const z = normalQuantile(options.confidenceLevel);
    ciLow = (candidateRate - baseRate - z * standardError) / baseRate;
    ciHigh = (candidateRate - baseRate + z * standardError) / baseRate;
    pValue = standardError > 0 ? 2 * normalCdf(-Math.abs(candidateRate - baseRate) / standardError, 0, 1) : 1;
  }
  const change = { change: relativeChange, ciLow, ciHigh };
  return { metric: 'throughput', base: baseRate, candidate: candidateRate, changeKind: 'relative', ...change, pValue, verdict: verdictFor(change, options.minEffect, true) };
}

/** Two-sided normal critical value for a confidence level (bisection on the CDF; called rarely). */
function normalQuantile(confidenceLevel: number): number {
  const target = 1 - (1 - confidenceLevel) / 2;
  let low = 0;
  let high = 40;
  for (let i = 0; i < 100; i++) {
    const middle = (low + high) / 2;
    if (normalCdf(middle, 0, 1) < target) low = middle;
    else high = middle;
  }
  return high;
}

function compareErrorRate(base: Side, candidate: Side, options: Required<CompareOptions>): MetricComparison {
  const baseErrors = errorCount(base.merged);
  const candidateErrors = errorCount(candidate.merged);
  const p1 = base.merged.count > 0 ? baseErrors / base.merged.count : 0;
  const p2 = candidate.merged.count > 0 ? candidateErrors / candidate.merged.count : 0;
  const difference = p2 - p1;
  // Two-proportion z-test (pooled for the p-value, unpooled for the interval).
  const pooled = base.merged.count + candidate.merged.count > 0 ? (baseErrors + candidateErrors) / (base.merged.count + candidate.merged.count) : 0;
  const pooledSe = base.merged.count > 0 && candidate.merged.count > 0 ? Math.sqrt(pooled * (1 - pooled) * (1 / base.merged.count + 1 / candidate.merged.count)) : 0;
  const pValue = pooledSe > 0 ? 2 * normalCdf(-Math.abs(difference) / pooledSe, 0, 1) : difference === 0 ? 1 : 0;
  const unpooledSe =
    base.merged.count > 0 && candidate.merged.count > 0 ? Math.sqrt((p1 * (1 - p1)) / base.merged.count + (p2 * (1 - p2)) / candidate.merged.count) : 0;
  const z = normalQuantile(options.confidenceLevel);
  const change = { change: difference, ciLow: difference - z * unpooledSe, ciHigh: difference + z * unpooledSe };
  // Significance from the pooled test (the unpooled interval collapses to a point when both rates are 0).
  const significant = pValue < 1 - options.confidenceLevel;
  const verdict: Verdict = !significant || Math.abs(difference) < options.minErrorRateChange ? 'no significant change' : difference > 0 ? 'regressed' : 'improved';
  return { metric: 'errorRate', base: p1, candidate: p2, changeKind: 'absolute', ...change, pValue, verdict };
}

function compareRequest(name: string, base: Side, candidate: Side, options: Required<CompareOptions>): RequestComparison {
  const baseDistribution = distributionOf(base.merged.latency);
  const candidateDistribution = distributionOf(candidate.merged.latency);
  const metrics = compareLatency(base, candidate, baseDistribution, candidateDistribution, options);
  const rankSum = mannWhitney(baseDistribution, candidateDistribution);
  const shiftUs = hodgesLehmannShift(baseDistribution, candidateDistribution);
  const baseMedianUs = percentileOf(baseDistribution, 50);
  const relativeShift = baseMedianUs > 0 ? shiftUs / baseMedianUs : 0;
  // Mann–Whitney treats requests as independent, which they are not (see block-bootstrap.ts): its p-value alone
  // calls two runs of one build different. The shift therefore also needs the median's noise-aware interval (iid +
  // block bootstrap) to exclude 0 in the same direction.
  const median = metrics.find((metric) => metric.metric === 'p50');
  const medianAgrees = !median || (relativeShift > 0 ? median.ciLow > 0 : median.ciHigh < 0);
  const significant = rankSum.pValue < 1 - options.confidenceLevel && medianAgrees;
  const shiftVerdict: Verdict = !significant || Math.abs(relativeShift) < options.minEffect ? 'no significant change' : relativeShift > 0 ? 'regressed' : 'improved';
  metrics.push({
    metric: 'shift',
    base: baseMedianUs,
    candidate: baseMedianUs + shiftUs,
    changeKind: 'relative',
    change: relativeShift,
    ciLow: relativeShift,
    ciHigh: relativeShift,
    pValue: rankSum.pValue,
    verdict: shiftVerdict,
  });
  metrics.push(compareThroughput(base, candidate, options));
  metrics.push(compareErrorRate(base, candidate, options));
  return {
    name,
    baseCount: base.merged.count,
    candidateCount: candidate.merged.count,
    metrics,
    mannWhitney: rankSum,
    hodgesLehmannShiftUs: shiftUs,
    verdict: combineVerdicts(metrics.map((metric) => metric.verdict)),
  };
}

export function resolveCompareOptions(options: CompareOptions = {}): Required<CompareOptions> {
  return {
    percentiles: options.percentiles ?? [50, 90, 99, 99.9],
    minEffect: options.minEffect ?? DEFAULT_MIN_EFFECT,
    minErrorRateChange: options.minErrorRateChange ?? 0.001,
    confidenceLevel: options.confidenceLevel ?? DEFAULT_CONFIDENCE_LEVEL,
    resamples: options.resamples ?? 2000,
    seed: options.seed ?? 1,
  };
}

/** Compares candidate runs against base runs (each side ≥ 1 run). Pure. */
export function compareRuns(baseRuns: readonly RunFile[], candidateRuns: readonly RunFile[], options: CompareOptions = {}): RunComparison {
  const resolved = resolveCompareOptions(options);
  const names = new Set<string>();
  for (const run of [...baseRuns, ...candidateRuns]) for (const interval of run.intervals) if (!interval.warmup) for (const name of Object.keys(interval.requests)) names.add(name);
  const baseAggregates = runAggregates(baseRuns);
  const candidateAggregates = runAggregates(candidateRuns);
  const total = compareRequest('total', sideOf(baseAggregates, null), sideOf(candidateAggregates, null), resolved);
  // With a single request name its comparison is the total's (same data): do not compute it twice.
  const sortedNames = [...names].sort();
  const byRequest =
    sortedNames.length === 1
      ? [{ ...total, name: sortedNames[0] ?? 'total' }]
      : sortedNames.map((name) => compareRequest(name, sideOf(baseAggregates, name), sideOf(candidateAggregates, name), resolved));
  return {
    baseRuns: baseRuns.map((run) => run.id),
    candidateRuns: candidateRuns.map((run) => run.id),
    options: resolved,
    total,
    byRequest,
    verdict: total.verdict,
  };
}
