import type { Ratings } from '../data/types.js';
import type { Rng } from '../data/random.js';
import type { UserItems } from '../eval/ranking.js';

// bpr's row math: ELU activations, item representations, the optimisers' per-row steps and negative sampling. Shared
// by training/models/bpr.ts and the bench's frozen copy of bpr's former epoch loop (bench/lib/bpr-baseline.ts).

/**
 * Notebook 002's triplet ranker. An item is ELU([item embedding ; mask-aware mean of its tag embeddings]), a user
 * is ELU(user embedding) of the same width, score = their dot product, and the loss over (user, positive,
 * sampled negative) triplets is BPR's -log sigma(s(u,p) - s(u,n)). 002's Keras model has no L2 (its embeddings
 * carry no regulariser: `--reg 0` is the faithful setting); here L2 is applied lazily to the rows a step touches,
 * and the default (0.0019, chosen on validation) ranks better. 002's mean also counted padding slots as tag 0 (its
 * Embedding had no mask); this is the mean over an item's own tags, zero for an item without tags.
 *
 * Trained per triplet with sparse row-wise updates (docs/recipes.md "Training in Node"): only the user row, the two
 * item rows and their tag rows move. Negatives are drawn uniformly from the items the user has no training
 * interaction with.
 */
export const BprOptimizer = { adam: 'adam', adagrad: 'adagrad', rowwise: 'rowwise-adagrad', sgd: 'sgd' } as const;
export type BprOptimizer = (typeof BprOptimizer)[keyof typeof BprOptimizer];

/** The parts of bpr's parameters an item's representation reads. */
export interface BprRowsParams {
  itemDim: number;
  tagDim: number;
  item: Float32Array;
  tag: Float32Array;
  itemTags: UserItems;
}

export interface Table {
  w: Float32Array;
  /** Adam first moment, or the Adagrad accumulator. */
  m?: Float32Array;
  v?: Float32Array;
  /** Adam steps taken per row (lazy moments: bias correction counts the row's own updates). */
  t?: Int32Array;
  cols: number;
}

const ADAM_B1 = 0.9;
const ADAM_B2 = 0.999;
const EPS = 1e-8;

/** ELU of row r of `w` into out, its derivative into dout. */
export function activate(w: Float32Array, r: number, cols: number, out: Float64Array, dout: Float64Array): void {
  const o = r * cols;
  for (let f = 0; f < cols; f++) elu(w[o + f], out, dout, f);
}

export function represent(p: BprRowsParams, i: number, out: Float64Array, dout: Float64Array): void {
  const di = p.itemDim;
  const dt = p.tagDim;
  const o = i * di;
  for (let f = 0; f < di; f++) elu(p.item[o + f], out, dout, f);
  if (dt === 0) return;
  const t0 = p.itemTags.indptr[i];
  const nt = p.itemTags.indptr[i + 1] - t0;
  for (let f = 0; f < dt; f++) {
    let s = 0;
    for (let j = 0; j < nt; j++) s += p.tag[p.itemTags.indices[t0 + j] * dt + f];
    elu(nt ? s / nt : 0, out, dout, di + f);
  }
}

function elu(z: number, out: Float64Array, dout: Float64Array, f: number): void {
  if (z > 0) {
    out[f] = z;
    dout[f] = 1;
  } else {
    const e = expNonPositive(z);
    out[f] = e - 1;
    dout[f] = e;
  }
}

/**
 * e^z for z <= 0. On [-1, 0], where nearly all embedding entries live, (e^(z/2))^2 with a degree-7 Taylor
 * polynomial for the half: relative error under 4e-7 (float32 territory) at a third to a quarter of Math.exp's
 * cost, which was the largest single item in a training step's profile (3 ELUs of 150 values per triplet).
 */
export function expNonPositive(z: number): number {
  if (z < -1) return Math.exp(z);
  const h = 0.5 * z;
  const p = 1 + h * (1 + h * (0.5 + h * (1 / 6 + h * (1 / 24 + h * (1 / 120 + h * (1 / 720 + h / 5040))))));
  return p * p;
}

export function table(w: Float32Array, cols: number, optimizer: BprOptimizer): Table {
  if (optimizer === 'adam') {
    return { w, cols, m: new Float32Array(w.length), v: new Float32Array(w.length), t: new Int32Array(w.length / Math.max(1, cols)) };
  }
  if (optimizer === 'adagrad') return { w, cols, m: new Float32Array(w.length) };
  if (optimizer === 'rowwise-adagrad') return { w, cols, m: new Float32Array(w.length / Math.max(1, cols)) };
  return { w, cols };
}

/** One optimiser step on row r of a table with gradient grad[gOff ..] (+ L2 on that row). */
export function update(tb: Table, r: number, grad: Float64Array, gOff: number, lr: number, reg: number, optimizer: BprOptimizer): void {
  const w = tb.w;
  const cols = tb.cols;
  const o = r * cols;
  if (optimizer === 'sgd') {
    for (let f = 0; f < cols; f++) w[o + f] -= lr * (grad[gOff + f] + reg * w[o + f]);
  } else if (optimizer === 'adagrad') {
    const acc = tb.m!;
    for (let f = 0; f < cols; f++) {
      const gf = grad[gOff + f] + reg * w[o + f];
      acc[o + f] += gf * gf;
      w[o + f] -= (lr * gf) / (Math.sqrt(acc[o + f]) + EPS);
    }
  } else if (optimizer === 'rowwise-adagrad') {
    // One accumulator per row (the mean squared gradient), one square root per step: FBGEMM's row-wise Adagrad.
    let ss = 0;
    for (let f = 0; f < cols; f++) {
      const gf = grad[gOff + f] + reg * w[o + f];
      ss += gf * gf;
    }
    const acc = (tb.m![r] += ss / cols);
    const step = lr / (Math.sqrt(acc) + EPS);
    for (let f = 0; f < cols; f++) w[o + f] -= step * (grad[gOff + f] + reg * w[o + f]);
  } else {
    const m = tb.m!;
    const v = tb.v!;
    const t = ++tb.t![r];
    const a = (lr * Math.sqrt(1 - ADAM_B2 ** t)) / (1 - ADAM_B1 ** t);
    for (let f = 0; f < cols; f++) {
      const gf = grad[gOff + f] + reg * w[o + f];
      m[o + f] = ADAM_B1 * m[o + f] + (1 - ADAM_B1) * gf;
      v[o + f] = ADAM_B2 * v[o + f] + (1 - ADAM_B2) * gf * gf;
      w[o + f] -= (a * m[o + f]) / (Math.sqrt(v[o + f]) + EPS);
    }
  }
}

/** A uniform item the user has no training interaction with, or -1 if there is none. */
export function sampleNegative(seen: UserItems, u: number, nItems: number, rng: Rng): number {
  const lo = seen.indptr[u];
  const hi = seen.indptr[u + 1];
  if (hi - lo >= nItems) return -1;
  for (;;) {
    const j = Math.floor(rng() * nItems);
    if (!contains(seen.indices, lo, hi, j)) return j;
  }
}

function contains(a: Int32Array, lo: number, hi: number, x: number): boolean {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else if (a[mid] > x) hi = mid;
    else return true;
  }
  return false;
}

/** (user, positive, negative) per row, the negative drawn once so that the validation loss is comparable across epochs. */
export function fixedNegatives(ratings: Ratings, rows: Int32Array, seen: UserItems, nItems: number, rng: Rng): Int32Array {
  const out: number[] = [];
  for (const r of rows) {
    const u = ratings.user[r];
    const q = sampleNegative(seen, u, nItems, rng);
    if (q >= 0) out.push(u, ratings.item[r], q);
  }
  return Int32Array.from(out);
}
