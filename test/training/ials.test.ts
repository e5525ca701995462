import { beforeAll, describe, expect, it } from 'vitest';
import { decodePacked } from '../../shared/artifact/encode.js';
import { TENSOR_NAMES, loadModel } from '../../shared/model/loaded.js';
import { foldInImplicit } from '../../shared/model/foldin.js';
import { recommendForUser, seenItems } from '../../shared/model/queries.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import type { Ratings } from '../../training/data/types.js';
import { buildRatingArtifact } from '../../training/export/rating-artifact.js';
import { alsHalfStep, cgHalfStep, gramian, pairsCsr, trainIals } from '../../training/models/ials.js';
import { useWasmBackend } from '../../training/tf-node.js';

/** Two blocks: users 0-3 rated items 0-3, users 4-7 items 4-7, each user all of their block but item (u). */
function blocks(): Ratings {
  const user: number[] = [];
  const item: number[] = [];
  for (let u = 0; u < 8; u++) {
    const base = u < 4 ? 0 : 4;
    for (let i = base; i < base + 4; i++) {
      if (i === u) continue;
      user.push(u);
      item.push(i);
    }
  }
  return { user: Int32Array.from(user), item: Int32Array.from(item), rating: new Float32Array(user.length).fill(5) };
}

const rowsOf = (r: Ratings) => Int32Array.from(r.user, (_, k) => k);
const dot = (a: Float32Array, ao: number, b: Float32Array, bo: number, d: number) => {
  let s = 0;
  for (let f = 0; f < d; f++) s += a[ao + f] * b[bo + f];
  return s;
};

describe('iALS (Hu, Koren & Volinsky 2008)', () => {
  it('block structure: every user is recommended the one item of their own block they have not rated', () => {
    const r = blocks();
    const { params: p } = trainIals(r, rowsOf(r), 8, 8, { dim: 2, alpha: 10, lambda: 0.1, epochs: 10, seed: 1 });
    for (let u = 0; u < 8; u++) {
      const scores = Array.from({ length: 8 }, (_, i) => dot(p.userFactors, u * 2, p.itemFactors, i * 2, 2));
      const own = u < 4 ? [0, 1, 2, 3] : [4, 5, 6, 7];
      const unseen = [...Array(8).keys()].filter((i) => i === u || !own.includes(i));
      const best = unseen.reduce((a, b) => (scores[b] > scores[a] ? b : a));
      expect(best).toBe(u);
      // The missing own-block item scores near the observed ones (preference 1), the other block near 0.
      expect(scores[u]).toBeGreaterThan(0.8);
      for (const i of unseen) if (i !== u) expect(Math.abs(scores[i])).toBeLessThan(0.05);
    }
  });

  it('each half step is the exact minimiser of the full (dense) weighted objective: its gradient is 0', () => {
    // The Gramian trick must equal the dense sum over every item with confidence 1 + alpha or 1.
    const ds = generateSynthetic({ users: 30, items: 25, ratingsPerUser: 6, seed: 3 });
    const rows = rowsOf(ds.ratings);
    const d = 4;
    const alpha = 5;
    const lambda = 0.7;
    const y = Float32Array.from({ length: 25 * d }, (_, k) => Math.sin(k * 1.7) * 0.5);
    const byUser = pairsCsr(rows, ds.ratings.user, ds.ratings.item, 30);
    const x = new Float32Array(30 * d);
    alsHalfStep(byUser, y, gramian(y, 25, d), d, alpha, lambda, x);
    let worst = 0;
    for (let u = 0; u < 30; u++) {
      const mine = new Set(byUser.indices.subarray(byUser.indptr[u], byUser.indptr[u + 1]));
      const grad = new Float64Array(d);
      for (let i = 0; i < 25; i++) {
        const c = mine.has(i) ? 1 + alpha : 1;
        const e = dot(x, u * d, y, i * d, d) - (mine.has(i) ? 1 : 0);
        for (let f = 0; f < d; f++) grad[f] += c * e * y[i * d + f];
      }
      for (let f = 0; f < d; f++) worst = Math.max(worst, Math.abs(grad[f] + lambda * x[u * d + f]));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('the objective never rises from one epoch to the next (each half step is exact), and a seed reproduces it', () => {
    const ds = generateSynthetic({ users: 80, items: 60, ratingsPerUser: 12, seed: 9 });
    const rows = rowsOf(ds.ratings);
    const o = { dim: 8, alpha: 4, lambda: 2, epochs: 6, seed: 11 };
    const a = trainIals(ds.ratings, rows, 80, 60, o);
    for (let e = 1; e < a.epochs.length; e++) expect(a.epochs[e].trainLoss).toBeLessThanOrEqual(a.epochs[e - 1].trainLoss + 1e-9);
    expect(a.epochs[5].trainLoss).toBeLessThan(a.epochs[0].trainLoss);
    const b = trainIals(ds.ratings, rows, 80, 60, o);
    expect(Array.from(b.params.userFactors)).toEqual(Array.from(a.params.userFactors));
    const c = trainIals(ds.ratings, rows, 80, 60, { ...o, seed: 12 });
    expect(Array.from(c.params.itemFactors)).not.toEqual(Array.from(a.params.itemFactors));
  });
});

describe('iALS and the serving fold-in solve the same user step', () => {
  beforeAll(useWasmBackend);

  it("foldInImplicit of a training user's items equals the trainer's own vector for that user (1e-4)", async () => {
    const ds = generateSynthetic({ users: 60, items: 50, ratingsPerUser: 10, seed: 5 });
    const rows = rowsOf(ds.ratings);
    const o = { dim: 6, alpha: 3, lambda: 1.5, epochs: 4, initStd: 0.1, seed: 2 };
    const { params } = trainIals(ds.ratings, rows, 60, 50, o);
    const built = await buildRatingArtifact({
      kind: 'mf',
      tensors: [
        { name: TENSOR_NAMES.userFactors, data: params.userFactors, shape: [60, 6], dtype: 'f32' },
        { name: TENSOR_NAMES.itemFactors, data: params.itemFactors, shape: [50, 6], dtype: 'f32' },
      ],
      dataset: ds,
      trainRows: rows,
      split: 'none',
      hyper: {},
      quantization: 'f32',
      ranker: { spec: { kind: 'ials', dim: 6, alpha: o.alpha, lambda: o.lambda, epochs: o.epochs }, params },
      foldin: { implicit: { alpha: o.alpha, lambda: o.lambda } },
    });
    const m = loadModel('t', 't', await decodePacked(built.manifest, built.tensors, built.items));
    try {
      let worst = 0;
      for (const u of [0, 17, 59]) {
        const v = foldInImplicit(m, seenItems(m, u));
        for (let f = 0; f < 6; f++) worst = Math.max(worst, Math.abs(v[f] - params.userFactors[u * 6 + f]));
      }
      expect(worst).toBeLessThan(1e-4);
      // The artifact ranks by the ranker: recommendForUser's scores are the ranker's dot products.
      const rec = recommendForUser(m, 17, 3, true);
      for (const s of rec) expect(s.score).toBeCloseTo(dot(params.userFactors, 17 * 6, params.itemFactors, s.index * 6, 6), 4);
    } finally {
      m.dispose();
    }
  });
});

describe('iALS conjugate-gradient half steps (solver cg)', () => {
  const ds = generateSynthetic({ users: 40, items: 30, ratingsPerUser: 8, seed: 4 });
  const rows = rowsOf(ds.ratings);
  const d = 5;
  const y = Float32Array.from({ length: 30 * d }, (_, k) => Math.cos(k * 0.9) * 0.4);
  const byUser = pairsCsr(rows, ds.ratings.user, ds.ratings.item, 40);
  const g = gramian(y, 30, d);

  it('d steps from any start reach the exact (Cholesky) solution; one step from 0 is the known steepest-descent step', () => {
    const exact = new Float32Array(40 * d);
    alsHalfStep(byUser, y, g, d, 3, 0.5, exact);
    const cg = Float32Array.from({ length: 40 * d }, (_, k) => Math.sin(k)); // a warm start far from the answer
    cgHalfStep(byUser, y, g, d, 3, 0.5, d, cg);
    for (let k = 0; k < cg.length; k++) expect(cg[k]).toBeCloseTo(exact[k], 4);
    // From x = 0 the residual is b, so one step is x = (b.b / b.A b) b.
    const one = new Float32Array(40 * d);
    cgHalfStep(byUser, y, g, d, 3, 0.5, 1, one);
    const u = 0;
    const mine = byUser.indices.subarray(byUser.indptr[u], byUser.indptr[u + 1]);
    const b = new Float64Array(d);
    for (const i of mine) for (let f = 0; f < d; f++) b[f] += 4 * y[i * d + f];
    const ab = new Float64Array(d);
    for (let r = 0; r < d; r++) {
      ab[r] = 0.5 * b[r];
      for (let c = 0; c < d; c++) ab[r] += g[r * d + c] * b[c];
    }
    for (const i of mine) {
      const s = 3 * dot(y, i * d, Float32Array.from(b), 0, d);
      for (let f = 0; f < d; f++) ab[f] += s * y[i * d + f];
    }
    const bb = b.reduce((s, v) => s + v * v, 0);
    const bab = b.reduce((s, v, f) => s + v * ab[f], 0);
    for (let f = 0; f < d; f++) expect(one[u * d + f]).toBeCloseTo((bb / bab) * b[f], 5);
  });

  it('the objective never rises; the last user step is exact, so the users are what the fold-in solves for', () => {
    const o = { dim: 6, alpha: 4, lambda: 2, epochs: 6, seed: 11, solver: 'cg' as const, cgSteps: 2 };
    const a = trainIals(ds.ratings, rows, 40, 30, o);
    for (let e = 1; e < a.epochs.length; e++) expect(a.epochs[e].trainLoss).toBeLessThanOrEqual(a.epochs[e - 1].trainLoss + 1e-9);
    const exactUsers = new Float32Array(40 * 6);
    alsHalfStep(byUser, a.params.itemFactors, gramian(a.params.itemFactors, 30, 6), 6, o.alpha, o.lambda, exactUsers);
    expect(Array.from(a.params.userFactors)).toEqual(Array.from(exactUsers));
    // The same settings with the exact solver end within a hair of the CG run (CG loses little, per epoch).
    const chol = trainIals(ds.ratings, rows, 40, 30, { ...o, solver: 'cholesky' });
    expect(Math.abs(chol.epochs[5].trainLoss - a.epochs[5].trainLoss)).toBeLessThan(0.01 * chol.epochs[5].trainLoss);
    expect(() => trainIals(ds.ratings, rows, 40, 30, { ...o, solver: 'lu' as 'cg' })).toThrow(/solver must be cholesky or cg, got "lu"/);
    expect(() => trainIals(ds.ratings, rows, 40, 30, { ...o, cgSteps: 0 })).toThrow(/cgSteps must be an integer >= 1, got 0/);
  });
});

describe('cgHalfStep returns the observed pairs\' part of the loss from its own dot products', () => {
  it('equals the sum over the rows\' pairs of (1 + alpha)(1 - s)^2 - s^2 at the new vectors', () => {
    const ds = generateSynthetic({ users: 25, items: 20, ratingsPerUser: 6, seed: 8 });
    const rows = rowsOf(ds.ratings);
    const d = 4;
    const y = Float32Array.from({ length: 20 * d }, (_, k) => Math.sin(k * 2.3) * 0.5);
    const byUser = pairsCsr(rows, ds.ratings.user, ds.ratings.item, 25);
    const x = Float32Array.from({ length: 25 * d }, (_, k) => Math.cos(k) * 0.1);
    const got = cgHalfStep(byUser, y, gramian(y, 20, d), d, 2, 0.5, 2, x);
    let want = 0;
    for (let u = 0; u < 25; u++) {
      for (let k = byUser.indptr[u]; k < byUser.indptr[u + 1]; k++) {
        const s = dot(x, u * d, y, byUser.indices[k] * d, d);
        want += 3 * (1 - s) ** 2 - s * s;
      }
    }
    expect(got).toBeCloseTo(want, 4);
    expect(Math.abs(want)).toBeGreaterThan(1);
  });
});
