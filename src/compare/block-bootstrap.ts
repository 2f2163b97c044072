/**
 * Block bootstrap of percentile differences, with a run's measurement intervals (1 s by default) as the blocks.
 *
 * Why: requests within a run are not independent. A GC pause, a noisy neighbour or a CPU-frequency dip slows every
 * request for a while, so a run is a handful of "moods", not 100k independent draws. Resampling single requests (the
 * iid bootstrap in bootstrap.ts) then gives intervals that are far too narrow. Resampling whole intervals keeps the
 * within-interval correlation, so the interval width reflects how much the percentile moves from second to second —
 * and, with several runs per side, from run to run (the blocks of all runs are pooled).
 *
 * Each resample draws as many intervals as the side has, with replacement, adds their bucket counts on a common
 * value grid, and reads every requested percentile in one pass: O(blocks × grid) per resample.
 */
import type { HistogramBucket } from '../histogram/latency-histogram.js';
import { quantileSorted } from './bootstrap.js';
import { randomVariates } from './random-variates.js';

export interface BlockInterval {
  percentile: number;
  /** Interval of candidate/base − 1. */
  ciLow: number;
  ciHigh: number;
}

/** Fewer blocks than this on either side and the block bootstrap is not attempted (it would be degenerate). */
export const MIN_BLOCKS = 5;

/** A block as sparse counts on the grid: a block holds a few hundred of the grid's thousands of values. */
interface SparseBlock {
  indices: Int32Array;
  counts: Float64Array;
}

interface Grid {
  values: Float64Array;
  blocks: SparseBlock[];
}

function toGrid(sides: readonly (readonly HistogramBucket[][])[]): Grid[] {
  const unique = new Set<number>();
  for (const side of sides) for (const block of side) for (const bucket of block) unique.add(bucket.valueUs);
  const values = Float64Array.from([...unique].sort((a, b) => a - b));
  const index = new Map<number, number>();
  values.forEach((value, i) => index.set(value, i));
  return sides.map((side) => ({
    values,
    blocks: side.map((block) => ({
      indices: Int32Array.from(block.map((bucket) => index.get(bucket.valueUs) ?? 0)),
      counts: Float64Array.from(block.map((bucket) => bucket.count)),
    })),
  }));
}

/** Percentiles (ascending) of a count vector over the grid, HdrHistogram's rank rule ceil(p·n). */
function percentilesOf(values: Float64Array, counts: Float64Array, percentiles: readonly number[]): number[] {
  let total = 0;
  for (const count of counts) total += count;
  const ranks = percentiles.map((p) => Math.max(1, Math.ceil((p / 100) * total)));
  const results = new Array<number>(percentiles.length).fill(values[values.length - 1] ?? 0);
  let cumulative = 0;
  let next = 0;
  const order = ranks.map((rank, i) => ({ rank, i })).sort((a, b) => a.rank - b.rank);
  for (let g = 0; g < counts.length && next < order.length; g++) {
    cumulative += counts[g] ?? 0;
    while (next < order.length && cumulative >= (order[next]?.rank ?? Infinity)) {
      results[order[next]?.i ?? 0] = values[g] ?? 0;
      next++;
    }
  }
  return results;
}

/**
 * Block-bootstrap intervals of the relative percentile differences; null when either side has fewer than MIN_BLOCKS
 * non-empty blocks.
 */
export function blockBootstrapPercentileDifferences(
  baseBlocks: readonly HistogramBucket[][],
  candidateBlocks: readonly HistogramBucket[][],
  percentiles: readonly number[],
  options: { resamples?: number; confidenceLevel?: number; seed?: number } = {},
): BlockInterval[] | null {
  const nonEmpty = (blocks: readonly HistogramBucket[][]): HistogramBucket[][] => blocks.filter((block) => block.some((bucket) => bucket.count > 0));
  const base = nonEmpty(baseBlocks);
  const candidate = nonEmpty(candidateBlocks);
  if (base.length < MIN_BLOCKS || candidate.length < MIN_BLOCKS) return null;
  const [baseGrid, candidateGrid] = toGrid([base, candidate]) as [Grid, Grid];
  const resamples = options.resamples ?? 1000;
  const confidenceLevel = options.confidenceLevel ?? 0.99;
  const random = randomVariates((options.seed ?? 1) + 0x5eed);
  const sum = new Float64Array(baseGrid.values.length);
  const resampleSide = (grid: Grid): number[] => {
    sum.fill(0);
    for (let k = 0; k < grid.blocks.length; k++) {
      const block = grid.blocks[Math.floor(random.uniform() * grid.blocks.length)];
      if (!block) continue;
      const { indices, counts } = block;
      for (let j = 0; j < indices.length; j++) {
        const g = indices[j] as number;
        sum[g] = (sum[g] as number) + (counts[j] as number);
      }
    }
    return percentilesOf(grid.values, sum, percentiles);
  };
  const replicates = percentiles.map(() => new Array<number>(resamples));
  for (let r = 0; r < resamples; r++) {
    const baseValues = resampleSide(baseGrid);
    const candidateValues = resampleSide(candidateGrid);
    percentiles.forEach((_, i) => {
      const b = baseValues[i] ?? 0;
      const c = candidateValues[i] ?? 0;
      (replicates[i] as number[])[r] = b > 0 ? c / b - 1 : 0;
    });
  }
  const alpha = 1 - confidenceLevel;
  return percentiles.map((percentile, i) => {
    const sorted = (replicates[i] as number[]).sort((a, b) => a - b);
    return { percentile, ciLow: quantileSorted(sorted, alpha / 2), ciHigh: quantileSorted(sorted, 1 - alpha / 2) };
  });
}
