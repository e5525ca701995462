import type { Rng } from '../data/random.js';

/** Draws from the distributions a Gibbs sampler needs, from one seeded uniform stream. */
export interface Draws {
  /** Standard normal. */
  normal(): number;
  /** Gamma with this shape and rate (mean shape / rate). */
  gamma(shape: number, rate: number): number;
}

export function createDraws(rng: Rng): Draws {
  let spare = NaN;
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    // Box-Muller: two normals per pair of uniforms; 1 - u keeps the log finite.
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const t = 2 * Math.PI * rng();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const gamma = (shape: number, rate: number): number => {
    if (!(shape > 0) || !(rate > 0)) throw new RangeError(`gamma needs a positive shape and rate, got ${shape} and ${rate}`);
    // Marsaglia and Tsang (2000); a shape below 1 is boosted by U^(1/shape).
    const boost = shape < 1 ? Math.pow(1 - rng(), 1 / shape) : 1;
    const d = (shape < 1 ? shape + 1 : shape) - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - rng();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (boost * d * v) / rate;
    }
  };
  return { normal, gamma };
}
