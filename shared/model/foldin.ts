import * as tf from '@tensorflow/tfjs-core';
import { BadRequestError } from '../errors.js';
import type { LoadedModel } from './loaded.js';
import { solveSpd } from './solve.js';

/**
 * Folding a visitor in: the user step of alternating least squares, solved in the request against the fixed item
 * vectors (implicit's `recalculate_user`). No retraining; a visitor is a handful of items, so each solve is one
 * (d + 1)-square system.
 */

/** A folded-in rating user: a vector in item_factors' space and a user bias. */
export interface FoldedRatingUser {
  vector: Float32Array;
  bias: number;
}

/**
 * The implicit (iALS) user step against the ranking item vectors Y (manifest.foldin.implicit):
 *   x = (YtY + alpha * sum_i y_i y_it + lambda I)^-1 (1 + alpha) sum_i y_i
 * over the visitor's items i, where YtY runs over every item (cached per loaded model: one d x d Gramian).
 */
export function foldInImplicit(model: LoadedModel, items: Int32Array): Float32Array {
  const spec = model.manifest.foldin?.implicit;
  if (!spec) throw cannotFoldIn(model, 'implicit');
  const rows = rankingRows(model, items);
  const d = rankingDim(model);
  const a = Float64Array.from(gramian(model));
  const b = new Float64Array(d);
  for (let s = 0; s < items.length; s++) {
    const y = rows.subarray(s * d, (s + 1) * d);
    for (let r = 0; r < d; r++) {
      b[r] += (1 + spec.alpha) * y[r];
      for (let c = 0; c < d; c++) a[r * d + c] += spec.alpha * y[r] * y[c];
    }
  }
  for (let r = 0; r < d; r++) a[r * d + r] += spec.lambda;
  return Float32Array.from(solveSpd(a, b, d));
}

/**
 * The explicit ALS user step for dot-product rating kinds (manifest.foldin.rating): the vector p and bias b_u that
 * minimise sum (r - mu - b_i - b_u - p.q_i)^2 + lambda (|p|^2 + b_u^2) over the visitor's ratings, with the item
 * factors q_i and biases b_i fixed. Augmenting q_i with a 1 makes it one ridge regression of size d + 1.
 */
export function foldInRatings(model: LoadedModel, items: Int32Array, ratings: Float32Array): FoldedRatingUser {
  const spec = model.manifest.foldin?.rating;
  if (!spec || model.head) throw cannotFoldIn(model, 'rating');
  const d = model.dim;
  const n = d + 1;
  const q = itemRows(model, items);
  const biasOf = itemBiasOf(model);
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const x = new Float64Array(n);
  for (let s = 0; s < items.length; s++) {
    for (let c = 0; c < d; c++) x[c] = q[s * d + c];
    x[d] = 1;
    const target = ratings[s] - model.globalBias - biasOf(items[s]);
    for (let r = 0; r < n; r++) {
      b[r] += x[r] * target;
      for (let c = 0; c < n; c++) a[r * n + c] += x[r] * x[c];
    }
  }
  for (let r = 0; r < n; r++) a[r * n + r] += spec.lambda;
  const sol = solveSpd(a, b, n);
  return { vector: Float32Array.from(sol.subarray(0, d)), bias: sol[d] };
}

/** Ratings a folded-in user would get for `items`: mu + b_i + b_u + p.q_i, clipped to the model's scale. */
export function predictFolded(model: LoadedModel, user: FoldedRatingUser, items: Int32Array): Float32Array {
  if (items.length === 0) return new Float32Array(0);
  const d = model.dim;
  const q = itemRows(model, items);
  const biasOf = itemBiasOf(model);
  const out = new Float32Array(items.length);
  for (let s = 0; s < items.length; s++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += user.vector[c] * q[s * d + c];
    const p = model.globalBias + biasOf(items[s]) + user.bias + dot;
    out[s] = model.ratingRange ? Math.min(model.ratingRange[1], Math.max(model.ratingRange[0], p)) : p;
  }
  return out;
}

/** Whether `rating` fold-in (a predicted rating for a visitor) is available: dot-product rating kinds only. */
export function canFoldInRatings(model: LoadedModel): boolean {
  return model.manifest.foldin?.rating !== undefined && !model.head;
}

function cannotFoldIn(model: LoadedModel, what: 'implicit' | 'rating'): BadRequestError {
  const kind = model.manifest.model.kind;
  const why =
    what === 'rating' && model.head
      ? `a ${kind} model scores through a dense head, whose user input cannot be solved for from a few ratings; its recommendations for visitors come from its ranker, without predicted ratings`
      : `this artifact carries no fold-in settings (manifest.foldin.${what}); retrain it with this version of edgerec`;
  return new BadRequestError(`model ${JSON.stringify(model.name)} (${kind}) cannot fold a visitor in: ${why}`, 'no_foldin');
}

function rankingDim(model: LoadedModel): number {
  return model.ranker ? model.ranker.dim : model.dim;
}

/** Rows of the ranking item vectors for `items`, row-major [items.length, d]. */
function rankingRows(model: LoadedModel, items: Int32Array): Float32Array {
  if (!model.ranker) return itemRows(model, items);
  const r = model.engine?.ranker;
  if (r) return gatherRows(items, r.dim, (i, out) => r.itemRow(i, out));
  const itemsT = model.ranker.itemsT;
  return tf.tidy(() => tf.transpose(tf.gather(itemsT, items, 1)).dataSync() as Float32Array);
}

/** item_factors rows for `items` (unit vector times norm), row-major [items.length, d]. */
function itemRows(model: LoadedModel, items: Int32Array): Float32Array {
  const e = model.engine;
  if (e) return gatherRows(items, model.dim, (i, out) => e.itemRow(i, out));
  return tf.tidy(() => tf.mul(tf.transpose(tf.gather(model.itemsUnitT, items, 1)), tf.reshape(tf.gather(model.itemNorms, items), [items.length, 1])).dataSync() as Float32Array);
}

/** Rows `items` of a row reader, row-major [items.length, d]. */
function gatherRows(items: Int32Array, d: number, row: (i: number, out: Float32Array) => void): Float32Array {
  const out = new Float32Array(items.length * d);
  items.forEach((i, s) => row(i, out.subarray(s * d, (s + 1) * d)));
  return out;
}

/** Item biases: from the kernel's memory on the engine (no tfjs download), else the tfjs tensor's data. */
function itemBiasOf(model: LoadedModel): (i: number) => number {
  const e = model.engine;
  if (e) return (i) => e.itemBias(i);
  const b = model.itemBias.dataSync() as Float32Array;
  return (i) => b[i];
}

/** YtY from rows read one at a time (the engine's codes): upper triangle summed in double, mirrored. */
function gramianOfRows(n: number, d: number, row: (i: number, out: Float32Array) => void): Float64Array {
  const g = new Float64Array(d * d);
  const y = new Float32Array(d);
  for (let i = 0; i < n; i++) {
    row(i, y);
    for (let r = 0; r < d; r++) {
      const yr = y[r];
      if (yr === 0) continue;
      for (let c = r, at = r * d + r; c < d; c++, at++) g[at] += yr * y[c];
    }
  }
  for (let r = 0; r < d; r++) for (let c = 0; c < r; c++) g[r * d + c] = g[c * d + r];
  return g;
}

const gramians = new WeakMap<LoadedModel, Float64Array>();

/** YtY over every item of the ranking space, d x d, computed on first use and kept with the model. */
function gramian(model: LoadedModel): Float64Array {
  let g = gramians.get(model);
  const e = model.engine;
  if (!g && e) {
    const r = model.ranker ? e.ranker : undefined;
    if (r) g = gramianOfRows(model.items.size, r.dim, (i, out) => r.itemRow(i, out));
    else if (!model.ranker) g = gramianOfRows(model.items.size, model.dim, (i, out) => e.itemRow(i, out));
    if (g) gramians.set(model, g);
  }
  if (!g) {
    const yt = model.ranker ? model.ranker.itemsT : undefined;
    const data = tf.tidy(() => {
      const t = yt ?? tf.mul(model.itemsUnitT, tf.reshape(model.itemNorms, [1, model.items.size])); // [d, N]
      return tf.matMul(t, t, false, true).dataSync() as Float32Array;
    });
    g = Float64Array.from(data);
    gramians.set(model, g);
  }
  return g;
}
