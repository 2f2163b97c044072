/**
 * Change-point detection over a metric's history: E-divisive with means (Matteson & James, "A Nonparametric Approach
 * for Multiple Change Point Analysis of Multivariate Data", JASA 2014), the method MongoDB's performance CI uses for the
 * same job. Non-parametric: it compares the energy distance between the two sides of every split, so it finds a shift
 * in level or spread without assuming normal noise.
 *
 * For a segment x₁…xₙ and a split τ, with A = x₁…x_τ and B = x_τ₊₁…xₙ:
 *   Q(τ) = τ(n−τ)/n · ( 2·mean|a−b| − mean|a−a'| − mean|b−b'| )
 * The best split of the best segment is kept when a permutation test (values shuffled within the segment, seeded)
 * says its Q is unusually large (p < α); then the search recurses into the pieces (hierarchical bisection).
 *
 * Cost: one scan of a segment is O(n²) with incremental sums (n ≤ a few thousand runs is instant).
 */
import { randomVariates } from './random-variates.js';

export interface ChangePointOptions {
  /** Significance level of the permutation test. Default 0.01 (a history is scanned often; false alarms are costly). */
  alpha?: number;
  /** Permutations per test. Default 199. */
  permutations?: number;
  /** Smallest segment, in points. Default 4. */
  minSegment?: number;
  /** At most this many change points. Default 10. */
  maxChangePoints?: number;
  seed?: number;
}

export interface ChangePoint {
  /** Index of the first point after the change. */
  index: number;
  /** Energy statistic of the split. */
  q: number;
  /** Permutation p-value. */
  pValue: number;
  /** Mean before and after (within the segment that was split). */
  meanBefore: number;
  meanAfter: number;
}

/** Best split of values (indices local to the array) and its Q; null when the segment is too short. */
export function bestSplit(values: readonly number[], minSegment: number): { tau: number; q: number } | null {
  const n = values.length;
  if (n < 2 * minSegment) return null;
  const distance = (i: number, j: number): number => Math.abs((values[i] ?? 0) - (values[j] ?? 0));
  // τ = number of points on the left. Start at τ = minSegment.
  let withinLeft = 0;
  for (let i = 0; i < minSegment; i++) for (let k = i + 1; k < minSegment; k++) withinLeft += distance(i, k);
  let withinRight = 0;
  for (let j = minSegment; j < n; j++) for (let k = j + 1; k < n; k++) withinRight += distance(j, k);
  let between = 0;
  for (let i = 0; i < minSegment; i++) for (let j = minSegment; j < n; j++) between += distance(i, j);
  let best: { tau: number; q: number } | null = null;
  for (let tau = minSegment; tau <= n - minSegment; tau++) {
    const left = tau;
    const right = n - tau;
    const q = ((left * right) / n) * ((2 * between) / (left * right) - withinLeft / ((left * (left - 1)) / 2) - withinRight / ((right * (right - 1)) / 2));
    if (best === null || q > best.q) best = { tau, q };
    if (tau === n - minSegment) break;
    // Move point m = tau from the right side to the left.
    const m = tau;
    let toLeft = 0;
    for (let i = 0; i < m; i++) toLeft += distance(i, m);
    let toRight = 0;
    for (let j = m + 1; j < n; j++) toRight += distance(m, j);
    withinLeft += toLeft;
    withinRight -= toRight;
    between += toRight - toLeft;
  }
  return best;
}

const mean = (values: readonly number[]): number => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

/** Change points of a series, ascending by index. Pure and seeded. */
export function detectChangePoints(series: readonly number[], options: ChangePointOptions = {}): ChangePoint[] {
  const alpha = options.alpha ?? 0.01;
  const permutations = options.permutations ?? 199;
  const minSegment = Math.max(2, options.minSegment ?? 4);
  const maxChangePoints = options.maxChangePoints ?? 10;
  const random = randomVariates(options.seed ?? 1);
  const found: ChangePoint[] = [];
  // Segments as [start, end) ranges of the series.
  let segments: [number, number][] = [[0, series.length]];
  while (found.length < maxChangePoints) {
    let candidate: { segment: [number, number]; tau: number; q: number } | null = null;
    for (const segment of segments) {
      const split = bestSplit(series.slice(segment[0], segment[1]), minSegment);
      if (split && (candidate === null || split.q > candidate.q)) candidate = { segment, ...split };
    }
    if (!candidate || !(candidate.q > 0)) break;
    // Permutation test: how often does shuffling the segment give a best split at least as strong?
    const values = series.slice(candidate.segment[0], candidate.segment[1]);
    let atLeast = 0;
    for (let r = 0; r < permutations; r++) {
      const shuffled = [...values];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random.uniform() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j] ?? 0, shuffled[i] ?? 0];
      }
      const split = bestSplit(shuffled, minSegment);
      if (split && split.q >= candidate.q) atLeast++;
    }
    const pValue = (atLeast + 1) / (permutations + 1);
    if (pValue > alpha) break;
    const index = candidate.segment[0] + candidate.tau;
    found.push({
      index,
      q: candidate.q,
      pValue,
      meanBefore: mean(series.slice(candidate.segment[0], index)),
      meanAfter: mean(series.slice(index, candidate.segment[1])),
    });
    const chosen = candidate.segment;
    segments = segments.flatMap((segment): [number, number][] => (segment === chosen ? [[segment[0], index], [index, segment[1]]] : [segment]));
  }
  return found.sort((a, b) => a.index - b.index);
}
