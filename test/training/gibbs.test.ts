import { describe, expect, it } from 'vitest';
import { createRng } from '../../training/data/random.js';
import type { RatingsDataset } from '../../training/data/types.js';
import { createDraws, type Draws } from '../../training/models/draws.js';
import { buildDesigns, buildSide } from '../../training/models/gibbs-design.js';
import { makeSide, refresh, residuals, sampleColumn, type Side } from '../../training/models/gibbs-mf.js';

/** Fixed standard-normal draws: 0 gives the conditional mean itself, 1 the mean plus one posterior sd. */
const fixed = (z: number): Draws => ({ normal: () => z, gamma: () => Number.NaN });

function dataset(rows: [number, number, number][], nU: number, nI: number, tags: string[][] = []): RatingsDataset {
  return {
    name: 'toy',
    userIds: Array.from({ length: nU }, (_, u) => `u${u}`),
    itemIds: Array.from({ length: nI }, (_, i) => `i${i}`),
    itemMeta: Array.from({ length: nI }, (_, i) => ({ title: `i${i}`, tags: tags[i] ?? [] })),
    ratings: { user: Int32Array.from(rows, (r) => r[0]), item: Int32Array.from(rows, (r) => r[1]), rating: Float32Array.from(rows, (r) => r[2]) },
    ratingRange: [1, 5],
    fingerprint: 'toy',
  };
}

describe('Gibbs conditionals (training/models/gibbs-mf.ts) against closed forms', () => {
  // 2 users x 2 items, every pair rated; ids only, one factor.
  const Y: [number, number, number][] = [[0, 0, 5], [0, 1, 3], [1, 0, 4], [1, 1, 2]];
  const cu = Int32Array.from(Y, (r) => r[0]);
  const ci = Int32Array.from(Y, (r) => r[1]);
  const y = Float64Array.from(Y, (r) => r[2]);
  const ids = () => buildSide(2, [{ name: 'id', count: 2, entries: (e) => [[e, 1]] }]);
  const state = () => {
    const U = makeSide(ids(), 1, cu, ci, 0, fixed(0));
    const I = makeSide(ids(), 1, ci, cu, 0, fixed(0));
    U.V.set([0.5, -1]);
    I.V.set([2, 1]);
    U.w.set([0.1, -0.2]);
    I.w.set([0.3, 0]);
    refresh(U);
    refresh(I);
    const e = new Float64Array(4);
    residuals(e, y, cu, ci, 3, U, I);
    return { U, I, e };
  };

  it('a user factor: N(alpha sum q t / (alpha sum q^2 + lambda), 1 / (alpha sum q^2 + lambda)), t = r - w0 - b_u - b_i', () => {
    // alpha 2, prior N(0, 1): user 0 has q = (2, 1), t = (1.6, -0.1): mean 2 * 3.1 / (2 * 5 + 1); user 1 t = (0.9, -0.8).
    for (const z of [0, 1]) {
      const { U, I, e } = state();
      sampleColumn(U, I, 0, e, 2, fixed(z));
      expect(U.V[0]).toBeCloseTo(6.2 / 11 + z / Math.sqrt(11), 12);
      expect(U.V[1]).toBeCloseTo(2 / 11 + z / Math.sqrt(11), 12);
      // p follows the id weights, and every residual is brought up to date.
      U.V.forEach((v, u) => expect(U.P[u]).toBeCloseTo(v, 12));
      const t = [1.6, -0.1, 0.9, -0.8];
      Y.forEach(([u, i], r) => expect(e[r]).toBeCloseTo(t[r] - U.P[u] * I.P[i], 12));
    }
  });

  it('a bias weight: N(alpha sum t / (alpha n + lambda), ...), t = r - w0 - b_i - p . q', () => {
    const { U, I, e } = state();
    sampleColumn(I, U, -1, e, 2, fixed(0));
    // Item 0: rows (0, 0) and (1, 0), t = 5 - 3 - 0.1 - 1 = 0.9 and 4 - 3 + 0.2 + 2 = 3.2; item 1: 3 - 3 - 0.1 - 0.5 and 2 - 3 + 0.2 + 1.
    expect(I.w[0]).toBeCloseTo((2 * (0.9 + 3.2)) / (2 * 2 + 1), 12);
    expect(I.w[1]).toBeCloseTo((2 * (-0.6 + 0.2)) / (2 * 2 + 1), 12);
    I.w.forEach((v, i) => expect(I.b[i]).toBeCloseTo(v, 12));
  });

  it('features shared by several users (SVD++ items, tags, raters): each draw equals the brute-force conditional over rows', () => {
    const rows: [number, number, number][] = [[0, 0, 5], [0, 2, 1], [1, 0, 4], [1, 1, 2], [2, 1, 3], [2, 2, 4], [2, 0, 5]];
    const ds = dataset(rows, 3, 3, [['a'], ['a', 'b'], []]);
    const all = Int32Array.from(rows, (_, r) => r);
    const { users, items } = buildDesigns(ds, all, { items: true, raters: true, tags: true });
    const k = 2;
    const draws = createDraws(createRng(5));
    const [cu3, ci3] = [ds.ratings.user, ds.ratings.item];
    const y3 = Float64Array.from(ds.ratings.rating);
    for (const side of ['users', 'items'] as const) {
      const U = makeSide(users, k, cu3, ci3, 0.5, draws);
      const I = makeSide(items, k, ci3, cu3, 0.5, draws);
      const [s, t] = side === 'users' ? [U, I] : [I, U];
      // Priors that differ per group and factor, so a mixed-up group index shows.
      s.lamV.forEach((_, h) => (s.lamV[h] = 2 + h));
      s.muV.forEach((_, h) => (s.muV[h] = 0.1 * (h % 3) - 0.1));
      refresh(U);
      refresh(I);
      const e = new Float64Array(rows.length);
      residuals(e, y3, cu3, ci3, 3.2, U, I);
      const want = bruteForce(s, t, 1, y3, side === 'users' ? cu3 : ci3, side === 'users' ? ci3 : cu3, 3.2, U, I, 1.7);
      sampleColumn(s, t, 1, e, 1.7, fixed(0));
      want.forEach((v, j) => expect(s.V[j * k + 1]).toBeCloseTo(v, 10));
      refresh(U);
      refresh(I);
      const fresh = new Float64Array(rows.length);
      residuals(fresh, y3, cu3, ci3, 3.2, U, I);
      fresh.forEach((v, r) => expect(e[r]).toBeCloseTo(v, 10));
    }
  });
});

/**
 * Conditional means of column f of side s's factor weights, feature after feature, each from the current state by a
 * sum over rows: h_r = x_j(own(r)) q_f(other(r)), mean = (alpha sum h (e + v h) + lambda mu) / (alpha sum h^2 + lambda).
 */
function bruteForce(s: Side, t: Side, f: number, y: Float64Array, own: Int32Array, other: Int32Array, w0: number, U: Side, I: Side, alpha: number): number[] {
  const k = s.k;
  const V = Float64Array.from(s.V);
  const out: number[] = [];
  for (let j = 0; j < s.d.nFeatures; j++) {
    const x = (ent: number) => {
      for (let c = s.d.eStart[ent]; c < s.d.eStart[ent + 1]; c++) if (s.d.eFeat[c] === j) return s.d.eVal[c];
      return 0;
    };
    const vec = (ent: number, g: number) => {
      let v = 0;
      for (let c = s.d.eStart[ent]; c < s.d.eStart[ent + 1]; c++) v += s.d.eVal[c] * V[s.d.eFeat[c] * k + g];
      return v;
    };
    let s1 = 0, s2 = 0;
    for (let r = 0; r < y.length; r++) {
      let dot = 0;
      for (let g = 0; g < k; g++) dot += vec(own[r], g) * t.P[other[r] * k + g];
      const e = y[r] - (w0 + U.b[U === s ? own[r] : other[r]] + I.b[I === s ? own[r] : other[r]] + dot);
      const h = x(own[r]) * t.P[other[r] * k + f];
      s1 += h * (e + V[j * k + f] * h);
      s2 += h * h;
    }
    const g = s.d.group[j] * k + f;
    V[j * k + f] = (alpha * s1 + s.lamV[g] * s.muV[g]) / (alpha * s2 + s.lamV[g]);
    out.push(V[j * k + f]);
  }
  return out;
}

describe('the sampler draws (training/models/draws.ts)', () => {
  it.each([
    [3.5, 2],
    [0.5, 1],
    [40, 0.5],
  ])('gamma(shape %d, rate %d): mean shape/rate and variance shape/rate^2 over 40,000 seeded draws', (shape, rate) => {
    const d = createDraws(createRng(11));
    const xs = Float64Array.from({ length: 40_000 }, () => d.gamma(shape, rate));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    // Four standard errors of each estimate: mean sd/sqrt(n); variance about var * sqrt((2 + 6/shape) / n).
    expect(Math.abs(mean - shape / rate)).toBeLessThan(4 * Math.sqrt(shape / rate ** 2 / xs.length));
    expect(Math.abs(v - shape / rate ** 2)).toBeLessThan(4 * (shape / rate ** 2) * Math.sqrt((2 + 6 / shape) / xs.length));
    expect(xs.every((x) => x > 0)).toBe(true);
  });

  it('normal: mean 0, variance 1 over 40,000 seeded draws; a bad gamma shape is a clear error', () => {
    const d = createDraws(createRng(3));
    const xs = Float64Array.from({ length: 40_000 }, () => d.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(xs.length));
    expect(Math.abs(xs.reduce((a, b) => a + b * b, 0) / xs.length - 1)).toBeLessThan(4 * Math.sqrt(2 / xs.length));
    expect(() => d.gamma(0, 1)).toThrow(/gamma needs a positive shape and rate, got 0 and 1/);
  });
});
