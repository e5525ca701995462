// Bad training input stops with a clear error naming the file (and the line), never a stack trace from deep inside
// a reader, and never a dataset that silently holds garbage: malformed lines, duplicate ratings, ratings off the
// documented scale, unknown ids, empty files. Every reader is also fuzzed (fast-check): mutated fixtures and random
// bytes either load into a consistent dataset or fail with a DataError that names the file.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../training/data/errors.js';
import { loadTagsCsv, loadTagsJson } from '../../training/data/item-tags.js';
import { loadLinksNdjson } from '../../training/data/links-ndjson.js';
import { loadMovieLensCsv } from '../../training/data/movielens-csv.js';
import { loadMovieLensDat } from '../../training/data/movielens-dat.js';
import { loadMovieLens100K } from '../../training/data/movielens100k.js';
import { loadRatingsCsv } from '../../training/data/ratings-csv.js';
import { loadSteamCsv } from '../../training/data/steam-csv.js';
import type { ItemTagDataset, RatingsDataset } from '../../training/data/types.js';
import { DivergenceError } from '../../training/models/divergence.js';
import { trainMf } from '../../training/models/mf.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((d) => rm(d, { recursive: true, force: true }))));

async function folder(files: Record<string, string | Uint8Array>, name = 'data'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'edgerec-input-'));
  roots.push(root);
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await Promise.all(Object.entries(files).map(([f, text]) => writeFile(join(dir, f), typeof text === 'string' ? Buffer.from(text, 'latin1') : text)));
  return dir;
}

async function failure(p: Promise<unknown>): Promise<DataError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

const ML_GENRES = 'unknown|0\nAction|1\n\n';
const mlItem = (ids: number[]) => ids.map((i) => `${i}|Movie ${i} (1995)|01-Jan-1995||http://x|0|1`).join('\n') + '\n';

describe('MovieLens 100K (u.data): the documented 1..5 whole-star scale, duplicates, unknown items, empty files', () => {
  it.each(['0', '6', '11', '3.5', '-1', '4.0', '0x4', '4e0'])('a rating of %s is refused with the file, line and line text', async (r) => {
    const line = `2\t1\t${r}\t881250950`;
    const dir = await folder({ 'u.data': `1\t1\t4\t881250949\n${line}\n`, 'u.item': mlItem([1]), 'u.genre': ML_GENRES });
    const e = await failure(loadMovieLens100K(dir));
    expect(e.message).toBe(`u.data line 2: rating "${r}" is not one of 1..5 (MovieLens 100K rates in whole stars): ${JSON.stringify(line)} (for other scales use a user,item,rating CSV)`);
    expect([e.line, e.file]).toEqual([2, join(dir, 'u.data')]);
  });

  it('the same check covers the official split files, which must repeat u.data', async () => {
    const dir = await folder({ 'u.data': '1\t1\t4\t1\n2\t1\t5\t2\n', 'u1.base': '1\t1\t4\t1\n', 'u1.test': '2\t1\t9\t2\n' });
    expect((await failure(loadMovieLens100K(dir))).message).toMatch(/^u1\.test line 1: rating "9" is not one of 1\.\.5/);
  });

  it('non-finite ratings, duplicates, items missing from u.item and empty files', async () => {
    const cases: [Record<string, string>, string | RegExp][] = [
      [{ 'u.data': '1\t1\tNaN\t1\n' }, 'u.data line 1: rating "NaN" is not a finite number: "1\\t1\\tNaN\\t1"'],
      [{ 'u.data': '1\t1\t1e999\t1\n' }, 'u.data line 1: rating "1e999" is not a finite number: "1\\t1\\t1e999\\t1"'],
      [{ 'u.data': '1\t1\t4\t1\n1\t1\t5\t2\n' }, 'u.data line 2: user 1 rated item 1 again (first on line 1): "1\\t1\\t5\\t2" (keep one rating per (user, item))'],
      [{ 'u.data': '1\t1\t4\t1\n1\t7\t5\t2\n', 'u.item': mlItem([1]), 'u.genre': ML_GENRES }, 'u.data line 2: item 7 is not listed in u.item: "1\\t7\\t5\\t2" (add it to u.item or remove its ratings)'],
      [{ 'u.data': '1\t1\t4\n' }, 'u.data line 1: expected 4 tab-separated fields (user, item, rating, timestamp), got 3: "1\\t1\\t4"'],
      [{ 'u.data': '' }, /^u\.data: has no ratings/],
      [{ 'u.data': '\n\n' }, /^u\.data: has no ratings/],
    ];
    for (const [files, message] of cases) {
      const e = await failure(loadMovieLens100K(await folder(files)));
      if (typeof message === 'string') expect(e.message).toBe(message);
      else expect(e.message).toMatch(message);
    }
  });
});

describe('generic ratings CSV: any finite scale, but no duplicates and no garbage', () => {
  it('a second rating of one (user, item) names both lines', async () => {
    const dir = await folder({ 'r.csv': 'user,item,rating\n1,10,4\n2,10,3\n1,10,5\n' });
    const e = await failure(loadRatingsCsv(join(dir, 'r.csv')));
    expect(e.message).toBe('r.csv line 4: user "1" rated item "10" again (first on line 2): "1,10,5" (keep one rating per (user, item))');
    expect(e.line).toBe(4);
  });

  it('non-finite ratings are refused; finite ratings on any scale are kept (a CSV documents no scale: its own min..max is the range)', async () => {
    for (const r of ['NaN', 'Infinity', '-Infinity', '1e999', '0x10', '0b1', '1_000', '4.5.1', '']) {
      const dir = await folder({ 'r.csv': `1,10,4\n2,10,${r}\n` });
      expect((await failure(loadRatingsCsv(join(dir, 'r.csv')))).message).toBe(`r.csv line 2: rating ${JSON.stringify(r)} is not a finite number: "2,10,${r}"`);
    }
    const dir = await folder({ 'r.csv': '1,10,0\n2,10,11\n3,11,-2.5\n' });
    expect((await loadRatingsCsv(join(dir, 'r.csv'))).ratingRange).toEqual([-2.5, 11]);
  });
});

describe('MovieLens CSV and .dat readers (tested here, maintained with the format readers)', () => {
  it('malformed lines, duplicates and unknown movies name the file and line', async () => {
    const csv = await folder({ 'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4,1\n1,1,5,2\n', 'movies.csv': 'movieId,title,genres\n1,A,Drama\n' });
    expect((await failure(loadMovieLensCsv(csv))).message).toMatch(/^ratings\.csv line 3: user 1 rated movie 1 again \(first on line 2\)/);
    const unknown = await folder({ 'ratings.csv': 'userId,movieId,rating,timestamp\n1,2,4,1\n', 'movies.csv': 'movieId,title,genres\n1,A,Drama\n' });
    expect((await failure(loadMovieLensCsv(unknown))).message).toMatch(/^ratings\.csv line 2: movie 2 is not listed in movies\.csv/);
    const dat = await folder({ 'ratings.dat': '1::1::4::1\n1::1\n', 'movies.dat': '1::A (1995)::Drama\n' });
    expect((await failure(loadMovieLensDat(dat))).message).toMatch(/^ratings\.dat line 2: expected 4 "::"-separated fields/);
    const empty = await folder({ 'ratings.dat': '', 'movies.dat': '1::A (1995)::Drama\n' });
    expect((await failure(loadMovieLensDat(empty))).message).toMatch(/^ratings\.dat: has no ratings/);
  });
});

type Loader = { name: string; load: (dir: string) => Promise<RatingsDataset | ItemTagDataset>; files: Record<string, string>; mutate: string[] };

/** A loaded dataset is consistent: indices in range, finite ratings inside ratingRange, one title per item. */
function consistent(ds: RatingsDataset | ItemTagDataset): void {
  if ('ratings' in ds) {
    const { user, item, rating } = ds.ratings;
    expect(user.length).toBe(rating.length);
    expect(item.length).toBe(rating.length);
    expect(rating.length).toBeGreaterThan(0);
    expect(ds.itemMeta.length).toBe(ds.itemIds.length);
    for (let r = 0; r < rating.length; r++) {
      if (!(user[r] >= 0 && user[r] < ds.userIds.length && item[r] >= 0 && item[r] < ds.itemIds.length)) throw new Error(`row ${r}: index out of range`);
      if (!(Number.isFinite(rating[r]) && rating[r] >= ds.ratingRange[0] && rating[r] <= ds.ratingRange[1])) throw new Error(`row ${r}: rating ${rating[r]}`);
    }
  } else {
    expect(ds.itemTitles.length).toBe(ds.itemIds.length);
    for (let p = 0; p < ds.pairs.item.length; p++) {
      if (!(ds.pairs.item[p] < ds.itemIds.length && ds.pairs.tag[p] < ds.tags.length)) throw new Error(`pair ${p}: index out of range`);
    }
  }
}

describe('every reader, fuzzed: mutated fixtures and random bytes load consistently or fail with a DataError naming the file', async () => {
  const text = async (p: string) => (await readFile(fixture(p))).toString('latin1');
  const LOADERS: Loader[] = [
    { name: 'ml-100k', load: loadMovieLens100K, files: { 'u.data': await text('ml-100k-mini/u.data'), 'u.item': await text('ml-100k-mini/u.item'), 'u.genre': await text('ml-100k-mini/u.genre') }, mutate: ['u.data', 'u.item', 'u.genre'] },
    { name: 'ratings csv', load: (d) => loadRatingsCsv(join(d, 'ratings.csv')), files: { 'ratings.csv': await text('ratings-header.csv') }, mutate: ['ratings.csv'] },
    { name: 'movielens csv', load: loadMovieLensCsv, files: { 'ratings.csv': await text('ml-csv-mini/ratings.csv'), 'movies.csv': await text('ml-csv-mini/movies.csv') }, mutate: ['ratings.csv', 'movies.csv'] },
    { name: 'movielens dat', load: loadMovieLensDat, files: { 'ratings.dat': await text('ml-dat-mini/ratings.dat'), 'movies.dat': await text('ml-dat-mini/movies.dat') }, mutate: ['ratings.dat', 'movies.dat'] },
    { name: 'steam csv', load: (d) => loadSteamCsv(join(d, 'steam.csv')), files: { 'steam.csv': await text('steam-mini.csv') }, mutate: ['steam.csv'] },
    { name: 'tags json', load: (d) => loadTagsJson(join(d, 'tags.json')), files: { 'tags.json': await text('tags-mini.json') }, mutate: ['tags.json'] },
    { name: 'tags csv', load: (d) => loadTagsCsv(join(d, 'tags.csv')), files: { 'tags.csv': await text('tags-mini.csv') }, mutate: ['tags.csv'] },
    { name: 'links ndjson', load: (d) => loadLinksNdjson(join(d, 'links.ndjson')), files: { 'links.ndjson': await text('links-mini.ndjson') }, mutate: ['links.ndjson'] },
  ];

  /** One edit of a file's text: insert, delete, duplicate or swap lines, replace a field, truncate, or random text. */
  const edit = (source: string) =>
    fc.oneof(
      fc.tuple(fc.nat(source.length), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 6 })).map(([at, s]) => source.slice(0, at) + s + source.slice(at)),
      fc.tuple(fc.nat(source.length), fc.nat(20)).map(([at, n]) => source.slice(0, at) + source.slice(at + n)),
      fc.nat(source.length).map((at) => source.slice(0, at)),
      fc.nat(50).map((k) => {
        const lines = source.split('\n');
        const i = k % Math.max(1, lines.length);
        return [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)].join('\n');
      }),
      fc.tuple(fc.nat(50), fc.constantFrom('', '-1', '0', '6', '1e999', 'NaN', '4.5', '"', '""', '\t', '::', ',', ';', '|', '99999999999', 'null', '{}', '[]', 'é', '\u0000')).map(([k, s]) => {
        const fields = source.split(/(?<=[\t,|\n:;])/);
        const i = k % Math.max(1, fields.length);
        return [...fields.slice(0, i), s, ...fields.slice(i + 1)].join('');
      }),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );

  it.each(LOADERS.map((l) => [l.name, l] as const))('%s', async (_, l) => {
    let failed = 0;
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...l.mutate).chain((file) => edit(l.files[file]).map((t) => [file, t] as const)), async ([file, mutated]) => {
        const dir = await folder({ ...l.files, [file]: mutated });
        let ds: RatingsDataset | ItemTagDataset | undefined;
        try {
          ds = await l.load(dir);
        } catch (e) {
          failed++;
          // A DataError whose message starts with the file's name (and its line when it has one), nothing else.
          if (!(e instanceof DataError)) throw new Error(`${l.name}: ${file} edited to ${JSON.stringify(mutated.slice(0, 200))} threw ${(e as Error).stack}`);
          expect(e.message.startsWith(basename(e.file))).toBe(true);
          if (e.line !== undefined) expect(e.message.startsWith(`${basename(e.file)} line ${e.line}: `)).toBe(true);
          expect(e.message.length).toBeLessThan(1200);
          return;
        }
        loaded++;
        consistent(ds);
      }),
      { numRuns: Number(process.env.EDGEREC_FUZZ_RUNS ?? 120), seed: Number(process.env.EDGEREC_FUZZ_SEED ?? 20261124) },
    );
    // Both outcomes occur: the edits are not all harmless, nor all fatal.
    expect([failed > 0, loaded > 0]).toEqual([true, true]);
  });
});

describe('training that diverges stops with advice', () => {
  it('mf on ratings of 1e30 (finite, so the reader keeps them): a DivergenceError that says what to change, not NaN weights', async () => {
    const rows = Array.from({ length: 60 }, (_, r) => `${r % 10},${(r * 7) % 12},${r % 2 ? 1e30 : -1e30}`).join('\n');
    const dir = await folder({ 'r.csv': rows });
    const ds = await loadRatingsCsv(join(dir, 'r.csv'));
    const all = Int32Array.from({ length: ds.ratings.rating.length }, (_, i) => i);
    let err: unknown;
    try {
      trainMf(ds.ratings, all, ds.userIds.length, ds.itemIds.length, { dim: 4, epochs: 3, seed: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as Error).message).toMatch(/^mf: not all parameters are finite after epoch \d+ \(.*\); the model has diverged\. Try a smaller learning rate \(now [\d.e-]+, e\.g\. --lr [\d.e-]+\) or a larger regularisation\.$/);
  });
});
