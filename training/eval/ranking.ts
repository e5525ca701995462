import type { Ratings } from '../data/types.js';

/**
 * Ranking evaluation on a per-user split (every rating an implicit positive): full AUC and top-k metrics with the
 * definitions of Microsoft's "recommenders" (python_evaluation.py, relevancy "top_k", binary relevance):
 *   precision@k = hits / k;  recall@k = hits / |test|;
 *   nDCG@k = sum over hits of 1/log(1 + rank), over the same sum for ranks 1..min(k, |test|);
 *   MAP@k = sum over hits of (hits so far / rank), over min(k, |test|)   (their map_at_k, after Spark);
 * each averaged over the users that have test items (a user with no hit counts 0). Candidates for the top k are
 * all items except the user's training items (recommenders' remove_seen); ties go to the lower item index.
 *
 * AUC follows notebook 002's full_auc: one ROC AUC per user with test items (positives = the user's test items),
 * averaged over users, ties counted half. 002 scores the positives against every other item, the user's own
 * training items included; by default (`aucNegatives: 'unseen'`) the negatives here are only the items the user
 * has not interacted with at all, which is what the AUC is meant to measure (LightFM's auc_score with
 * train_interactions does the same). `aucNegatives: 'all'` reproduces 002 exactly.
 */

/** Items per user, CSR: user u has indices[indptr[u] .. indptr[u+1]), ascending. */
export interface UserItems {
  indptr: Int32Array;
  indices: Int32Array;
}

/** Fills `out[b * nItems + i]` with the score of item i for user users[b]; higher is better. */
export type BatchScorer = (users: Int32Array, out: Float32Array) => void;

export interface RankingOptions {
  k?: number;
  /** Users scored per scorer call. */
  batch?: number;
  aucNegatives?: 'unseen' | 'all';
}

export function userItems(ratings: Ratings, rows: Int32Array, nUsers: number): UserItems {
  const indptr = new Int32Array(nUsers + 1);
  for (const r of rows) indptr[ratings.user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) indptr[u + 1] += indptr[u];
  const indices = new Int32Array(rows.length);
  const fill = indptr.slice(0, nUsers);
  for (const r of rows) indices[fill[ratings.user[r]]++] = ratings.item[r];
  for (let u = 0; u < nUsers; u++) indices.subarray(indptr[u], indptr[u + 1]).sort();
  return { indptr, indices };
}

/** auc, precision_at_k, recall_at_k, ndcg_at_k, map_at_k (k = 10 unless told) over users with test items. */
export function evaluateRanking(
  score: BatchScorer,
  train: UserItems,
  test: UserItems,
  nItems: number,
  options: RankingOptions = {},
): Record<string, number> {
  const k = options.k ?? 10;
  const batch = options.batch ?? 64;
  const nUsers = test.indptr.length - 1;
  const users: number[] = [];
  for (let u = 0; u < nUsers; u++) if (test.indptr[u + 1] > test.indptr[u]) users.push(u);
  if (users.length === 0) throw new RangeError('no user has test items: the test split is empty');

  const rankUser = userRanking(nItems, k, options.aucNegatives === 'all');
  const sums: RankingSums = { aucSum: 0, aucUsers: 0, precision: 0, recall: 0, ndcg: 0, map: 0 };
  const scores = new Float32Array(batch * nItems);
  for (let b0 = 0; b0 < users.length; b0 += batch) {
    const ids = Int32Array.from(users.slice(b0, b0 + batch));
    score(ids, scores);
    for (let b = 0; b < ids.length; b++) {
      const u = ids[b];
      const trainOf = train.indices.subarray(train.indptr[u], train.indptr[u + 1]);
      const testOf = test.indices.subarray(test.indptr[u], test.indptr[u + 1]);
      rankUser(u, scores.subarray(b * nItems, (b + 1) * nItems), trainOf, testOf, sums);
    }
  }
  const n = users.length;
  return {
    auc: sums.aucUsers ? sums.aucSum / sums.aucUsers : Number.NaN,
    [`precision_at_${k}`]: sums.precision / n,
    [`recall_at_${k}`]: sums.recall / n,
    [`ndcg_at_${k}`]: sums.ndcg / n,
    [`map_at_${k}`]: sums.map / n,
  };
}

/** Per-user figures summed over users (AUC over the users that have negatives). */
interface RankingSums {
  aucSum: number;
  aucUsers: number;
  precision: number;
  recall: number;
  ndcg: number;
  map: number;
}

/**
 * Scores one user's list into `sums`: top k among the items outside their training items, P/R/nDCG/MAP against
 * their test items, and AUC of test items against negatives (unseen items; with `allNegatives` training items too).
 * The scratch buffers are shared across users.
 */
function userRanking(nItems: number, k: number, allNegatives: boolean) {
  const mark = new Uint8Array(nItems); // 1 = train item of the current user, 2 = test item
  const positives = new Float64Array(nItems);
  const topScore = new Float32Array(k);
  const topItem = new Int32Array(k);
  const discount = Float64Array.from({ length: k }, (_, r) => 1 / Math.log2(r + 2));
  return (u: number, s: Float32Array, trainOf: Int32Array, testOf: Int32Array, sums: RankingSums): void => {
    for (const i of trainOf) mark[i] = 1;
    for (const i of testOf) mark[i] = 2;

    const nTest = testOf.length;
    // AUC without sorting all N scores (typed-array sort costs ~0.5 ms per 1,600 values): sort the few
    // positives, then place each negative among them by binary search.
    const pos = positives.subarray(0, nTest);
    for (let j = 0; j < nTest; j++) pos[j] = s[testOf[j]];
    pos.sort();
    let wins = 0;
    let nNeg = 0;
    // Top k among non-training items by partial insertion; the running k-th score rejects almost everything.
    let filled = 0;
    for (let i = 0; i < nItems; i++) {
      const x = s[i];
      if (x - x !== 0) throw new RangeError(`score of item ${i} for user ${u} is ${x}: scores must be finite`);
      const m = mark[i];
      if (m === 0 || (allNegatives && m === 1)) {
        nNeg++;
        const lo = lowerBound(pos, x);
        const hi = upperBound(pos, x, lo);
        wins += nTest - hi + 0.5 * (hi - lo);
      }
      if (m === 1) continue;
      filled = insertTop(topScore, topItem, filled, x, i);
    }
    let hits = 0;
    let dcg = 0;
    let ap = 0;
    for (let r = 0; r < filled; r++) {
      if (mark[topItem[r]] !== 2) continue;
      hits++;
      dcg += discount[r];
      ap += hits / (r + 1);
    }
    const ideal = Math.min(k, nTest);
    let idcg = 0;
    for (let r = 0; r < ideal; r++) idcg += discount[r];
    sums.precision += hits / k;
    sums.recall += hits / nTest;
    sums.ndcg += dcg / idcg;
    sums.map += ap / ideal;

    if (nNeg > 0) {
      sums.aucSum += wins / (nTest * nNeg);
      sums.aucUsers++;
    }
    for (const i of trainOf) mark[i] = 0;
    for (const i of testOf) mark[i] = 0;
  };
}

/** Scores = user . item (+ item bias) from row-major float tables, for models evaluated before export. */
export function dotScorer(userF: Float32Array, itemF: Float32Array, dim: number, itemBias?: Float32Array): BatchScorer {
  const nItems = itemF.length / dim;
  return (users, out) => {
    for (let b = 0; b < users.length; b++) {
      const uo = users[b] * dim;
      const row = b * nItems;
      for (let i = 0, io = 0; i < nItems; i++, io += dim) {
        let dot = itemBias ? itemBias[i] : 0;
        for (let f = 0; f < dim; f++) dot += userF[uo + f] * itemF[io + f];
        out[row + i] = dot;
      }
    }
  };
}

/** Most popular: every user gets the items ranked by how many training ratings they have. */
export function mostPopularScorer(ratings: Ratings, trainRows: Int32Array, nItems: number): BatchScorer {
  const count = new Float32Array(nItems);
  for (const r of trainRows) count[ratings.item[r]]++;
  return (users, out) => {
    for (let b = 0; b < users.length; b++) out.set(count, b * nItems);
  };
}

/**
 * Offers (x, item) to a running top-k (topScore descending, `filled` of its topScore.length slots used; ties keep
 * the earlier item): the partial insertion both ranking passes use. Returns the new fill.
 */
export function insertTop(topScore: Float32Array | Float64Array, topItem: Int32Array, filled: number, x: number, item: number): number {
  const k = topScore.length;
  if (filled === k && x <= topScore[k - 1]) return filled;
  let p = filled < k ? filled++ : k - 1;
  while (p > 0 && topScore[p - 1] < x) {
    topScore[p] = topScore[p - 1];
    topItem[p] = topItem[p - 1];
    p--;
  }
  topScore[p] = x;
  topItem[p] = item;
  return filled;
}

/** First index whose value is >= x (values ascending). */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index from `from` whose value is > x. */
function upperBound(a: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
