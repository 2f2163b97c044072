/**
 * Interleaved A/B (ABAB…) blocks compared on an affected population and on the whole mix.
 *
 * A shared machine drifts: a neighbour's compile slows a whole minute, not one request. Alternating the unfixed (A)
 * and fixed (B) states in short blocks spreads that drift over both arms, so the pooled comparison measures the fix;
 * each pair (A block, then B block) is also compared on its own, to show whether the change holds block by block.
 *
 * The judged population is the requests the fix acts on (by request name); the whole mix is judged separately, with
 * the population's share of traffic, because a fix that halves one request in ten moves the mix's median little.
 */
import { comparePairedSequentially, medianPairedChange, type MatchedPair } from './paired-quantile-test.js';
import { sampleQuantile } from './quantile-confidence-sequence.js';
import { compareQuantilesSequentially, type SequentialComparison } from './sequential-quantile-test.js';

export interface LatencySample {
  /** Request name (the scenario's). */
  name: string;
  latencyUs: number;
  /**
   * The request's place in its block's schedule (e.g. its intended start): when the A and B blocks of a pair replay
   * one seeded schedule, equal name and key mark the same request in both arms, and the comparison is paired.
   */
  key?: number;
}

export interface InterleavedBlock {
  arm: 'A' | 'B';
  /** Pair number, 1-based: the A and B blocks of one pair ran back to back. */
  pair: number;
  samples: readonly LatencySample[];
}

export interface PairChange {
  pair: number;
  baseUs: number;
  candidateUs: number;
  /** candidate / base − 1 (NaN when a block had no sample). */
  change: number;
}

export interface ArmComparison {
  /**
   * `paired`: the median of per-request ratios over requests matched across the arms of each pair
   * (paired-quantile-test.ts); `pooled`: the arms' percentiles compared as independent samples.
   */
  method: 'paired' | 'pooled';
  /** Paired: requests matched in both arms (result.base.n); pooled: undefined. */
  matched?: number;
  result: SequentialComparison;
  pairs: PairChange[];
  /** Pairs whose own change points the same way as the pooled one (of those with samples). */
  pairsAgreeing: number;
}

export interface InterleavedComparison {
  population: ArmComparison & {
    names: string[];
    /** Share of all measured requests that belong to the population, 0..1. */
    trafficShare: number;
  };
  mix: ArmComparison;
}

export interface InterleavedOptions {
  population: ReadonlySet<string>;
  percentile: number;
  alpha?: number;
  minEffect?: number;
  /** Per-arm sample size at which the population's confidence sequences are tightest. */
  targetPerArm?: number;
  /** The same for the whole mix (planned: the population's target over its expected traffic share). */
  mixTargetPerArm?: number;
  /**
   * Judge the median on matched requests (samples carry `key`) instead of pooled arms. Only the median is paired:
   * a tail percentile of per-request ratios is not the tail's change. Default false.
   */
  paired?: boolean;
  /** Paired: consecutive twins judged as one observation (paired-quantile-test.ts). Default 1. */
  batchSize?: number;
}

/** The requests present in both arms of each pair, matched by name and key (failed or unsampled ones drop out). */
export function matchPairs(blocks: readonly InterleavedBlock[], keep: (sample: LatencySample) => boolean): Map<number, MatchedPair[]> {
  const byPair = new Map<number, MatchedPair[]>();
  const pairNumbers = [...new Set(blocks.map((block) => block.pair))].sort((a, b) => a - b);
  for (const pair of pairNumbers) {
    const base = new Map<string, number>();
    for (const block of blocks) {
      if (block.pair !== pair || block.arm !== 'A') continue;
      for (const sample of block.samples) if (keep(sample) && sample.key !== undefined) base.set(`${sample.name}\u0000${sample.key}`, sample.latencyUs);
    }
    const matched: (MatchedPair & { key: number })[] = [];
    for (const block of blocks) {
      if (block.pair !== pair || block.arm !== 'B') continue;
      for (const sample of block.samples) {
        if (!keep(sample) || sample.key === undefined) continue;
        const baseUs = base.get(`${sample.name}\u0000${sample.key}`);
        if (baseUs !== undefined) matched.push({ baseUs, candidateUs: sample.latencyUs, block: pair, key: sample.key });
      }
    }
    // Schedule order, for batching neighbours.
    byPair.set(
      pair,
      matched.sort((x, y) => x.key - y.key).map(({ key: _key, ...rest }) => rest),
    );
  }
  return byPair;
}

function pairedComparison(blocks: readonly InterleavedBlock[], keep: (sample: LatencySample) => boolean, options: InterleavedOptions, targetPerArm?: number): ArmComparison {
  const byPair = matchPairs(blocks, keep);
  const all = [...byPair.values()].flat();
  const result = comparePairedSequentially(all, {
    ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
    ...(options.minEffect !== undefined ? { minEffect: options.minEffect } : {}),
    ...(targetPerArm !== undefined ? { targetPairs: targetPerArm } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  const median = (values: number[]): number => sampleQuantile(values.sort((a, b) => a - b), 0.5);
  const pairs = [...byPair.entries()].map(([pair, matched]) => ({
    pair,
    baseUs: median(matched.map((entry) => entry.baseUs)),
    candidateUs: median(matched.map((entry) => entry.candidateUs)),
    change: medianPairedChange(matched),
  }));
  const direction = Math.sign(result.change);
  const pairsAgreeing = pairs.filter((pair) => !Number.isNaN(pair.change) && Math.sign(pair.change) === direction && direction !== 0).length;
  return { method: 'paired', matched: all.length, result, pairs, pairsAgreeing };
}

function armComparison(blocks: readonly InterleavedBlock[], keep: (sample: LatencySample) => boolean, options: InterleavedOptions, targetPerArm?: number): ArmComparison {
  if (options.paired === true && options.percentile === 50) return pairedComparison(blocks, keep, options, targetPerArm);
  const values = (arm: 'A' | 'B', pair?: number): number[] =>
    blocks.filter((block) => block.arm === arm && (pair === undefined || block.pair === pair)).flatMap((block) => block.samples.filter(keep).map((sample) => sample.latencyUs));
  const result = compareQuantilesSequentially(values('A'), values('B'), {
    percentile: options.percentile,
    ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
    ...(options.minEffect !== undefined ? { minEffect: options.minEffect } : {}),
    ...(targetPerArm !== undefined ? { targetPerArm } : {}),
  });
  const pairNumbers = [...new Set(blocks.map((block) => block.pair))].sort((a, b) => a - b);
  const q = options.percentile / 100;
  const pairs = pairNumbers.map((pair) => {
    const baseUs = sampleQuantile([...values('A', pair)].sort((a, b) => a - b), q);
    const candidateUs = sampleQuantile([...values('B', pair)].sort((a, b) => a - b), q);
    return { pair, baseUs, candidateUs, change: baseUs > 0 ? candidateUs / baseUs - 1 : Number.NaN };
  });
  const direction = Math.sign(result.change);
  const pairsAgreeing = pairs.filter((pair) => !Number.isNaN(pair.change) && Math.sign(pair.change) === direction && direction !== 0).length;
  return { method: 'pooled', result, pairs, pairsAgreeing };
}

/** Compares the B blocks against the A blocks, on the population and on the whole mix. Pure. */
export function compareInterleaved(blocks: readonly InterleavedBlock[], options: InterleavedOptions): InterleavedComparison {
  const inPopulation = (sample: LatencySample): boolean => options.population.has(sample.name);
  let total = 0;
  let affected = 0;
  for (const block of blocks) {
    for (const sample of block.samples) {
      total++;
      if (inPopulation(sample)) affected++;
    }
  }
  const population = armComparison(blocks, inPopulation, options, options.targetPerArm);
  // Fixed before the first look, like the population's (a target recomputed from the counts would change the test).
  const mixTarget = options.mixTargetPerArm ?? options.targetPerArm;
  return {
    population: { ...population, names: [...options.population].sort(), trafficShare: total === 0 ? 0 : affected / total },
    mix: armComparison(blocks, () => true, options, mixTarget),
  };
}
