import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMovieLens100K } from '../../training/data/movielens100k.js';
import { createRng, randomInt, randomNormal, shuffleInPlace } from '../../training/data/random.js';
import { MIN_HELD_OUT_RATINGS, officialSplit, randomSplit, randomSplitName, selectRows, USERS_SPLIT, usersSplit } from '../../training/data/split.js';
import { generateSynthetic } from '../../training/data/synthetic.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/ml-100k-mini', import.meta.url));

describe('createRng', () => {
  it('is reproducible per seed and differs across seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, createRng(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(-1)).not.toEqual(draw(2 ** 32 - 1));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it('pins its stream: changing it silently changes every split and every trained model', () => {
    const rng = createRng(42);
    expect(Array.from({ length: 3 }, rng).map((x) => x.toFixed(10))).toEqual(['0.6606157226', '0.1268801040', '0.1117019639']);
  });

  it('is uniform on [0, 1)', () => {
    const rng = createRng(1);
    const bins = new Array(10).fill(0);
    let min = 1;
    let max = 0;
    for (let k = 0; k < 100_000; k++) {
      const x = rng();
      min = Math.min(min, x);
      max = Math.max(max, x);
      bins[Math.floor(x * 10)]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });

  it('gives normals with mean 0 and variance 1, and integers in range', () => {
    const rng = createRng(3);
    let s = 0;
    let s2 = 0;
    const n = 50_000;
    for (let k = 0; k < n; k++) {
      const z = randomNormal(rng);
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
    for (let k = 0; k < 1000; k++) expect(randomInt(rng, 3)).toBeOneOf([0, 1, 2]);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => createRng(1.5)).toThrow(/seed must be a safe integer/);
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });
});

describe('shuffleInPlace', () => {
  it('permutes typed and plain arrays reproducibly', () => {
    const a = shuffleInPlace(Int32Array.from({ length: 100 }, (_, i) => i), createRng(5));
    const b = shuffleInPlace(Int32Array.from({ length: 100 }, (_, i) => i), createRng(5));
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    const words = shuffleInPlace(['a', 'b', 'c', 'd'], createRng(5));
    expect([...words].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('puts every element everywhere about equally often', () => {
    const rng = createRng(11);
    const counts = [0, 0, 0];
    for (let k = 0; k < 30_000; k++) counts[shuffleInPlace([0, 1, 2], rng).indexOf(0)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});

describe('randomSplit', () => {
  it('is a reproducible, sorted, disjoint cover with round(n * f) test rows', () => {
    const s = randomSplit(1001, 0.2, 42);
    expect(s.name).toBe('random-80-20');
    expect(s.test.length).toBe(200);
    expect(s.train.length).toBe(801);
    const all = [...s.train, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1001 }, (_, i) => i));
    expect([...s.train]).toEqual([...s.train].sort((a, b) => a - b));
    expect([...s.test]).toEqual([...s.test].sort((a, b) => a - b));
    expect(randomSplit(1001, 0.2, 42)).toEqual(s);
    expect(randomSplit(1001, 0.2, 43).test).not.toEqual(s.test);
  });

  it('names other fractions and handles n = 0', () => {
    expect(randomSplitName(0.1)).toBe('random-90-10');
    expect(randomSplitName(0.125)).toBe('random-87.5-12.5');
    const empty = randomSplit(0, 0.2, 1);
    expect(empty.train.length + empty.test.length).toBe(0);
  });

  it('rejects bad arguments', () => {
    expect(() => randomSplit(10, 0, 1)).toThrow(/testFraction must be in \(0, 1\)/);
    expect(() => randomSplit(10, 1, 1)).toThrow(RangeError);
    expect(() => randomSplit(-1, 0.2, 1)).toThrow(/n must be a non-negative integer/);
  });
});

describe('officialSplit and selectRows', () => {
  it('returns a named official split', async () => {
    const ds = await loadMovieLens100K(FIXTURE);
    const s = officialSplit(ds, 'u1');
    expect(s).toEqual({ name: 'u1', train: ds.officialSplits!.u1.train, test: ds.officialSplits!.u1.test });
  });

  it('lists the available names when the split is unknown', async () => {
    const ds = await loadMovieLens100K(FIXTURE);
    expect(() => officialSplit(ds, 'u9')).toThrow('dataset ml-100k-mini has no official split "u9"; available: u1, ua');
    const synthetic = generateSynthetic({ users: 3, items: 5, ratingsPerUser: 2, seed: 1 });
    expect(() => officialSplit(synthetic, 'u1')).toThrow(/dataset synthetic has no official splits .* use a random split/);
  });

  it('selects rows with their timestamps', async () => {
    const ds = await loadMovieLens100K(FIXTURE);
    const sub = selectRows(ds.ratings, Int32Array.of(4, 0));
    expect([...sub.user]).toEqual([2, 3]);
    expect([...sub.item]).toEqual([2, 0]);
    expect([...sub.rating]).toEqual([1, 5]);
    expect([...sub.timestamp!]).toEqual([ds.ratings.timestamp![4], ds.ratings.timestamp![0]]);
  });
});

describe('usersSplit (users-90-10): whole users held out for fold-in', () => {
  const ds = generateSynthetic({ users: 200, items: 80, ratingsPerUser: 40, seed: 3 });

  it('holds out round(10%) of the users, every row of theirs, only users with 30+ ratings, reproducibly', () => {
    const s = usersSplit(ds, 0.1, 7);
    expect(s.name).toBe(USERS_SPLIT);
    const held = new Set(Array.from(s.test, (r) => ds.ratings.user[r]));
    expect(held.size).toBe(20);
    expect(s.train.length + s.test.length).toBe(ds.ratings.rating.length);
    for (const r of s.train) expect(held.has(ds.ratings.user[r])).toBe(false);
    const count = new Map<number, number>();
    for (const u of ds.ratings.user) count.set(u, (count.get(u) ?? 0) + 1);
    for (const u of held) expect(count.get(u)).toBeGreaterThanOrEqual(MIN_HELD_OUT_RATINGS);
    expect(Array.from(usersSplit(ds, 0.1, 7).test)).toEqual(Array.from(s.test));
    expect(Array.from(usersSplit(ds, 0.1, 8).test)).not.toEqual(Array.from(s.test));
  });

  it('refuses a dataset without enough users of 30+ ratings, saying so', () => {
    const thin = generateSynthetic({ users: 50, items: 40, ratingsPerUser: 10, seed: 3 });
    expect(() => usersSplit(thin, 0.1, 7)).toThrow(/users-90-10 needs 5 users with at least 30 ratings to hold out; .* has 0: use another split/);
  });
});
