/**
 * Seeded random variates for the bootstrap: uniforms from pure-rand's xoroshiro128+, and the standard normal, gamma
 * and beta variates built on them (Marsaglia–Polar; Marsaglia–Tsang 2000 for the gamma). Seeded so that every
 * comparison is reproducible bit for bit.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface RandomVariates {
  /** Uniform in [0, 1). */
  uniform(): number;
  standardNormal(): number;
  /** Gamma(shape, 1), shape > 0. */
  gamma(shape: number): number;
  /** Beta(a, b), a, b > 0. */
  beta(a: number, b: number): number;
}

export function randomVariates(seed: number): RandomVariates {
  const generator = xoroshiro128plus(seed);
  const uniform = (): number => uniformFloat64(generator);
  let spareNormal: number | null = null;
  const standardNormal = (): number => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    for (;;) {
      const u = 2 * uniform() - 1;
      const v = 2 * uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const factor = Math.sqrt((-2 * Math.log(s)) / s);
        spareNormal = v * factor;
        return u * factor;
      }
    }
  };
  const gamma = (shape: number): number => {
    // Shape < 1: boost to shape + 1 and scale by U^(1/shape) (Marsaglia–Tsang's own reduction).
    if (shape < 1) return gamma(shape + 1) * Math.pow(1 - uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = standardNormal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - uniform();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };
  const beta = (a: number, b: number): number => {
    const x = gamma(a);
    const y = gamma(b);
    return x / (x + y);
  };
  return { uniform, standardNormal, gamma, beta };
}
