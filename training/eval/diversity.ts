import { insertTop, type BatchScorer, type UserItems } from './ranking.js';

/**
 * How concentrated the top-k lists are, beside the accuracy metrics (same candidates as evaluateRanking: every item
 * but the user's training items; ties to the lower index), over the users that have test items:
 *   tail_share_at_k  share of recommended slots taken by items with fewer than `tailBelow` training interactions
 *                    (a list led by items with a handful of ratings has a high share);
 *   overlap_at_k     mean over pairs of users of |top_k(u) n top_k(v)| / k (1: everyone gets the same list).
 * The pairwise mean is sum_i C(c_i, 2) / C(U, 2) / k with c_i the number of lists holding item i, so it costs O(N).
 */
export function listConcentration(
  score: BatchScorer,
  train: UserItems,
  test: UserItems,
  nItems: number,
  opts: { k?: number; tailBelow?: number; batch?: number } = {},
): Record<string, number> {
  const k = opts.k ?? 10;
  const tailBelow = opts.tailBelow ?? 20;
  const batch = opts.batch ?? 64;
  const popularity = new Int32Array(nItems);
  for (const i of train.indices) popularity[i]++;
  const nUsers = test.indptr.length - 1;
  const users: number[] = [];
  for (let u = 0; u < nUsers; u++) if (test.indptr[u + 1] > test.indptr[u]) users.push(u);
  const listed = new Float64Array(nItems);
  const seen = new Uint8Array(nItems);
  const scores = new Float32Array(batch * nItems);
  const topScore = new Float32Array(k);
  const topItem = new Int32Array(k);
  let tail = 0;
  let slots = 0;
  for (let b0 = 0; b0 < users.length; b0 += batch) {
    const ids = Int32Array.from(users.slice(b0, b0 + batch));
    score(ids, scores);
    for (let b = 0; b < ids.length; b++) {
      const u = ids[b];
      const s = scores.subarray(b * nItems, (b + 1) * nItems);
      const own = train.indices.subarray(train.indptr[u], train.indptr[u + 1]);
      for (const i of own) seen[i] = 1;
      let filled = 0;
      for (let i = 0; i < nItems; i++) {
        if (seen[i]) continue;
        const x = s[i];
        filled = insertTop(topScore, topItem, filled, x, i);
      }
      for (let r = 0; r < filled; r++) {
        listed[topItem[r]]++;
        if (popularity[topItem[r]] < tailBelow) tail++;
      }
      slots += filled;
      for (const i of own) seen[i] = 0;
    }
  }
  const n = users.length;
  let pairs = 0;
  for (const c of listed) pairs += (c * (c - 1)) / 2;
  return {
    [`tail_share_at_${k}`]: slots ? tail / slots : 0,
    [`overlap_at_${k}`]: n > 1 ? pairs / ((n * (n - 1)) / 2) / k : 0,
  };
}
