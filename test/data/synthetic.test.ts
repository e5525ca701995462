import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../training/data/load.js';
import { loadMovieLens100K } from '../../training/data/movielens100k.js';
import { generateSynthetic, generateSyntheticWithTruth, SYNTHETIC_GENRES, writeSyntheticMovieLens } from '../../training/data/synthetic.js';

const OPTS = { users: 300, items: 400, ratingsPerUser: 40, seed: 7 };
const tmpRoots: string[] = [];
afterAll(() => Promise.all(tmpRoots.map((d) => rm(d, { recursive: true, force: true }))));

describe('generateSynthetic', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateSynthetic(OPTS);
    const b = generateSynthetic(OPTS);
    expect(b).toEqual(a);
    expect(b.fingerprint).toBe(a.fingerprint);
    const c = generateSynthetic({ ...OPTS, seed: 8 });
    expect(c.ratings.item).not.toEqual(a.ratings.item);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it('has the requested shape: ids, exact ratings per user, distinct items, ratings 1..5', () => {
    const ds = generateSynthetic(OPTS);
    expect(ds.name).toBe('synthetic');
    expect(ds.userIds).toEqual(Array.from({ length: 300 }, (_, u) => String(u + 1)));
    expect(ds.itemIds.length).toBe(400);
    expect(ds.ratings.rating.length).toBe(300 * 40);
    const perUser = new Map<number, Set<number>>();
    for (let r = 0; r < ds.ratings.rating.length; r++) {
      const set = perUser.get(ds.ratings.user[r]) ?? new Set();
      set.add(ds.ratings.item[r]);
      perUser.set(ds.ratings.user[r], set);
      expect(ds.ratings.rating[r]).toBeOneOf([1, 2, 3, 4, 5]);
    }
    for (const items of perUser.values()) expect(items.size).toBe(40);
    expect(ds.ratingRange).toEqual([1, 5]);
    expect(ds.ratings.timestamp?.length).toBe(300 * 40);
  });

  it('gives readable, distinct titles with years, tagged with known genres', () => {
    const ds = generateSynthetic(OPTS);
    const titles = ds.itemMeta.map((m) => m.title);
    expect(new Set(titles).size).toBe(titles.length);
    for (const { title, tags } of ds.itemMeta) {
      expect(title).toMatch(/^[A-Z][\p{L}' ,]+( [IVX]+)? \((19\d\d)\)$/u);
      expect(tags.length).toBeGreaterThanOrEqual(1);
      for (const t of tags) expect(SYNTHETIC_GENRES).toContain(t);
    }
  });

  it('plants the genre structure: favourite genre rated highest, disliked genre lowest', () => {
    const { dataset: ds, truth } = generateSyntheticWithTruth(OPTS);
    const sum = { fav: 0, other: 0, disliked: 0 };
    const n = { fav: 0, other: 0, disliked: 0 };
    for (let r = 0; r < ds.ratings.rating.length; r++) {
      const u = ds.ratings.user[r];
      const g = truth.itemGenre[ds.ratings.item[r]];
      const k = g === truth.favouriteGenre[u] ? 'fav' : g === truth.dislikedGenre[u] ? 'disliked' : 'other';
      sum[k] += ds.ratings.rating[r];
      n[k]++;
    }
    const mean = { fav: sum.fav / n.fav, other: sum.other / n.other, disliked: sum.disliked / n.disliked };
    expect(mean.fav - mean.other).toBeGreaterThan(0.5);
    expect(mean.other - mean.disliked).toBeGreaterThan(0.5);
    // Users seek out what they like: their favourite genre is over-represented among what they rate.
    expect(n.fav / ds.ratings.rating.length).toBeGreaterThan(0.25);
  });

  it('shows the structure without the truth too: the genre a user rates most, they rate above their own mean', () => {
    const ds = generateSynthetic(OPTS);
    let wins = 0;
    for (let u = 0; u < 300; u++) {
      const byGenre = new Map<string, number[]>();
      const all: number[] = [];
      for (let r = 0; r < ds.ratings.rating.length; r++) {
        if (ds.ratings.user[r] !== u) continue;
        all.push(ds.ratings.rating[r]);
        for (const t of ds.itemMeta[ds.ratings.item[r]].tags) byGenre.set(t, [...(byGenre.get(t) ?? []), ds.ratings.rating[r]]);
      }
      const top = [...byGenre.values()].sort((a, b) => b.length - a.length)[0];
      const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      if (avg(top) > avg(all)) wins++;
    }
    expect(wins / 300).toBeGreaterThan(0.8);
  });

  it('chooses items users like: rated items score higher under the planted model than unrated ones', () => {
    const { dataset: ds, truth } = generateSyntheticWithTruth(OPTS);
    const score = (u: number, i: number) => {
      let s = truth.userBias[u] + truth.itemBias[i];
      for (let k = 0; k < truth.dim; k++) s += truth.userFactors[u * truth.dim + k] * truth.itemFactors[i * truth.dim + k];
      return s;
    };
    const rated = new Set<number>();
    for (let r = 0; r < ds.ratings.rating.length; r++) rated.add(ds.ratings.user[r] * 400 + ds.ratings.item[r]);
    let seen = 0;
    let unseen = 0;
    for (let u = 0; u < 300; u++) for (let i = 0; i < 400; i++) (rated.has(u * 400 + i) ? (seen += score(u, i)) : (unseen += score(u, i)));
    expect(seen / rated.size - unseen / (300 * 400 - rated.size)).toBeGreaterThan(0.5);
  });

  it('caps ratingsPerUser at the catalogue and validates options', () => {
    expect(generateSynthetic({ users: 2, items: 3, ratingsPerUser: 10, seed: 1 }).ratings.rating.length).toBe(6);
    expect(() => generateSynthetic({ ...OPTS, users: 0 })).toThrow(/users must be an integer >= 1, got 0/);
    expect(() => generateSynthetic({ ...OPTS, dim: 2.5 })).toThrow(/dim must be an integer/);
    expect(() => generateSynthetic({ ...OPTS, noise: -1 })).toThrow(/noise must be >= 0/);
    // Fewer dimensions than genres still works (directions are then only nearly orthogonal).
    expect(generateSyntheticWithTruth({ ...OPTS, dim: 4 }).truth.itemFactors.length).toBe(400 * 4);
  });
});

describe('writeSyntheticMovieLens', () => {
  it('writes ml-100k files that load back into the same dataset, fingerprint included', async () => {
    const ds = generateSynthetic({ ...OPTS, seed: 3 });
    const root = await mkdtemp(join(tmpdir(), 'edgerec-syn-'));
    tmpRoots.push(root);
    const dir = join(root, 'synthetic-ml');
    await writeSyntheticMovieLens(dir, ds);
    const back = await loadMovieLens100K(dir);
    expect(back.name).toBe('synthetic-ml');
    expect({ ...back, name: ds.name }).toEqual(ds);
    expect(await loadDataset(dir)).toEqual(back);
    const genre = (await readFile(join(dir, 'u.genre'), 'latin1')).split('\n');
    expect(genre.slice(0, 2)).toEqual(['Sci-Fi|0', 'Romance|1']);
    expect(genre.at(-2)).toBe('');
  });

  it('writes accented titles as latin-1 bytes', async () => {
    const ds = generateSynthetic({ users: 50, items: 600, ratingsPerUser: 5, seed: 2 });
    const i = ds.itemMeta.findIndex((m) => m.title.includes('Café'));
    expect(i).toBeGreaterThanOrEqual(0);
    const root = await mkdtemp(join(tmpdir(), 'edgerec-syn-'));
    tmpRoots.push(root);
    await writeSyntheticMovieLens(root, ds);
    const bytes = await readFile(join(root, 'u.item'));
    expect(bytes.includes(Buffer.from([0x43, 0x61, 0x66, 0xe9]))).toBe(true); // "Caf" + latin-1 é
    expect((await loadMovieLens100K(root)).itemMeta[i].title).toBe(ds.itemMeta[i].title);
  });
});
