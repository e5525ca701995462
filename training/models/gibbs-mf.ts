import { createRng } from '../data/random.js';
import type { RatingsDataset } from '../data/types.js';
import { createDraws, type Draws } from './draws.js';
import { runEpochs } from './epoch-loop.js';
import type { EpochReport } from './epoch-report.js';
import { buildDesigns, type DesignFeatures, type SideDesign } from './gibbs-design.js';
import type { MfParams } from './mf.js';

/**
 * Bayesian factorisation by Gibbs sampling (MCMC as libFM runs it, Rendle 2012; "Bayesian SVD++ flipped" of
 * Rendle, Zhang and Koren 2019): r(u,i) ~ N(w0 + b_u + b_i + p_u . q_i, 1/alpha), with b_u, p_u the sums of the
 * user's features' weights (its id and, SVD++-style, the items it rated) and b_i, q_i the item's (its id, its tags,
 * the users who rated it). Every weight has a Gaussian prior whose mean and precision, per feature group and
 * factor, have a Normal-Gamma hyper-prior; alpha has a Gamma prior. Each sweep draws every weight from its
 * conditional posterior given the rest, one factor column at a time (cost linear in ratings and features). The
 * prediction is the posterior mean: the average over kept samples of w0 + b_u + b_i + p_u . q_i, which is one dot
 * product of the samples' stacked factors, each scaled by 1/sqrt(S).
 */
export interface GibbsOptions {
  /** Factors per sample. */
  dim: number;
  /** Gibbs sweeps in all, burn-in included. */
  sweeps: number;
  /** Sweeps whose samples are discarded. */
  burnIn: number;
  /** Keep every thin-th sample after the burn-in. */
  thin: number;
  /** Std-dev of the initial factors. */
  initStd: number;
  features: DesignFeatures;
  seed: number;
}

export interface GibbsResult {
  /** The posterior mean as one factor model: mean biases and the stacked, scaled samples (dim = samples x dim). */
  params: MfParams;
  samples: number;
  epochs: EpochReport[];
}

/** Hyper-prior constants as libFM's MCMC: Gamma(1, 1) on precisions, mean prior N(0, 1/lambda). */
const ALPHA0 = 1;
const BETA0 = 1;
const GAMMA0 = 1;

/** One side's state in the sampler (exported for the known-answer tests of its conditionals). */
export interface Side {
  d: SideDesign;
  k: number;
  V: Float64Array;
  w: Float64Array;
  P: Float64Array;
  b: Float64Array;
  /** This side's entities' training rows (CSR); `other[r]` is row r's entity on the other side. */
  rStart: Int32Array;
  rIdx: Int32Array;
  other: Int32Array;
  A: Float64Array;
  B: Float64Array;
  delta: Float64Array;
  muW: Float64Array;
  lamW: Float64Array;
  muV: Float64Array;
  lamV: Float64Array;
}

export function trainGibbs(ds: RatingsDataset, rows: Int32Array, o: GibbsOptions, hooks: { validRows?: Int32Array; onEpoch?: (r: EpochReport) => void } = {}): GibbsResult {
  const draws = createDraws(createRng(o.seed));
  const k = o.dim;
  const n = rows.length;
  const { users: du, items: di } = buildDesigns(ds, rows, o.features);
  const cu = Int32Array.from(rows, (r) => ds.ratings.user[r]);
  const ci = Int32Array.from(rows, (r) => ds.ratings.item[r]);
  const y = Float64Array.from(rows, (r) => ds.ratings.rating[r]);
  const e = new Float64Array(n);
  const U = makeSide(du, k, cu, ci, o.initStd, draws);
  const I = makeSide(di, k, ci, cu, o.initStd, draws);
  let w0 = y.reduce((s, v) => s + v, 0) / Math.max(1, n);
  let alpha = 1;
  const kept: { P: Float32Array; Q: Float32Array }[] = [];
  const sums = { w0: 0, bu: new Float64Array(du.n), bi: new Float64Array(di.n) };
  const valid = hooks.validRows ?? new Int32Array(0);
  const validSum = new Float64Array(valid.length);
  const epochs = runEpochs({
    model: 'bmf',
    epochs: o.sweeps,
    lr: 0,
    weights: () => ({ 'user factors': Float32Array.from(U.P), 'item factors': Float32Array.from(I.P) }),
    measure: () => (kept.length && valid.length ? validFigures(ds, valid, validSum, kept.length) : {}),
    onEpoch: hooks.onEpoch,
    work: (sweep) => {
      refresh(U);
      refresh(I);
      residuals(e, y, cu, ci, w0, U, I);
      alpha = draws.gamma((ALPHA0 + n) / 2, (BETA0 + sumSquares(e)) / 2);
      const shift = (e.reduce((s, v) => s + v, 0) + n * w0) / n + draws.normal() / Math.sqrt(alpha * n) - w0;
      for (let r = 0; r < n; r++) e[r] -= shift;
      w0 += shift;
      for (const [s, t] of [[U, I], [I, U]] as const) {
        sampleHyper(s.w, 1, 0, s.d, s.muW, s.lamW, draws);
        sampleColumn(s, t, -1, e, alpha, draws);
      }
      for (const s of [U, I]) for (let f = 0; f < k; f++) sampleHyper(s.V, k, f, s.d, s.muV, s.lamV, draws);
      for (let f = 0; f < k; f++) {
        sampleColumn(U, I, f, e, alpha, draws);
        sampleColumn(I, U, f, e, alpha, draws);
      }
      if (sweep > o.burnIn && (sweep - o.burnIn) % o.thin === 0) {
        kept.push({ P: Float32Array.from(U.P), Q: Float32Array.from(I.P) });
        sums.w0 += w0;
        U.b.forEach((v, u) => (sums.bu[u] += v));
        I.b.forEach((v, i) => (sums.bi[i] += v));
        for (let t = 0; t < valid.length; t++) validSum[t] += predictRow(ds.ratings.user[valid[t]], ds.ratings.item[valid[t]], w0, U, I);
      }
      const trainRmse = Math.sqrt(sumSquares(e) / Math.max(1, n));
      return { trainLoss: trainRmse ** 2, trainRmse, noiseStd: 1 / Math.sqrt(alpha) };
    },
  });
  if (kept.length === 0) throw new RangeError(`bmf kept no samples: ${o.sweeps} sweeps with a burn-in of ${o.burnIn}; run more sweeps than the burn-in`);
  return { params: stackSamples(kept, sums, du.n, di.n, k), samples: kept.length, epochs };
}

export function makeSide(d: SideDesign, k: number, own: Int32Array, other: Int32Array, initStd: number, draws: Draws): Side {
  const rStart = new Int32Array(d.n + 1);
  for (const x of own) rStart[x + 1]++;
  for (let x = 0; x < d.n; x++) rStart[x + 1] += rStart[x];
  const fill = rStart.slice(0, d.n);
  const rIdx = new Int32Array(own.length);
  own.forEach((x, r) => (rIdx[fill[x]++] = r));
  const g = d.groups.length;
  return {
    d,
    k,
    V: Float64Array.from({ length: d.nFeatures * k }, () => initStd * draws.normal()),
    w: new Float64Array(d.nFeatures),
    P: new Float64Array(d.n * k),
    b: new Float64Array(d.n),
    rStart,
    rIdx,
    other,
    A: new Float64Array(d.n),
    B: new Float64Array(d.n),
    delta: new Float64Array(d.n),
    muW: new Float64Array(g),
    lamW: new Float64Array(g).fill(1),
    muV: new Float64Array(g * k),
    lamV: new Float64Array(g * k).fill(1),
  };
}

/** p = X V and b = X w from scratch, so the incremental updates of a sweep never drift. */
export function refresh(s: Side): void {
  const { eStart, eFeat, eVal, n } = s.d;
  const k = s.k;
  s.P.fill(0);
  for (let x = 0; x < n; x++) {
    let b = 0;
    for (let t = eStart[x]; t < eStart[x + 1]; t++) {
      const j = eFeat[t];
      const v = eVal[t];
      b += v * s.w[j];
      for (let f = 0; f < k; f++) s.P[x * k + f] += v * s.V[j * k + f];
    }
    s.b[x] = b;
  }
}

function predictRow(u: number, i: number, w0: number, U: Side, I: Side): number {
  const k = U.k;
  let dot = 0;
  for (let f = 0; f < k; f++) dot += U.P[u * k + f] * I.P[i * k + f];
  return w0 + U.b[u] + I.b[i] + dot;
}

export function residuals(e: Float64Array, y: Float64Array, cu: Int32Array, ci: Int32Array, w0: number, U: Side, I: Side): void {
  for (let r = 0; r < e.length; r++) e[r] = y[r] - predictRow(cu[r], ci[r], w0, U, I);
}

/**
 * Draws one column of a side's weights (f < 0: the bias weights, else factor f) feature by feature. For feature j
 * the rating model is linear in its weight theta with slope h_r = x_j(entity of r) q_r (q_r: the other side's
 * factor f, or 1), so theta | rest ~ N((alpha sum h (e + theta h) + lambda mu) / prec, 1/prec), prec =
 * alpha sum h^2 + lambda. The sums over rows collapse to sums over the feature's entities of A = sum q^2 and
 * B = sum q e per entity, which each draw keeps current; residuals are brought up to date once per column.
 */
export function sampleColumn(s: Side, t: Side, f: number, e: Float64Array, alpha: number, draws: Draws): void {
  const { n, nFeatures, fStart, fEnt, fVal, group } = s.d;
  const { A, B, delta, rStart, rIdx, other, k } = s;
  const linear = f < 0;
  const OP = t.P;
  for (let x = 0; x < n; x++) {
    let a = 0, b = 0;
    for (let c = rStart[x]; c < rStart[x + 1]; c++) {
      const r = rIdx[c];
      const q = linear ? 1 : OP[other[r] * k + f];
      a += q * q;
      b += q * e[r];
    }
    A[x] = a;
    B[x] = b;
    delta[x] = 0;
  }
  const W = linear ? s.w : s.V;
  const stride = linear ? 1 : k;
  const off = linear ? 0 : f;
  const mu = linear ? s.muW : s.muV;
  const lam = linear ? s.lamW : s.lamV;
  for (let j = 0; j < nFeatures; j++) {
    let s2 = 0, s1 = 0;
    for (let c = fStart[j]; c < fStart[j + 1]; c++) {
      const x = fVal[c];
      s2 += x * x * A[fEnt[c]];
      s1 += x * B[fEnt[c]];
    }
    const h = group[j] * stride + off;
    const v = W[j * stride + off];
    const prec = alpha * s2 + lam[h];
    const next = (alpha * (s1 + v * s2) + lam[h] * mu[h]) / prec + draws.normal() / Math.sqrt(prec);
    const dv = next - v;
    W[j * stride + off] = next;
    for (let c = fStart[j]; c < fStart[j + 1]; c++) {
      const x = fEnt[c];
      B[x] -= dv * fVal[c] * A[x];
      delta[x] += dv * fVal[c];
    }
  }
  const T = linear ? s.b : s.P;
  for (let x = 0; x < n; x++) {
    const dl = delta[x];
    if (dl === 0) continue;
    T[x * stride + off] += dl;
    for (let c = rStart[x]; c < rStart[x + 1]; c++) {
      const r = rIdx[c];
      e[r] -= dl * (linear ? 1 : OP[other[r] * k + f]);
    }
  }
}

/**
 * The prior mean and precision of every feature group for one column (stride, off) of `W`, from their conditional
 * posterior: mu | lambda, W ~ N((sum w + GAMMA0 0) / (n + GAMMA0), 1 / ((n + GAMMA0) lambda)), then
 * lambda | mu, W ~ Gamma((ALPHA0 + n + 1) / 2, (BETA0 + sum (w - mu)^2 + GAMMA0 mu^2) / 2).
 */
export function sampleHyper(W: Float64Array, stride: number, off: number, d: Pick<SideDesign, 'group' | 'groups'>, mu: Float64Array, lam: Float64Array, draws: Draws): void {
  const g = d.groups.length;
  const count = new Float64Array(g);
  const sum = new Float64Array(g);
  for (let j = 0; j < d.group.length; j++) {
    count[d.group[j]]++;
    sum[d.group[j]] += W[j * stride + off];
  }
  for (let c = 0; c < g; c++) {
    const h = c * stride + off;
    mu[h] = sum[c] / (count[c] + GAMMA0) + draws.normal() / Math.sqrt((count[c] + GAMMA0) * lam[h]);
  }
  const ss = new Float64Array(g);
  for (let j = 0; j < d.group.length; j++) ss[d.group[j]] += (W[j * stride + off] - mu[d.group[j] * stride + off]) ** 2;
  for (let c = 0; c < g; c++) {
    const h = c * stride + off;
    lam[h] = draws.gamma((ALPHA0 + count[c] + 1) / 2, (BETA0 + ss[c] + GAMMA0 * mu[h] ** 2) / 2);
  }
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

function validFigures(ds: RatingsDataset, valid: Int32Array, sum: Float64Array, samples: number): { validLoss: number; validRmse: number } {
  let sse = 0;
  for (let t = 0; t < valid.length; t++) sse += (ds.ratings.rating[valid[t]] - sum[t] / samples) ** 2;
  const validRmse = Math.sqrt(sse / valid.length);
  return { validLoss: validRmse ** 2, validRmse };
}

function stackSamples(kept: { P: Float32Array; Q: Float32Array }[], sums: { w0: number; bu: Float64Array; bi: Float64Array }, nU: number, nI: number, k: number): MfParams {
  const S = kept.length;
  const m = S * k;
  const scale = 1 / Math.sqrt(S);
  const stack = (rows: number, pick: (s: { P: Float32Array; Q: Float32Array }) => Float32Array) => {
    const out = new Float32Array(rows * m);
    kept.forEach((s, n) => {
      const src = pick(s);
      for (let x = 0; x < rows; x++) for (let f = 0; f < k; f++) out[x * m + n * k + f] = scale * src[x * k + f];
    });
    return out;
  };
  return {
    nUsers: nU,
    nItems: nI,
    dim: m,
    mu: sums.w0 / S,
    userFactors: stack(nU, (s) => s.P),
    itemFactors: stack(nI, (s) => s.Q),
    userBias: Float32Array.from(sums.bu, (v) => v / S),
    itemBias: Float32Array.from(sums.bi, (v) => v / S),
  };
}
