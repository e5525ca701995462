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
  const itemBias = model.itemBias.dataSync() as Float32Array;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const x = new Float64Array(n);
  for (let s = 0; s < items.length; s++) {
    for (let c = 0; c < d; c++) x[c] = q[s * d + c];
    x[d] = 1;
    const target = ratings[s] - model.globalBias - itemBias[items[s]];
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
  const itemBias = model.itemBias.dataSync() as Float32Array;
  const out = new Float32Array(items.length);
  for (let s = 0; s < items.length; s++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += user.vector[c] * q[s * d + c];
    const p = model.globalBias + itemBias[items[s]] + user.bias + dot;
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
  const itemsT = model.ranker.itemsT;
  return tf.tidy(() => tf.transpose(tf.gather(itemsT, items, 1)).dataSync() as Float32Array);
}

/** item_factors rows for `items` (unit vector times norm), row-major [items.length, d]. */
function itemRows(model: LoadedModel, items: Int32Array): Float32Array {
  return tf.tidy(() => tf.mul(tf.transpose(tf.gather(model.itemsUnitT, items, 1)), tf.reshape(tf.gather(model.itemNorms, items), [items.length, 1])).dataSync() as Float32Array);
}

const gramians = new WeakMap<LoadedModel, Float64Array>();

/** YtY over every item of the ranking space, d x d, computed on first use and kept with the model. */
function gramian(model: LoadedModel): Float64Array {
  let g = gramians.get(model);
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
