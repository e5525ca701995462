import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMovieLens100K } from '../../training/data/movielens100k.js';
import { chooseSplit, rankingSplit, RANKING_SPLIT } from '../../training/data/split.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import type { RatingsDataset, Split } from '../../training/data/types.js';
import { ML100K as DIR } from '../helpers/datasets.js';

/** A dataset whose user u has counts[u] ratings (items 0..counts[u]-1). */
function withCounts(counts: number[]): RatingsDataset {
  const user: number[] = [];
  const item: number[] = [];
  counts.forEach((c, u) => {
    for (let i = 0; i < c; i++) user.push(u), item.push(i);
  });
  const n = user.length;
  const nItems = Math.max(...counts);
  return {
    name: 'counts',
    userIds: counts.map((_, u) => `u${u}`),
    itemIds: Array.from({ length: nItems }, (_, i) => `i${i}`),
    itemMeta: Array.from({ length: nItems }, (_, i) => ({ title: `i${i}`, tags: [] })),
    ratings: { user: Int32Array.from(user), item: Int32Array.from(item), rating: new Float32Array(n).fill(4) },
    ratingRange: [4, 4],
    fingerprint: '',
  };
}

function perUser(ds: RatingsDataset, s: Split): { train: number[]; test: number[] } {
  const train = new Array(ds.userIds.length).fill(0);
  const test = new Array(ds.userIds.length).fill(0);
  for (const r of s.train) train[ds.ratings.user[r]]++;
  for (const r of s.test) test[ds.ratings.user[r]]++;
  return { train, test };
}

describe('rankingSplit (per-user stratified 75/25)', () => {
  it('holds out n - round(0.75 n) per user, rounding half to even as Python does, never a user\'s last rating', () => {
    const counts = [1, 2, 3, 4, 6, 10, 14, 20, 101];
    const ds = withCounts(counts);
    const { train, test } = perUser(ds, rankingSplit(ds, 0.25, 1));
    // 0.75 n = 0.75, 1.5, 2.25, 3, 4.5, 7.5, 10.5, 15, 75.75 -> train 1, 2, 2, 3, 4, 8, 10, 15, 76
    expect(train).toEqual([1, 2, 2, 3, 4, 8, 10, 15, 76]);
    expect(test).toEqual([0, 0, 1, 1, 2, 2, 4, 5, 25]);
  });

  it('is a sorted, disjoint cover of the rows, reproducible per seed and different across seeds', () => {
    const ds = generateSynthetic({ users: 50, items: 80, ratingsPerUser: 12, seed: 3 });
    const s = rankingSplit(ds, 0.25, 42);
    expect(s.name).toBe(RANKING_SPLIT);
    const n = ds.ratings.rating.length;
    expect([...s.train, ...s.test].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect([...s.train]).toEqual([...s.train].sort((a, b) => a - b));
    expect([...s.test]).toEqual([...s.test].sort((a, b) => a - b));
    expect(rankingSplit(ds, 0.25, 42)).toEqual(s);
    expect(rankingSplit(ds, 0.25, 43).test).not.toEqual(s.test);
    // 12 ratings each: round(9) = 9 train, 3 test for every user.
    const { train, test } = perUser(ds, s);
    expect(new Set(train)).toEqual(new Set([9]));
    expect(new Set(test)).toEqual(new Set([3]));
  });

  it('picks each user\'s held-out ratings uniformly (every position about equally often)', () => {
    const ds = withCounts([4]);
    const heldOut = [0, 0, 0, 0];
    for (let seed = 0; seed < 4000; seed++) heldOut[ds.ratings.item[rankingSplit(ds, 0.25, seed).test[0]]]++;
    for (const c of heldOut) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });

  it('names other fractions, rejects bad ones, and is what chooseSplit returns for ranking-75-25', () => {
    const ds = withCounts([10, 10]);
    expect(rankingSplit(ds, 0.2, 1).name).toBe('ranking-80-20');
    expect(() => rankingSplit(ds, 0, 1)).toThrow(/testFraction must be in \(0, 1\)/);
    expect(chooseSplit(ds, RANKING_SPLIT, 5)).toEqual(rankingSplit(ds, 0.25, 5));
    expect(chooseSplit(ds, 'random-80-20', 5).name).toBe('random-80-20');
    expect(() => chooseSplit(ds, 'u1', 5)).toThrow(/no official splits/);
  });
});


describe.skipIf(!existsSync(DIR))('rankingSplit on MovieLens 100K (real data, skipped when absent)', () => {
  it('holds out 25% of every user (ml-100k users have 20+ ratings), 25,000-odd rows in all', async () => {
    const ds = await loadMovieLens100K(DIR);
    const s = rankingSplit(ds, 0.25, 42);
    const { train, test } = perUser(ds, s);
    let expected = 0;
    for (let u = 0; u < train.length; u++) {
      const n = train[u] + test[u];
      expect(n).toBeGreaterThanOrEqual(20);
      expect(Math.abs(test[u] / n - 0.25)).toBeLessThanOrEqual(0.5 / n + 1e-12);
      expected += test[u];
    }
    expect(s.test.length).toBe(expected);
    expect(s.test.length).toBeGreaterThan(24_900);
    expect(s.test.length).toBeLessThan(25_100);
  });
});
