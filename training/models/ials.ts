import { solveSpd } from '../../shared/model/solve.js';
import { createRng, randomNormal } from '../data/random.js';
import type { Ratings } from '../data/types.js';
import type { EpochReport } from './epoch-report.js';
import { allFinite } from './divergence.js';

/**
 * Implicit ALS (Hu, Koren & Volinsky 2008, "Collaborative Filtering for Implicit Feedback Datasets"): every
 * (user, item) pair of the training rows is a positive with confidence 1 + alpha, every other pair a 0 with
 * confidence 1, and user vectors x_u and item vectors y_i minimise
 *
 *   sum_{(u,i) observed} (1 + alpha) (1 - x_u.y_i)^2 + sum_{(u,i) not observed} (x_u.y_i)^2 + lambda (sum |x_u|^2 + sum |y_i|^2).
 *
 * Each half step is exact: with Y fixed, x_u = (YtY + alpha sum_{i in I_u} y_i y_it + lambda I)^-1 (1 + alpha) sum_{i in I_u} y_i,
 * where YtY over all items is computed once per half step (the Gramian trick), so a user costs |I_u| d^2 / 2 + d^3 / 6
 * rather than N d^2. The item step is the same with the roles swapped. That user step is exactly what
 * shared/model/foldin.ts foldInImplicit solves for a visitor at request time (plain lambda, no frequency scaling), so
 * a visitor and a training user with the same items get the same vector.
 *
 * Each epoch is an item step then a user step, so the exported user vectors are the exact user step against the
 * exported item vectors. Storage is Float32Array (what the artifact holds); Gramians and solves run in float64.
 * Deterministic given the seed (only the initial user vectors are random; the rest is arithmetic in a fixed order).
 */
export interface IalsOptions {
  dim: number;
  /** Confidence of an observed pair is 1 + alpha. */
  alpha: number;
  /** L2 weight of both solves. */
  lambda: number;
  epochs: number;
  /** Initial user vectors ~ N(0, initStd^2 / dim) (Rendle et al. 2021 start from a 0.1 / sqrt(d) spread). */
  initStd: number;
  seed: number;
}

/**
 * Chosen on validation rows, never test rows: ml-100k ranking-75-25 (seed 42) training rows, of which 25% per user
 * (seed 43) were held out for validation (`npm run tune-ranker -- --what ials`, training/pipeline/tune-ranker.ts),
 * the best (configuration, epoch) by validation nDCG@10 over 15 epochs each (training seed 42):
 *   dim 64 x alpha {1, 3, 10, 30} x lambda {1, 3, 10, 30, 100}: best alpha 3, lambda 30 (0.2711); the optimum sits on
 *   lambda / alpha ~ 10 and is sharp in lambda (alpha 3: lambda 10 0.229, 100 0.208);
 *   dim 64 x alpha {2, 3, 5} x lambda {15, 20, 30, 50}: alpha 2 or 3 with lambda 30 (0.2719 / 0.2711), 50 worse;
 *   dim {16, 32, 128} at alpha 3, lambda {20, 30, 50}: dim 32 lambda 30 at epoch 11 0.2725 (the best of all 40),
 *   dim 16 0.2697, dim 128 0.2720 at 7x the time. Most-popular on the same validation rows: 0.1604.
 * Plain lambda (no frequency scaling as in Rendle et al. 2021), because it is what foldInImplicit solves with.
 */
export const IALS_DEFAULTS: IalsOptions = { dim: 32, alpha: 3, lambda: 30, epochs: 11, initStd: 0.1, seed: 42 };

export interface IalsParams {
  nUsers: number;
  nItems: number;
  dim: number;
  /** [nUsers, dim] row-major. */
  userFactors: Float32Array;
  /** [nItems, dim] row-major. */
  itemFactors: Float32Array;
}

/** Distinct items per user (or users per item), CSR, ascending. Duplicate rows of a pair count once. */
export interface Csr {
  indptr: Int32Array;
  indices: Int32Array;
}

export function pairsCsr(rows: Int32Array, from: Int32Array, to: Int32Array, nFrom: number): Csr {
  const count = new Int32Array(nFrom + 1);
  for (const r of rows) count[from[r] + 1]++;
  for (let a = 0; a < nFrom; a++) count[a + 1] += count[a];
  const raw = new Int32Array(rows.length);
  const fill = count.slice(0, nFrom);
  for (const r of rows) raw[fill[from[r]]++] = to[r];
  const indptr = new Int32Array(nFrom + 1);
  const indices = new Int32Array(rows.length);
  let n = 0;
  for (let a = 0; a < nFrom; a++) {
    const own = raw.subarray(count[a], count[a + 1]).sort();
    for (let k = 0; k < own.length; k++) if (k === 0 || own[k] !== own[k - 1]) indices[n++] = own[k];
    indptr[a + 1] = n;
  }
  return { indptr, indices: indices.slice(0, n) };
}

/** Gram matrix FtF of a row-major [n, d] table, d x d (full, symmetric), in float64. */
export function gramian(f: Float32Array, n: number, d: number): Float64Array {
  const g = new Float64Array(d * d);
  for (let s = 0; s < n; s++) {
    const o = s * d;
    for (let r = 0; r < d; r++) {
      const fr = f[o + r];
      if (fr === 0) continue;
      const row = r * d;
      for (let c = 0; c <= r; c++) g[row + c] += fr * f[o + c];
    }
  }
  for (let r = 0; r < d; r++) for (let c = r + 1; c < d; c++) g[r * d + c] = g[c * d + r];
  return g;
}

/**
 * One side's exact least-squares step: for every row a of `out`, solve
 *   (G + alpha sum_{b in N(a)} f_b f_bt + lambda I) x_a = (1 + alpha) sum_{b in N(a)} f_b
 * against the fixed table `fixed` ([*, d]) whose Gramian is `g`. A row with no interactions gets x = 0 (the
 * minimiser when every target is 0).
 */
export function alsHalfStep(csr: Csr, fixed: Float32Array, g: Float64Array, d: number, alpha: number, lambda: number, out: Float32Array): void {
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  const nRows = csr.indptr.length - 1;
  for (let row = 0; row < nRows; row++) {
    const start = csr.indptr[row];
    const end = csr.indptr[row + 1];
    const o = row * d;
    if (start === end) {
      out.fill(0, o, o + d);
      continue;
    }
    a.set(g); // only the lower triangle is read by solveSpd
    b.fill(0);
    for (let k = start; k < end; k++) {
      const fo = csr.indices[k] * d;
      for (let r = 0; r < d; r++) {
        const fr = fixed[fo + r];
        b[r] += fr;
        const w = alpha * fr;
        const ar = r * d;
        for (let c = 0; c <= r; c++) a[ar + c] += w * fixed[fo + c];
      }
    }
    for (let r = 0; r < d; r++) {
      a[r * d + r] += lambda;
      b[r] *= 1 + alpha;
    }
    const x = solveSpd(a, b, d);
    for (let r = 0; r < d; r++) out[o + r] = x[r];
  }
}

/**
 * The objective above divided by the number of observed pairs: sum over all pairs of s^2 is trace(XtX YtY), so the
 * loss costs nnz d + d^2 rather than U N d.
 */
export function ialsLoss(p: IalsParams, byUser: Csr, alpha: number, lambda: number): number {
  const d = p.dim;
  const gx = gramian(p.userFactors, p.nUsers, d);
  const gy = gramian(p.itemFactors, p.nItems, d);
  let all = 0;
  for (let k = 0; k < d * d; k++) all += gx[k] * gy[k];
  let observed = 0;
  for (let u = 0; u < p.nUsers; u++) {
    const uo = u * d;
    for (let k = byUser.indptr[u]; k < byUser.indptr[u + 1]; k++) {
      const io = byUser.indices[k] * d;
      let s = 0;
      for (let f = 0; f < d; f++) s += p.userFactors[uo + f] * p.itemFactors[io + f];
      observed += (1 + alpha) * (1 - s) ** 2 - s * s;
    }
  }
  let reg = 0;
  for (const x of p.userFactors) reg += x * x;
  for (const y of p.itemFactors) reg += y * y;
  return (all + observed + lambda * reg) / Math.max(1, byUser.indices.length);
}

export interface IalsHooks {
  onEpoch?: (r: EpochReport) => void;
  /** Extra figures for an epoch's report (e.g. validation nDCG), computed outside the epoch's timing. */
  evaluate?: (p: IalsParams, epoch: number) => Record<string, number>;
}

/** Trains on the (user, item) pairs of `rows` (ratings' values are ignored: every row is a positive). */
export function trainIals(
  ratings: Ratings,
  rows: Int32Array,
  nUsers: number,
  nItems: number,
  options: Partial<IalsOptions> = {},
  hooks: IalsHooks = {},
): { params: IalsParams; epochs: EpochReport[] } {
  const o = { ...IALS_DEFAULTS, ...options };
  const d = o.dim;
  if (!(o.lambda > 0)) throw new RangeError(`ials: lambda must be > 0 (the solves need it positive definite), got ${o.lambda}`);
  if (!(o.alpha >= 0)) throw new RangeError(`ials: alpha must be >= 0, got ${o.alpha}`);
  const byUser = pairsCsr(rows, ratings.user, ratings.item, nUsers);
  const byItem = pairsCsr(rows, ratings.item, ratings.user, nItems);
  const rng = createRng(o.seed);
  const std = o.initStd / Math.sqrt(d);
  const userFactors = new Float32Array(nUsers * d);
  for (let k = 0; k < userFactors.length; k++) userFactors[k] = std * randomNormal(rng);
  const params: IalsParams = { nUsers, nItems, dim: d, userFactors, itemFactors: new Float32Array(nItems * d) };
  const epochs: EpochReport[] = [];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    alsHalfStep(byItem, params.userFactors, gramian(params.userFactors, nUsers, d), d, o.alpha, o.lambda, params.itemFactors);
    alsHalfStep(byUser, params.itemFactors, gramian(params.itemFactors, nItems, d), d, o.alpha, o.lambda, params.userFactors);
    const seconds = (performance.now() - t0) / 1000;
    if (!allFinite(params.userFactors) || !allFinite(params.itemFactors)) {
      throw new Error(`ials: not all factors are finite after epoch ${epoch}; try a larger --ranker-lambda`);
    }
    const report: EpochReport = { epoch, seconds, trainLoss: ialsLoss(params, byUser, o.alpha, o.lambda), ...hooks.evaluate?.(params, epoch) };
    epochs.push(report);
    hooks.onEpoch?.(report);
  }
  return { params, epochs };
}
