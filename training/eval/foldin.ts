import { canFoldInRatings, foldInImplicit, foldInRatings, predictFolded } from '../../shared/model/foldin.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { recommendForUser, recommendForVector, seenItems } from '../../shared/model/queries.js';
import { scoreVectors } from '../../shared/model/score-all.js';
import { createRng, shuffleInPlace } from '../data/random.js';
import type { RatingsDataset, Split } from '../data/types.js';
import { biasBaseline } from './baselines.js';
import { rmse } from './metrics.js';
import { evaluateRanking, type UserItems } from './ranking.js';

/** How many of a held-out user's ratings are given to the fold-in; the rest are what it is scored on. */
export const FOLDIN_GIVEN = [5, 10, 20] as const;

export interface FoldinRow {
  /** Ratings given per held-out user. */
  given: number;
  users: number;
  /** Rating fold-in (dot-product rating kinds) on the rest, and the bias-only model that saw the same ratings. */
  rmse?: number;
  bias_rmse?: number;
  /** Implicit fold-in ranking of the rest (the given items excluded), and most-popular by training interactions. */
  ndcg_at_10: number;
  precision_at_10: number;
  auc: number;
  popular_ndcg_at_10: number;
  popular_precision_at_10: number;
}

/**
 * Fold-in quality for users the model never saw (split: usersSplit, the held-out users' rows are split.test):
 * each held-out user's ratings are shuffled (seeded), the first `given` are folded in exactly as the Worker does
 * (shared/model/foldin.ts) and the rest are predicted (RMSE) and ranked (nDCG@10, P@10, AUC among every item but
 * the given ones). The same users and the same shuffle serve every `given`, so the rows compare like with like.
 */
export function evaluateFoldIn(model: LoadedModel, ds: RatingsDataset, split: Split, seed: number, given: readonly number[] = FOLDIN_GIVEN): FoldinRow[] {
  const itemOf = Int32Array.from(ds.itemIds, (id) => (model.items.has(id) ? model.items.indexOf(id, model.name) : -1));
  const byUser = new Map<number, number[]>();
  for (const r of split.test) {
    if (itemOf[ds.ratings.item[r]] < 0) continue;
    const u = ds.ratings.user[r];
    if (!byUser.has(u)) byUser.set(u, []);
    byUser.get(u)!.push(r);
  }
  const rng = createRng(seed);
  const users = [...byUser.keys()].sort((a, b) => a - b);
  const order = users.map((u) => {
    const rows = Int32Array.from(byUser.get(u)!);
    shuffleInPlace(rows, rng);
    return rows;
  });
  const nItems = model.items.size;
  return given.map((n) => {
    const kept = order.filter((rows) => rows.length > n);
    const givenRows = kept.map((rows) => rows.subarray(0, n));
    const restRows = kept.map((rows) => rows.subarray(n));
    const items = (rows: Int32Array) => Int32Array.from(rows, (r) => itemOf[ds.ratings.item[r]]);
    const row: FoldinRow = { given: n, users: kept.length, ndcg_at_10: 0, precision_at_10: 0, auc: 0, popular_ndcg_at_10: 0, popular_precision_at_10: 0 };

    if (canFoldInRatings(model) && model.ratingRange) {
      const truth: number[] = [];
      const pred: number[] = [];
      kept.forEach((_, b) => {
        const folded = foldInRatings(model, items(givenRows[b]), Float32Array.from(givenRows[b], (r) => ds.ratings.rating[r]));
        predictFolded(model, folded, items(restRows[b])).forEach((p) => pred.push(p));
        restRows[b].forEach((r) => truth.push(ds.ratings.rating[r]));
      });
      row.rmse = rmse(Float32Array.from(pred), Float32Array.from(truth));
      // The bias-only model given the same information: fitted on the training rows plus every given rating.
      const seenRows = Int32Array.from([...split.train, ...givenRows.flatMap((g) => [...g])]);
      const bias = biasBaseline(ds.ratings, seenRows, ds.userIds.length, ds.itemIds.length);
      const [lo, hi] = model.ratingRange;
      const base = Float32Array.from(restRows.flatMap((rows) => [...rows].map((r) => Math.min(hi, Math.max(lo, bias(ds.ratings.user[r], ds.ratings.item[r]))))));
      row.bias_rmse = rmse(base, Float32Array.from(truth));
    }

    const train = csr(givenRows.map(items));
    const test = csr(restRows.map(items));
    const vectors = givenRows.map((g) => foldInImplicit(model, items(g)));
    const ranked = evaluateRanking(
      (batch, out) => {
        const flat = new Float32Array(batch.length * vectors[0].length);
        batch.forEach((b, k) => flat.set(vectors[b], k * vectors[0].length));
        out.set(scoreVectors(model, flat, batch.length));
      },
      train,
      test,
      nItems,
    );
    const popularity = Float32Array.from(model.popularity);
    const popular = evaluateRanking((batch, out) => batch.forEach((_, k) => out.set(popularity, k * nItems)), train, test, nItems);
    Object.assign(row, {
      ndcg_at_10: ranked.ndcg_at_10,
      precision_at_10: ranked.precision_at_10,
      auc: ranked.auc,
      popular_ndcg_at_10: popular.ndcg_at_10,
      popular_precision_at_10: popular.precision_at_10,
    });
    return row;
  });
}

/**
 * Mean overlap of top-10 lists: for up to `limit` training users with at least 10 training items, the top-10 of
 * their trained vector against the top-10 of folding in their own training items (both without those items).
 * Close to 1 means a visitor folded in from a user's history is served what that user is served.
 */
export function foldInOverlap(model: LoadedModel, limit = 200, k = 10): { users: number; overlap_at_10: number } {
  let users = 0;
  let sum = 0;
  for (let u = 0; u < model.users.size && users < limit; u++) {
    const seen = seenItems(model, u);
    if (seen.length < 10) continue;
    const trained = new Set(recommendForUser(model, u, k, true).map((s) => s.index));
    const folded = recommendForVector(model, foldInImplicit(model, seen), k, new Set(seen));
    sum += folded.filter((s) => trained.has(s.index)).length / k;
    users++;
  }
  return { users, overlap_at_10: users ? sum / users : 0 };
}

/** Per-user item lists as evaluateRanking's CSR, in list order (a pseudo-user per held-out user). */
function csr(lists: Int32Array[]): UserItems {
  const indptr = new Int32Array(lists.length + 1);
  lists.forEach((l, u) => (indptr[u + 1] = indptr[u] + l.length));
  const indices = new Int32Array(indptr[lists.length]);
  lists.forEach((l, u) => indices.set(Int32Array.from(l).sort(), indptr[u]));
  return { indptr, indices };
}
