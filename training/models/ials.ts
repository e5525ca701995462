import { solveSpd } from '../../shared/model/solve.js';
import { createRng, randomNormal } from '../data/random.js';
import type { Ratings } from '../data/types.js';
import type { EpochReport } from './epoch-report.js';
import { DivergenceError } from './divergence.js';
import { runEpochs } from './epoch-loop.js';

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
 * Each epoch is an item step then a user step (the last one exact with either solver), so the exported user vectors
 * are the exact user step against the exported item vectors. Storage is Float32Array (what the artifact holds); Gramians and solves run in float64.
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
  /**
   * How each half step solves its d x d systems: `cholesky` exactly, or `cg`: `cgSteps` conjugate-gradient steps
   * warm-started from the previous epoch's vectors (Takacs, Pilaszy & Tikk 2011; what the `implicit` library does).
   * With `cg` the last epoch's user step is still exact, so the exported users are what a fold-in solves for.
   */
  solver: IalsSolver;
  cgSteps: number;
}

export const IalsSolver = { cholesky: 'cholesky', cg: 'cg' } as const;
export type IalsSolver = (typeof IalsSolver)[keyof typeof IalsSolver];

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
export const IALS_DEFAULTS: IalsOptions = { dim: 32, alpha: 3, lambda: 30, epochs: 11, initStd: 0.1, seed: 42, solver: 'cholesky', cgSteps: 3 };

/**
 * The standalone `ials` kind (training/pipeline/train-ials.ts): IALS_DEFAULTS with conjugate-gradient half steps.
 * Chosen on the same validation carve as IALS_DEFAULTS (ml-100k ranking-75-25 seed 42 training rows, 25% per user
 * held out, seed 43; `npm run tune-ranker -- --what ials --dims 32 --alphas 2,3 --lambdas 20,30 --solver cg
 * --cg-steps 2|3`, 15 epochs, validation nDCG@10 per epoch): 2 steps, alpha 3, lambda 30 best at epoch 7 (0.2727;
 * 3 steps 0.2713 at epoch 6, alpha 2 lambda 30 0.2723; exact Cholesky 0.2725 at epoch 11), so CG loses nothing on
 * validation at about a third of an exact epoch's arithmetic at dim 32.
 */
export const IALS_STANDALONE: IalsOptions = { ...IALS_DEFAULTS, solver: 'cg', cgSteps: 2, epochs: 7 };

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
 * alsHalfStep's systems solved approximately: `steps` conjugate-gradient steps per row, starting from the row's
 * current value in `out` (warm start). A v = G v + alpha sum_b f_b (f_b . v) + lambda v costs d^2 + 2 |N(a)| d, so
 * a row costs steps (d^2 + 2 |N(a)| d) instead of |N(a)| d^2 / 2 + d^3 / 6. Each step lowers the row's quadratic
 * (CG minimises it along conjugate directions), so the objective never rises; d steps reach the exact solution.
 * Returns the observed pairs' part of the objective, sum (1 + alpha)(1 - s)^2 - s^2 over s = f_b . x_a (the new x_a),
 * from dot products the steps compute anyway (x = x0 + sum_k a_k p_k, so f.x = f.x0 + sum_k a_k f.p_k).
 */
export function cgHalfStep(csr: Csr, fixed: Float32Array, g: Float64Array, d: number, alpha: number, lambda: number, steps: number, out: Float32Array): number {
  const x = new Float64Array(d);
  const r = new Float64Array(d);
  const p = new Float64Array(d);
  const ap = new Float64Array(d);
  const { indptr, indices } = csr;
  const nRows = indptr.length - 1;
  let maxDegree = 0;
  for (let row = 0; row < nRows; row++) maxDegree = Math.max(maxDegree, indptr[row + 1] - indptr[row]);
  // The row's neighbours' vectors, gathered once into contiguous float64 for the steps' matrix-vector products.
  const block = new Float64Array(maxDegree * d);
  const xdots = new Float64Array(maxDegree);
  const pdots = new Float64Array(maxDegree);
  let observed = 0;
  for (let row = 0; row < nRows; row++) {
    const start = indptr[row];
    const n = indptr[row + 1] - start;
    const o = row * d;
    if (n === 0) {
      out.fill(0, o, o + d);
      continue;
    }
    // Gather the neighbours and form the warm start's residual r = b - A x in one pass:
    // r = sum_b f_b (1 + alpha - alpha f_b . x) - (G + lambda I) x.
    for (let f = 0; f < d; f++) x[f] = out[o + f];
    for (let i = 0; i < d; i++) {
      let s = -lambda * x[i];
      for (let j = 0, gi = i * d; j < d; j++) s -= g[gi + j] * x[j];
      r[i] = s;
    }
    for (let k = 0, bo = 0; k < n; k++, bo += d) {
      const fo = indices[start + k] * d;
      let s = 0;
      for (let f = 0; f < d; f++) s += (block[bo + f] = fixed[fo + f]) * x[f];
      xdots[k] = s;
      const c = 1 + alpha - alpha * s;
      for (let f = 0; f < d; f++) r[f] += c * block[bo + f];
    }
    let rr = 0;
    for (let f = 0; f < d; f++) {
      p[f] = r[f];
      rr += r[f] * r[f];
    }
    for (let step = 0; step < steps && rr > 1e-20; step++) {
      systemTimes(g, lambda, alpha, block, n, d, p, ap, pdots);
      let pap = 0;
      for (let f = 0; f < d; f++) pap += p[f] * ap[f];
      const a = rr / pap;
      for (let k = 0; k < n; k++) xdots[k] += a * pdots[k];
      let next = 0;
      for (let f = 0; f < d; f++) {
        x[f] += a * p[f];
        r[f] -= a * ap[f];
        next += r[f] * r[f];
      }
      const beta = next / rr;
      rr = next;
      for (let f = 0; f < d; f++) p[f] = r[f] + beta * p[f];
    }
    for (let f = 0; f < d; f++) out[o + f] = x[f];
    for (let k = 0; k < n; k++) observed += (1 + alpha) * (1 - xdots[k]) ** 2 - xdots[k] * xdots[k];
  }
  return observed;
}

/** ap = A v = G v + lambda v + alpha sum_b f_b (f_b . v) over the n neighbour vectors in `block` ([n, d]); f_b . v into vdots. */
function systemTimes(g: Float64Array, lambda: number, alpha: number, block: Float64Array, n: number, d: number, v: Float64Array, ap: Float64Array, vdots: Float64Array): void {
  // Unrolled by 4 (V8 does not vectorise; these are the epoch's hot loops); `tail` columns are done one by one.
  const tail = d & 3;
  for (let i = 0; i < d; i++) {
    const gi = i * d;
    let s0 = lambda * v[i], s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j < d - tail; j += 4) {
      s0 += g[gi + j] * v[j];
      s1 += g[gi + j + 1] * v[j + 1];
      s2 += g[gi + j + 2] * v[j + 2];
      s3 += g[gi + j + 3] * v[j + 3];
    }
    for (; j < d; j++) s0 += g[gi + j] * v[j];
    ap[i] = s0 + s1 + s2 + s3;
  }
  for (let k = 0, bo = 0; k < n; k++, bo += d) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let f = 0;
    for (; f < d - tail; f += 4) {
      s0 += block[bo + f] * v[f];
      s1 += block[bo + f + 1] * v[f + 1];
      s2 += block[bo + f + 2] * v[f + 2];
      s3 += block[bo + f + 3] * v[f + 3];
    }
    for (; f < d; f++) s0 += block[bo + f] * v[f];
    vdots[k] = s0 + s1 + s2 + s3;
    const s = alpha * vdots[k];
    for (f = 0; f < d - tail; f += 4) {
      ap[f] += s * block[bo + f];
      ap[f + 1] += s * block[bo + f + 1];
      ap[f + 2] += s * block[bo + f + 2];
      ap[f + 3] += s * block[bo + f + 3];
    }
    for (; f < d; f++) ap[f] += s * block[bo + f];
  }
}

/**
 * The objective above divided by the number of observed pairs: sum over all pairs of s^2 is trace(XtX YtY), so the
 * loss costs nnz d + d^2 rather than U N d; nnz d is skipped when the observed pairs' part is given (cgHalfStep's).
 */
export function ialsLoss(p: IalsParams, byUser: Csr, alpha: number, lambda: number, itemGramian?: Float64Array, observedPart?: number): number {
  const d = p.dim;
  const gx = gramian(p.userFactors, p.nUsers, d);
  const gy = itemGramian ?? gramian(p.itemFactors, p.nItems, d);
  let all = 0;
  for (let k = 0; k < d * d; k++) all += gx[k] * gy[k];
  let observed = observedPart ?? 0;
  for (let u = 0; u < (observedPart === undefined ? p.nUsers : 0); u++) {
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
  if (!Object.values(IalsSolver).includes(o.solver)) throw new RangeError(`ials: solver must be cholesky or cg, got ${JSON.stringify(o.solver)}`);
  if (!Number.isInteger(o.cgSteps) || o.cgSteps < 1) throw new RangeError(`ials: cgSteps must be an integer >= 1, got ${o.cgSteps}`);
  const byUser = pairsCsr(rows, ratings.user, ratings.item, nUsers);
  const byItem = pairsCsr(rows, ratings.item, ratings.user, nItems);
  const rng = createRng(o.seed);
  const std = o.initStd / Math.sqrt(d);
  const userFactors = new Float32Array(nUsers * d);
  for (let k = 0; k < userFactors.length; k++) userFactors[k] = std * randomNormal(rng);
  const params: IalsParams = { nUsers, nItems, dim: d, userFactors, itemFactors: new Float32Array(nItems * d) };
  /** One half step against `fixed`: fixed's Gramian and (CG) the observed part of the loss, which the loss reuses. */
  const half = (csr: Csr, fixed: Float32Array, nFixed: number, out: Float32Array, exact: boolean) => {
    const g = gramian(fixed, nFixed, d);
    if (exact) {
      alsHalfStep(csr, fixed, g, d, o.alpha, o.lambda, out);
      return { g, observed: undefined };
    }
    return { g, observed: cgHalfStep(csr, fixed, g, d, o.alpha, o.lambda, o.cgSteps, out) };
  };
  const exact = o.solver === 'cholesky';
  let epochs: EpochReport[];
  try {
    epochs = runEpochs({
      model: 'ials',
      epochs: o.epochs,
      lr: 0,
      weights: () => ({ 'user factors': params.userFactors, 'item factors': params.itemFactors }),
      measure: (epoch) => hooks.evaluate?.(params, epoch) ?? {},
      onEpoch: hooks.onEpoch,
      work: (epoch) => {
        half(byItem, params.userFactors, nUsers, params.itemFactors, exact);
        const { g, observed } = half(byUser, params.itemFactors, nItems, params.userFactors, exact || epoch === o.epochs);
        return { trainLoss: ialsLoss(params, byUser, o.alpha, o.lambda, g, observed) };
      },
    });
  } catch (e) {
    if (!(e instanceof DivergenceError)) throw e;
    // ALS has no step size: the remedy is a larger ridge weight, not the learning rate runEpochs suggests.
    throw new Error(`${e.message.split(' Try a smaller')[0]} Try a larger lambda (--ranker-lambda, now ${o.lambda}).`);
  }
  return { params, epochs };
}
