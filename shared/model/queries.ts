import * as tf from '@tensorflow/tfjs-core';
import type { Int8Engine, TopKResult } from '../engine/int8-engine.js';
import { ITEM_TERMS, unitRow } from './engine-scorer.js';
import type { ItemFilter } from './item-filter.js';
import { headPredictPairs, headScoreAllItems } from './head.js';
import { ivfSimilar } from './ivf.js';
import type { LoadedModel } from './loaded.js';

/** One ranked answer: an item index and its score. */
export interface Scored {
  index: number;
  score: number;
}

// Two scorers behind one contract. On the engine (model.engine: q8 artifacts) a query is one kernel call over the
// int8 codes, and every exclusion (the query item, seen and hidden items, a filter's deny- and allow-lists) is a bit
// in the kernel's bitmap, so top-k is exact with no over-fetch. On tfjs (f32/f16 artifacts, dense heads without a
// ranker) it is matMul + topk(k + exclusions), dropped in JS. Scores differ between the two only by the engine's
// i16 query rounding (kernel-inputs.ts quantizeQuery: <= sqrt(d) |q|max / 65534 relative to the row's length).

/** The k items whose vectors have the highest cosine with item `i` (the item itself excluded). */
export function similarItems(
  model: LoadedModel,
  i: number,
  k: number,
  exclude: ReadonlySet<number> = new Set(),
  filter?: ItemFilter,
): Scored[] {
  const e = model.engine;
  // Large catalogues with a coarse index: only the items of the probed partitions (shared/model/ivf.ts). A filter
  // scans everything (exactly, as filters.ts always has).
  if (model.ivf && !filter) return ivfSimilar(model.ivf, i, k, chain(exclude, model.hidden));
  if (e) return engineTopK(model, e.items, unitRow(e, i, model.dim), k, ITEM_TERMS.cosine, [i], exclude, filter);
  if (filter) throw new Error('similarItems: a filter on the tfjs path goes through filters.ts similarItemsWhere');
  const n = model.items.size;
  const want = Math.min(n, k + 1 + exclude.size + model.hidden.size);
  let values!: Float32Array, indices!: Int32Array;
  tf.tidy(() => {
    const q = tf.gather(model.itemsUnitT, [i], 1); // [d, 1]
    // [1, d] x [d, N] rather than transposeA on the [d, 1] column: measured 0.07 vs 0.44 ms at 10k items.
    const scores = tf.reshape(tf.matMul(tf.reshape(q, [1, model.dim]), model.itemsUnitT), [n]);
    const top = tf.topk(scores, want);
    values = top.values.dataSync() as Float32Array;
    indices = top.indices.dataSync() as Int32Array;
  });
  return pick(model, values, indices, k, (j) => j === i || exclude.has(j));
}

/** Seen item indices of user `u` (from training), ascending. */
export function seenItems(model: LoadedModel, u: number): Int32Array {
  return model.seenIndices.subarray(model.seenIndptr[u], model.seenIndptr[u + 1]);
}

/**
 * The k items ranked highest for user `u`. With a ranker (manifest.ranker: rating kinds ship an implicit model
 * beside the rating one) the score is the ranker's dot product; otherwise the model's raw prediction (global + user
 * bias + item bias + u . v, or the head's output), unclipped so that the order among top items stays visible.
 */
export function recommendForUser(model: LoadedModel, u: number, k: number, excludeSeen: boolean, filter?: ItemFilter): Scored[] {
  const e = model.engine;
  const seenList = excludeSeen ? seenItems(model, u) : undefined;
  if (e?.ranker) {
    return engineTopK(model, e.ranker.engine, e.ranker.userRow(u), k, 0, seenList, undefined, filter);
  }
  if (e && !model.ranker && !model.head) {
    // tfjs adds tf.add(userBias[u], global) (one f32 add) to every score: the same two roundings here.
    const offset = Math.fround(e.userBias[u] + model.globalBias);
    const out = engineTopK(model, e.items, e.userRow(u), k, ITEM_TERMS.dotBias, seenList, undefined, filter);
    for (const s of out) s.score = Math.fround(s.score + offset);
    return out;
  }
  if (filter) return postFilter(model.items.size, k, filter, (want) => recommendForUser(model, u, want, excludeSeen));
  const n = model.items.size;
  const seen = excludeSeen ? new Set(seenItems(model, u)) : new Set<number>();
  const want = Math.min(n, k + seen.size + model.hidden.size);
  let values!: Float32Array, indices!: Int32Array;
  tf.tidy(() => {
    let scores: tf.Tensor1D;
    if (model.ranker) {
      scores = tf.reshape(tf.matMul(tf.gather(model.ranker.userFactors, [u]), model.ranker.itemsT), [n]);
    } else {
      const user = tf.gather(model.userFactors, [u]) as tf.Tensor2D; // [1, d]
      if (model.head) {
        // Head models without a ranker: every item through the network in one batched pass.
        scores = headScoreAllItems(model.head, user);
      } else {
        const offset = tf.add(tf.gather(model.userBias, [u]), model.globalBias); // [1]
        const cosine = tf.reshape(tf.matMul(user, model.itemsUnitT), [n]);
        scores = tf.add(tf.add(tf.mul(cosine, model.itemNorms), model.itemBias), offset);
      }
    }
    const top = tf.topk(scores, want);
    values = top.values.dataSync() as Float32Array;
    indices = top.indices.dataSync() as Int32Array;
  });
  return pick(model, values, indices, k, (j) => seen.has(j));
}

/**
 * The k items with the highest dot product with `vector`, a point in the model's ranking space (the ranker's item
 * vectors when it has one, else item_factors): how a folded-in visitor is ranked. `exclude` (the visitor's own
 * items) and hidden items are left out.
 */
export function recommendForVector(
  model: LoadedModel,
  vector: Float32Array,
  k: number,
  exclude: ReadonlySet<number>,
  filter?: ItemFilter,
): Scored[] {
  const e = model.engine;
  if (e?.ranker) return engineTopK(model, e.ranker.engine, vector, k, 0, exclude, undefined, filter);
  if (e && !model.ranker) return engineTopK(model, e.items, vector, k, ITEM_TERMS.dot, exclude, undefined, filter);
  if (filter) return postFilter(model.items.size, k, filter, (want) => recommendForVector(model, vector, want, exclude));
  const n = model.items.size;
  const want = Math.min(n, k + exclude.size + model.hidden.size);
  let values!: Float32Array, indices!: Int32Array;
  tf.tidy(() => {
    const top = tf.topk(tf.reshape(rankingScores(model, tf.tensor2d(vector, [1, vector.length])), [n]), want);
    values = top.values.dataSync() as Float32Array;
    indices = top.indices.dataSync() as Int32Array;
  });
  return pick(model, values, indices, k, (j) => exclude.has(j));
}

/** [B, N] dot products of B points of the ranking space with every item's ranking vector. Call inside a tidy. */
export function rankingScores(model: LoadedModel, q: tf.Tensor2D): tf.Tensor2D {
  return model.ranker ? tf.matMul(q, model.ranker.itemsT) : tf.mul(tf.matMul(q, model.itemsUnitT), model.itemNorms);
}

/** Predicted ratings for (user, item) index pairs, clipped to the model's rating range when it has one. */
export function predictRatings(model: LoadedModel, users: Int32Array, items: Int32Array): Float32Array {
  if (users.length !== items.length) throw new RangeError(`${users.length} users for ${items.length} items`);
  if (users.length === 0) return new Float32Array(0);
  const e = model.engine;
  if (e && !model.head) {
    // From the kernel's codes and biases, pair by pair (no [d, N] copy): the same sum as the tfjs path below, in
    // double rather than f32, rounded once.
    const out = new Float32Array(users.length);
    const row = new Float32Array(model.dim);
    const range = model.ratingRange;
    for (let p = 0; p < users.length; p++) {
      const u = e.userRow(users[p]);
      e.itemRow(items[p], row);
      let dot = 0;
      for (let c = 0; c < row.length; c++) dot += u[c] * row[c];
      const pred = dot + e.itemBias(items[p]) + e.userBias[users[p]] + model.globalBias;
      out[p] = range ? Math.min(range[1], Math.max(range[0], pred)) : pred;
    }
    return out;
  }
  return tf.tidy(() => {
    const u = tf.gather(model.userFactors, users) as tf.Tensor2D; // [B, d]
    let pred: tf.Tensor;
    if (model.head) {
      pred = headPredictPairs(model.head, u, items);
    } else {
      const v = tf.transpose(tf.gather(model.itemsUnitT, items, 1)); // [B, d], unit length
      const dot = tf.mul(tf.sum(tf.mul(u, v), 1), tf.gather(model.itemNorms, items));
      const biases = tf.add(tf.add(tf.gather(model.itemBias, items), tf.gather(model.userBias, users)), model.globalBias);
      pred = tf.add(dot, biases);
    }
    if (model.ratingRange) pred = tf.clipByValue(pred, model.ratingRange[0], model.ratingRange[1]);
    return pred.dataSync() as Float32Array;
  }) as unknown as Float32Array;
}

/**
 * One kernel call: every exclusion into the bitmap (a, b, hidden items, the filter's deny-list; its allow-list as
 * the kernel's allow set), so the answer is the exact top-k.
 */
function engineTopK(
  model: LoadedModel,
  engine: Int8Engine,
  query: Float32Array,
  k: number,
  terms: number,
  a: Iterable<number> | undefined,
  b: Iterable<number> | undefined,
  filter: ItemFilter | undefined,
): Scored[] {
  const exclude = chain(a, b, model.hidden, filter?.excluded);
  return scored(engine.topK(query, k, { exclude, allow: filter?.allowed, terms }));
}

function* chain(...lists: (Iterable<number> | undefined)[]): Iterable<number> {
  for (const l of lists) if (l) yield* l;
}

function scored(r: TopKResult): Scored[] {
  const out: Scored[] = new Array(r.indices.length);
  for (let j = 0; j < r.indices.length; j++) out[j] = { index: r.indices[j], score: r.scores[j] };
  return out;
}

/**
 * The best k results of `query` that pass `filter`, for the tfjs path (topk cannot take a bitmap). `query(want)`
 * must return its best `want` results (fewer only when it runs out of items). The first request is sized by the
 * filter's selectivity, so one call usually suffices; if too few pass, want doubles until k pass or the catalogue
 * is exhausted.
 */
export function postFilter(n: number, k: number, filter: ItemFilter | undefined, query: (want: number) => Scored[]): Scored[] {
  if (!filter) return query(k);
  const passes = (j: number) => !filter.excluded.has(j) && (filter.allowed === undefined || filter.allowed.has(j));
  const passing = Math.max(1, (filter.allowed?.size ?? n) - filter.excluded.size);
  let want = Math.min(n, Math.ceil(((k + filter.excluded.size) * n) / passing) + k);
  for (;;) {
    const got = query(want);
    const out = got.filter((s) => passes(s.index));
    if (out.length >= k || got.length < want || want >= n) return out.slice(0, k);
    want = Math.min(n, want * 2);
  }
}

/** The first k of a topk answer that are neither skipped nor hidden. */
function pick(model: LoadedModel, values: Float32Array, indices: Int32Array, k: number, skip: (j: number) => boolean): Scored[] {
  const out: Scored[] = [];
  for (let r = 0; r < indices.length && out.length < k; r++) {
    if (!skip(indices[r]) && !model.hidden.has(indices[r])) out.push({ index: indices[r], score: values[r] });
  }
  return out;
}
