/**
 * Seeded pseudo-random numbers: reproducible Poisson schedules and request mixes.
 * mulberry32 for sequences; a stateless integer hash for per-arrival choices, so any segment can
 * decide arrival k's request without generating arrivals 0..k-1 of other segments' choices.
 */

/** A sequence of uniforms in [0, 1) from a 32-bit seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform in [0, 1) determined by (seed, index) alone (a murmur3-style finaliser). */
export function hashUniform(seed: number, index: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index >>> 0, 0xc2b2ae35) ^ Math.floor(index / 4294967296)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Picks an index by weight from a uniform u in [0, 1). */
export function weightedPicker(weights: readonly number[]): (u: number) => number {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const cumulative: number[] = [];
  let running = 0;
  for (const weight of weights) cumulative.push((running += weight / total));
  const last = weights.length - 1;
  if (last === 0) return () => 0;
  return (u) => {
    for (let index = 0; index < last; index++) if (u < (cumulative[index] ?? 1)) return index;
    return last;
  };
}
