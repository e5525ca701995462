import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../training/data/load.js';
import { loadMovieLens100K } from '../../training/data/movielens100k.js';
import { officialSplit } from '../../training/data/split.js';
import { ML100K as DIR } from '../helpers/datasets.js';


describe.skipIf(!existsSync(DIR))('MovieLens 100K (real data, skipped when absent)', () => {
  // Load time is a benchmark figure, not a test assertion (timed tests fail on a busy machine).
  it('has the published counts and rating sum', async () => {
    const ds = await loadMovieLens100K(DIR);
    expect(ds.name).toBe('ml-100k');
    expect(ds.ratings.rating.length).toBe(100_000);
    expect(ds.userIds.length).toBe(943);
    expect(ds.itemIds.length).toBe(1_682);
    expect(ds.ratings.rating.reduce((s, r) => s + r, 0)).toBe(352_986);
    expect(ds.ratingRange).toEqual([1, 5]);
    expect(ds.userIds[0]).toBe('1');
    expect(ds.userIds[942]).toBe('943');
  });

  it('reads titles (latin-1) and genres', async () => {
    const ds = await loadMovieLens100K(DIR);
    const item = (id: string) => ds.itemMeta[ds.itemIds.indexOf(id)];
    expect(item('50').title).toBe('Star Wars (1977)');
    expect(item('50').tags).toContain('Sci-Fi');
    expect(item('543').title).toBe('Misérables, Les (1995)');
    expect(item('1633').title).toBe('Á köldum klaka (Cold Fever) (1994)');
    expect(item('267')).toEqual({ title: 'unknown', tags: ['unknown'] });
  });

  it('maps the official splits', async () => {
    const ds = await loadDataset(DIR);
    expect(Object.keys(ds.officialSplits!)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'ua', 'ub']);
    const u1 = officialSplit(ds, 'u1');
    expect(u1.train.length).toBe(80_000);
    expect(u1.test.length).toBe(20_000);
    expect(officialSplit(ds, 'ua').test.length).toBe(9_430);
    expect(officialSplit(ds, 'ub').train.length).toBe(90_570);
    // u1..u5 test sets partition u.data (5-fold cross-validation).
    const seen = new Uint8Array(100_000);
    for (const name of ['u1', 'u2', 'u3', 'u4', 'u5']) for (const r of officialSplit(ds, name).test) seen[r]++;
    expect(seen.every((c) => c === 1)).toBe(true);
    // ua holds out exactly 10 ratings per user.
    const perUser = new Int32Array(943);
    for (const r of officialSplit(ds, 'ua').test) perUser[ds.ratings.user[r]]++;
    expect(perUser.every((c) => c === 10)).toBe(true);
  });
});
