import { describe, expect, it } from 'vitest';
import { createRng } from '../../training/data/random.js';
import type { Ratings } from '../../training/data/types.js';
import {
  dotScorer,
  evaluateRanking,
  mostPopularScorer,
  userItems,
  type BatchScorer,
  type UserItems,
} from '../../training/eval/ranking.js';

const csr = (lists: number[][]): UserItems => {
  const indptr = new Int32Array(lists.length + 1);
  lists.forEach((l, u) => (indptr[u + 1] = indptr[u] + l.length));
  return { indptr, indices: Int32Array.from(lists.flatMap((l) => [...l].sort((a, b) => a - b))) };
};
const fixed = (rows: number[][]): BatchScorer => (users, out) => users.forEach((u, b) => out.set(rows[u], b * rows[u].length));

// Two users with test items and one without; 6 items.
//   user 0: train {0}, test {2, 4}; scores 10 5 4 3 2 1 -> candidates 1 2 3 4 5 in that order
//   user 1: train {5}, test {0};    scores 1 1 0 2 0 9  -> candidates 3, 0, 1 (tie: lower index first), 2, 4
//   user 2: train {1}, no test items: not averaged
const SCORES = [
  [10, 5, 4, 3, 2, 1],
  [1, 1, 0, 2, 0, 9],
  [0, 0, 0, 0, 0, 0],
];
const TRAIN = csr([[0], [5], [1]]);
const TEST = csr([[2, 4], [0], []]);
const L = Math.log2(3);

describe('ranking metrics on a hand-computed case', () => {
  it('k = 3: precision, recall, ndcg, map as Microsoft recommenders defines them', () => {
    const m = evaluateRanking(fixed(SCORES), TRAIN, TEST, 6, { k: 3, batch: 2 });
    // user 0: top 3 = 1, 2, 3; one hit (item 2) at rank 2. user 1: top 3 = 3, 0, 1; one hit (item 0) at rank 2.
    expect(m.precision_at_3).toBeCloseTo((1 / 3 + 1 / 3) / 2, 12);
    expect(m.recall_at_3).toBeCloseTo((1 / 2 + 1) / 2, 12);
    // ndcg: user 0 = (1/log2 3) / (1 + 1/log2 3) (ideal over min(3, 2) = 2 ranks); user 1 = (1/log2 3) / 1.
    expect(m.ndcg_at_3).toBeCloseTo((1 / L / (1 + 1 / L) + 1 / L) / 2, 12);
    // map: user 0 = (1/2) / min(3, 2); user 1 = (1/2) / min(3, 1).
    expect(m.map_at_3).toBeCloseTo((0.25 + 0.5) / 2, 12);
  });

  it('auc: test items against the never-seen items, ties half, averaged over users', () => {
    // user 0: negatives 1, 3, 5 (scores 5, 3, 1); item 2 (4) beats 2, item 4 (2) beats 1 -> 3/6.
    // user 1: negatives 1, 2, 3, 4 (1, 0, 2, 0); item 0 (1) beats 2 and ties 1 -> 2.5/4.
    expect(evaluateRanking(fixed(SCORES), TRAIN, TEST, 6, { k: 3 }).auc).toBeCloseTo((0.5 + 0.625) / 2, 12);
  });

  it("auc as notebook 002 computes it: every non-test item is a negative, training items included", () => {
    // user 0: negatives 0, 1, 3, 5 (10, 5, 3, 1) -> (2 + 1)/8; user 1: negatives add item 5 (9) -> 2.5/5.
    const m = evaluateRanking(fixed(SCORES), TRAIN, TEST, 6, { k: 3, aucNegatives: 'all' });
    expect(m.auc).toBeCloseTo((0.375 + 0.5) / 2, 12);
  });

  it('breaks score ties by the lower item index, and divides precision by k even when fewer candidates exist', () => {
    // user 1 at k = 2: top 2 = 3, 0 (item 0 ties item 1 and wins) -> hit at rank 2.
    const only1 = csr([[], [0], []]);
    const m2 = evaluateRanking(fixed(SCORES), TRAIN, only1, 6, { k: 2 });
    expect(m2.precision_at_2).toBe(0.5);
    expect(m2.map_at_2).toBe(0.5);
    // k = 10 over 5 candidates: one hit -> precision 1/10, recall 1; perfect order only when the hit is first.
    const m10 = evaluateRanking(fixed(SCORES), TRAIN, only1, 6, { k: 10 });
    expect(m10.precision_at_10).toBeCloseTo(0.1, 12);
    expect(m10.recall_at_10).toBe(1);
    expect(m10.ndcg_at_10).toBeCloseTo(1 / L, 12);
  });

  it('a perfect ranking scores 1 and the reversed one scores 0 on every metric', () => {
    const test = csr([[0, 1]]);
    const train = csr([[]]);
    const best = evaluateRanking(fixed([[9, 8, 1, 0]]), train, test, 4, { k: 2 });
    expect(best).toEqual({ auc: 1, precision_at_2: 1, recall_at_2: 1, ndcg_at_2: 1, map_at_2: 1 });
    const worst = evaluateRanking(fixed([[0, 1, 8, 9]]), train, test, 4, { k: 2 });
    expect(worst).toEqual({ auc: 0, precision_at_2: 0, recall_at_2: 0, ndcg_at_2: 0, map_at_2: 0 });
  });

  it('refuses an empty test split and non-finite scores', () => {
    expect(() => evaluateRanking(fixed(SCORES), TRAIN, csr([[], [], []]), 6)).toThrow(/test split is empty/);
    const bad = SCORES.map((r) => [...r]);
    bad[1][3] = Number.NaN;
    expect(() => evaluateRanking(fixed(bad), TRAIN, TEST, 6)).toThrow(/score of item 3 for user 1 is NaN/);
  });
});

/** The textbook definitions, by full sort: the reference the fast implementation must match. */
function reference(scores: Float32Array[], train: number[][], test: number[][], k: number) {
  let auc = 0, p = 0, r = 0, n = 0, ap = 0, users = 0;
  scores.forEach((s, u) => {
    if (test[u].length === 0) return;
    users++;
    const t = new Set(test[u]);
    const cand = [...s.keys()].filter((i) => !train[u].includes(i)).sort((a, b) => s[b] - s[a] || a - b).slice(0, k);
    let hits = 0, dcg = 0, sumP = 0;
    cand.forEach((i, rank) => {
      if (!t.has(i)) return;
      hits++;
      dcg += 1 / Math.log2(rank + 2);
      sumP += hits / (rank + 1);
    });
    let idcg = 0;
    for (let q = 0; q < Math.min(k, t.size); q++) idcg += 1 / Math.log2(q + 2);
    p += hits / k;
    r += hits / t.size;
    n += dcg / idcg;
    ap += sumP / Math.min(k, t.size);
    const neg = [...s.keys()].filter((i) => !t.has(i) && !train[u].includes(i));
    let wins = 0;
    for (const i of test[u]) for (const j of neg) wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    auc += wins / (t.size * neg.length);
  });
  return { auc: auc / users, precision_at_5: p / users, recall_at_5: r / users, ndcg_at_5: n / users, map_at_5: ap / users };
}

describe('ranking metrics against a full-sort reference', () => {
  it('match on random data with many ties', () => {
    const rng = createRng(7);
    const nUsers = 40, nItems = 60;
    const scores = Array.from({ length: nUsers }, () => Float32Array.from({ length: nItems }, () => Math.floor(rng() * 8)));
    const train: number[][] = [], test: number[][] = [];
    for (let u = 0; u < nUsers; u++) {
      const items = [...Array(nItems).keys()].filter(() => rng() < 0.3);
      train.push(items.filter(() => rng() < 0.7));
      test.push(items.filter((i) => !train[u].includes(i)));
    }
    const got = evaluateRanking((users, out) => users.forEach((u, b) => out.set(scores[u], b * nItems)), csr(train), csr(test), nItems, { k: 5, batch: 7 });
    const want = reference(scores, train, test, 5);
    for (const [key, value] of Object.entries(want)) expect(got[key], key).toBeCloseTo(value, 10);
  });
});

describe('scorers and interaction lists', () => {
  const ratings: Ratings = {
    user: Int32Array.of(0, 0, 1, 1, 1, 2),
    item: Int32Array.of(2, 0, 2, 1, 3, 2),
    rating: Float32Array.of(5, 4, 3, 2, 1, 5),
  };

  it('userItems builds sorted CSR from the given rows only', () => {
    const ui = userItems(ratings, Int32Array.of(0, 1, 3, 4), 3);
    expect([...ui.indptr]).toEqual([0, 2, 4, 4]);
    expect([...ui.indices]).toEqual([0, 2, 1, 3]);
  });

  it('most popular ranks by training count, the same list for every user', () => {
    const out = new Float32Array(2 * 4);
    mostPopularScorer(ratings, Int32Array.of(0, 1, 2, 3, 5), 4)(Int32Array.of(0, 2), out);
    expect([...out]).toEqual([1, 1, 3, 0, 1, 1, 3, 0]);
  });

  it('dotScorer is user . item plus the item bias', () => {
    const out = new Float32Array(2);
    dotScorer(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), 2, Float32Array.of(0.5, -1))(Int32Array.of(1), out);
    expect([...out]).toEqual([3.5, 3]);
  });
});

describe('speed', () => {
  it('ranks ml-100k-sized data (943 users x 1,682 items, 25k test items): random scores rank at chance (its speed is a bench figure, not a test)', () => {
    const rng = createRng(3);
    const nUsers = 943, nItems = 1682;
    const scores = Float32Array.from({ length: nUsers * nItems }, rng);
    const train: number[][] = [], test: number[][] = [];
    for (let u = 0; u < nUsers; u++) {
      const items = [...Array(nItems).keys()].filter(() => rng() < 0.063);
      test.push(items.filter((_, j) => j % 4 === 0));
      train.push(items.filter((_, j) => j % 4 !== 0));
    }
    const score: BatchScorer = (users, out) => users.forEach((u, b) => out.set(scores.subarray(u * nItems, (u + 1) * nItems), b * nItems));
    const [tr, te] = [csr(train), csr(test)];
    const m = evaluateRanking(score, tr, te, nItems);
    // Chance: AUC 0.5 with a standard error near 0.002 over 943 users' ~25 test items each; P@10 the test share of
    // each user's unseen items (~26 / 1,603 = 0.016), standard error of the mean over users about 0.0013.
    expect(m.auc).toBeGreaterThan(0.49);
    expect(m.auc).toBeLessThan(0.51);
    expect(m.precision_at_10).toBeGreaterThan(0.012);
    expect(m.precision_at_10).toBeLessThan(0.021);
  });
});
