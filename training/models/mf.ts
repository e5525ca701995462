import { createRng, shuffleInPlace, type Rng } from '../data/random.js';
import type { Ratings } from '../data/types.js';
import type { EpochReport } from './epoch-report.js';
import { runEpochs } from './epoch-loop.js';
import { sgdKernel } from './mf-kernel.js';

/**
 * Explicit matrix factorisation with biases: r(u,i) ~ mu + b_u + b_i + p_u . q_i, squared error plus L2.
 *
 * Trained with per-rating SGD that touches only the rows of the rating at hand (a sparse, row-wise update):
 * faster and more accurate than dense Adam, which moves every row every step (docs/recipes.md "Training in Node").
 */
export interface MfOptions {
  dim: number;
  epochs: number;
  /** SGD step size for factors and biases. */
  lr: number;
  /** L2 weight on factors. */
  reg: number;
  /** L2 weight on biases. */
  regBias: number;
  /** Multiplies lr after every epoch. */
  lrDecay: number;
  /** Std-dev of the initial factors. */
  initStd: number;
  /** False: plain dot-product model (no biases, no global mean), as notebook 001's first model. */
  bias: boolean;
  /**
   * SVD++-style implicit feedback (Koren 2008): the user vector is p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j over the
   * items u rated in training. The sum is folded into the exported user vector once training ends, so serving
   * stays a dot product.
   */
  implicit: boolean;
  /** L2 weight on the implicit item vectors y_j. */
  regImplicit: number;
  seed: number;
}

// Chosen by random search on validation rows carved from u1's training rows, never its test rows (seed 42, 10% of
// u1.base held out; space lr log[0.003, 0.03], reg log[0.02, 0.2], lr-decay [0.9, 1]). The dimension is a serving
// choice, fixed at 64: `npm run tune -- --model mf --data ../shared/data/ml-100k --trials 24 --split u1` with dim in
// the space too found 0.9224 at dim 128 (lr 0.019, reg 0.0952, lr-decay 0.971), only 0.0008 better than the best at
// 64 for twice the artifact bytes and scan time. With `--dim 64`, the best of 24 (trial 24): valid RMSE 0.9232 at
// lr 0.0132, reg 0.104, lr-decay 0.997, against 0.9234 for the old defaults (once picked on a test split).
export const MF_DEFAULTS: MfOptions = {
  dim: 64,
  epochs: 80,
  lr: 0.0132,
  reg: 0.104,
  regBias: 0.02,
  lrDecay: 0.997,
  initStd: 0.1,
  bias: true,
  implicit: false,
  regImplicit: 0.01,
  seed: 42,
};

export interface MfParams {
  nUsers: number;
  nItems: number;
  dim: number;
  mu: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  userBias: Float32Array;
  itemBias: Float32Array;
}


export function trainMf(
  ratings: Ratings,
  rows: Int32Array,
  nUsers: number,
  nItems: number,
  options: Partial<MfOptions> = {},
  hooks: { validRows?: Int32Array; onEpoch?: (r: EpochReport) => void } = {},
): { params: MfParams; epochs: EpochReport[] } {
  const o = { ...MF_DEFAULTS, ...options };
  if (o.implicit) return trainImplicit(ratings, rows, nUsers, nItems, o, hooks);
  const rng = createRng(o.seed);
  const d = o.dim;
  const P = gaussian(nUsers * d, o.initStd, rng);
  const Q = gaussian(nItems * d, o.initStd, rng);
  const bu = new Float32Array(nUsers);
  const bi = new Float32Array(nItems);
  let mu = 0;
  if (o.bias) {
    for (let r = 0; r < rows.length; r++) mu += ratings.rating[rows[r]];
    mu /= Math.max(1, rows.length);
  }
  const params: MfParams = { nUsers, nItems, dim: d, mu, userFactors: P, itemFactors: Q, userBias: bu, itemBias: bi };
  // The epoch runs in WebAssembly SIMD (mf-kernel.ts) on its own copy of the tables, read back after every epoch.
  const kernel = sgdKernel(ratings, rows, { nUsers, nItems, dim: d, mu: o.bias ? mu : NaN, reg: o.reg, regBias: o.regBias }, P, Q);
  const epochs = runEpochs({
    model: 'mf',
    epochs: o.epochs,
    lr: o.lr,
    lrDecay: o.lrDecay,
    weights: () => ({ 'user factors': P, 'item factors': Q }),
    measure: () => (hooks.validRows ? validFigures(rmseOf(params, ratings, hooks.validRows, o.bias)) : {}),
    onEpoch: hooks.onEpoch,
    work: (_epoch, lr) => {
      shuffleInPlace(kernel.order, rng);
      const sse = kernel.epoch(lr);
      kernel.read(P, Q, bu, bi);
      return trainFigures(sse, rows.length);
    },
  });
  return { params, epochs };
}

/**
 * SVD++ trained user by user: the implicit sum z = |N(u)|^-1/2 sum y_j is computed once per user, updated in step
 * with the per-rating SGD (each step moves every y_j of the user by lr err s q_i, so z moves by lr err q_i), and
 * the accumulated y updates are written back after the user's ratings. Per-rating SGD over all y_j (Surprise's
 * SVDpp) costs |N(u)| d per rating; this costs d per rating plus 2 |N(u)| d per user and epoch.
 */
function trainImplicit(
  ratings: Ratings,
  rows: Int32Array,
  nUsers: number,
  nItems: number,
  o: MfOptions,
  hooks: { validRows?: Int32Array; onEpoch?: (r: EpochReport) => void },
): { params: MfParams; epochs: EpochReport[] } {
  const rng = createRng(o.seed);
  const d = o.dim;
  const P = gaussian(nUsers * d, o.initStd, rng);
  const Q = gaussian(nItems * d, o.initStd, rng);
  let mu = 0;
  if (o.bias) {
    for (let r = 0; r < rows.length; r++) mu += ratings.rating[rows[r]];
    mu /= Math.max(1, rows.length);
  }
  const st: SvdppState = {
    o, ratings, P, Q, Y: new Float32Array(nItems * d), bu: new Float32Array(nUsers), bi: new Float32Array(nItems), mu,
    ...rowsByUser(rows, ratings.user, nUsers),
    z: new Float32Array(d), gz: new Float32Array(d), pe: new Float32Array(d), sse: 0,
  };
  const params: MfParams = { nUsers, nItems, dim: d, mu, userFactors: P, itemFactors: Q, userBias: st.bu, itemBias: st.bi };
  const users = Int32Array.from({ length: nUsers }, (_, u) => u);
  const epochs = runEpochs({
    model: 'mf',
    epochs: o.epochs,
    lr: o.lr,
    lrDecay: o.lrDecay,
    weights: () => ({ 'user factors': P, 'item factors': Q, 'implicit item factors': st.Y }),
    measure: () => (hooks.validRows ? validFigures(rmseOf({ ...params, userFactors: foldImplicit(st) }, ratings, hooks.validRows, o.bias)) : {}),
    onEpoch: hooks.onEpoch,
    work: (_epoch, lr) => {
      shuffleInPlace(users, rng);
      st.sse = 0;
      for (const u of users) svdppUserStep(st, u, lr, rng);
      return trainFigures(st.sse, rows.length);
    },
  });
  params.userFactors = foldImplicit(st);
  return { params, epochs };
}

/** SVD++'s tables and scratch rows, and the training rows grouped by user. */
interface SvdppState {
  o: MfOptions;
  ratings: Ratings;
  P: Float32Array;
  Q: Float32Array;
  Y: Float32Array;
  bu: Float32Array;
  bi: Float32Array;
  mu: number;
  /** CSR over users: user u's rows are byUser[start[u] .. start[u + 1]). */
  start: Int32Array;
  byUser: Int32Array;
  z: Float32Array;
  gz: Float32Array;
  pe: Float32Array;
  /** The epoch's squared error so far, summed rating by rating. */
  sse: number;
}

/** The training rows grouped by user (CSR): N(u) and the order SGD visits them in. */
function rowsByUser(rows: Int32Array, user: Int32Array, nUsers: number): { start: Int32Array; byUser: Int32Array } {
  const start = new Int32Array(nUsers + 1);
  for (const r of rows) start[user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) start[u + 1] += start[u];
  const byUser = new Int32Array(rows.length);
  const fill = start.slice(0, nUsers);
  for (const r of rows) byUser[fill[user[r]]++] = r;
  return { start, byUser };
}

/** The exported user vectors: p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j. */
function foldImplicit(st: SvdppState): Float32Array {
  const { P, Y, start, byUser } = st;
  const { item } = st.ratings;
  const d = st.z.length;
  const U = Float32Array.from(P);
  for (let u = 0; u + 1 < start.length; u++) {
    const own = byUser.subarray(start[u], start[u + 1]);
    const s = own.length ? 1 / Math.sqrt(own.length) : 0;
    for (const r of own) for (let f = 0, j = item[r] * d; f < d; f++) U[u * d + f] += s * Y[j + f];
  }
  return U;
}

/** One user's ratings in a shuffled order, then the user's y_j updates at once; adds their squared error to st.sse. */
function svdppUserStep(st: SvdppState, u: number, lr: number, rng: Rng): void {
  const { o, P, Q, Y, bu, bi, mu, z, gz, pe } = st;
  const { item, rating } = st.ratings;
  const d = z.length;
  const own = st.byUser.subarray(st.start[u], st.start[u + 1]);
  if (own.length === 0) return;
  shuffleInPlace(own, rng);
  const s = 1 / Math.sqrt(own.length);
  z.fill(0);
  gz.fill(0);
  for (const r of own) for (let f = 0, j = item[r] * d; f < d; f++) z[f] += Y[j + f];
  for (let f = 0; f < d; f++) z[f] *= s;
  const pu = u * d;
  for (const r of own) {
    const i = item[r];
    const qi = i * d;
    let dot = 0;
    for (let f = 0; f < d; f++) {
      pe[f] = P[pu + f] + z[f];
      dot += pe[f] * Q[qi + f];
    }
    const err = rating[r] - (o.bias ? mu + bu[u] + bi[i] + dot : dot);
    st.sse += err * err;
    if (o.bias) {
      bu[u] += lr * (err - o.regBias * bu[u]);
      bi[i] += lr * (err - o.regBias * bi[i]);
    }
    for (let f = 0; f < d; f++) {
      const q = Q[qi + f];
      Q[qi + f] += lr * (err * pe[f] - o.reg * q);
      P[pu + f] += lr * (err * q - o.reg * P[pu + f]);
      gz[f] += err * q;
      z[f] += lr * err * q;
    }
  }
  // Each rating also shrank every y_j by (1 - lr regImplicit): applied once per user, compounded.
  const decay = Math.pow(1 - lr * o.regImplicit, own.length);
  for (const r of own) for (let f = 0, j = item[r] * d; f < d; f++) Y[j + f] = Y[j + f] * decay + lr * s * gz[f];
}

/** The float model's prediction (unclipped). */
export function predictMf(p: MfParams, u: number, i: number, bias = true): number {
  let dot = 0;
  const a = u * p.dim;
  const b = i * p.dim;
  for (let f = 0; f < p.dim; f++) dot += p.userFactors[a + f] * p.itemFactors[b + f];
  return bias ? p.mu + p.userBias[u] + p.itemBias[i] + dot : dot;
}

function trainFigures(sse: number, n: number): { trainLoss: number; trainRmse: number } {
  const trainRmse = Math.sqrt(sse / Math.max(1, n));
  return { trainLoss: trainRmse ** 2, trainRmse };
}

function validFigures(validRmse: number): { validLoss: number; validRmse: number } {
  return { validLoss: validRmse ** 2, validRmse };
}

function rmseOf(p: MfParams, ratings: Ratings, rows: Int32Array, bias: boolean): number {
  let sse = 0;
  for (const row of rows) {
    const e = ratings.rating[row] - predictMf(p, ratings.user[row], ratings.item[row], bias);
    sse += e * e;
  }
  return Math.sqrt(sse / Math.max(1, rows.length));
}

function gaussian(n: number, std: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box-Muller: two normals per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - rng())) * std;
    const t = 2 * Math.PI * rng();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}
