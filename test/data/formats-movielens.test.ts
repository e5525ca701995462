import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintParts } from '../../training/data/common.js';
import { loadMovieLensCsv } from '../../training/data/movielens-csv.js';
import { loadMovieLensDat } from '../../training/data/movielens-dat.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((d) => rm(d, { recursive: true, force: true }))));

async function folder(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgerec-ml-'));
  roots.push(dir);
  await mkdir(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
  return dir;
}

const MOVIES_CSV = 'movieId,title,genres\n1,One (1990),Drama\n2,"Two, The (1991)",Comedy|Drama\n';

describe('MovieLens CSV (ratings.csv + movies.csv)', () => {
  it('reads CRLF files, quoted titles with commas and "" quotes, genres, and keeps only rated movies in movies.csv order', async () => {
    const ds = await loadMovieLensCsv(fixture('ml-csv-mini'));
    expect(ds.name).toBe('ml-csv-mini');
    expect(ds.userIds).toEqual(['1', '2', '3']);
    expect(ds.itemIds).toEqual(['1', '2', '5', '10']);
    expect(ds.itemMeta).toEqual([
      { title: 'Paper Lanterns (1994)', tags: ['Animation', 'Children', 'Comedy'] },
      { title: 'Quiet Harbour, The (1996)', tags: ['Drama', 'Romance'] },
      { title: 'Moth Who Said "No", A (2001)', tags: [] },
      { title: 'Déjà Brew (2003)', tags: ['Comedy'] },
    ]);
    expect(Array.from(ds.ratings.user)).toEqual([2, 2, 0, 0, 1, 1]);
    expect(Array.from(ds.ratings.item)).toEqual([0, 1, 2, 0, 3, 1]);
    expect(Array.from(ds.ratings.rating)).toEqual([4, 3.5, 5, 0.5, 2, 4.5]);
    expect(Array.from(ds.ratings.timestamp!)).toEqual([964982703, 964981247, 964982224, 964983815, 964982931, 964982400]);
    expect(ds.ratingRange).toEqual([0.5, 5]);
    const [r, m] = await Promise.all(['ratings.csv', 'movies.csv'].map((f) => readFile(fixture(`ml-csv-mini/${f}`))));
    expect(ds.fingerprint).toBe(fingerprintParts([{ name: 'ratings.csv', bytes: r }, { name: 'movies.csv', bytes: m }]));
  });

  it('takes the ratings.csv path too, and works without movies.csv (titles are ids)', async () => {
    expect(await loadMovieLensCsv(fixture('ml-csv-mini/ratings.csv'))).toEqual(await loadMovieLensCsv(fixture('ml-csv-mini')));
    const dir = await folder({ 'ratings.csv': 'userId,movieId,rating,timestamp\n5,20,3,1\n4,10,4,2\n' });
    const ds = await loadMovieLensCsv(dir);
    expect(ds.userIds).toEqual(['4', '5']);
    expect(ds.itemIds).toEqual(['10', '20']);
    expect(ds.itemMeta).toEqual([{ title: '10', tags: [] }, { title: '20', tags: [] }]);
  });

  it.each([
    ['a movie missing from movies.csv', 'userId,movieId,rating,timestamp\n1,1,4,1\n1,99,3,2\n', MOVIES_CSV,
      'ratings.csv line 3: movie 99 is not listed in movies.csv: "1,99,3,2" (add it there or remove its ratings)'],
    ['a rating that is not a number', 'userId,movieId,rating,timestamp\n1,1,four,1\n', MOVIES_CSV,
      'ratings.csv line 2: rating "four" is not a finite number: "1,1,four,1"'],
    ['a rating off the half-star scale', 'userId,movieId,rating,timestamp\n1,1,4.2,1\n', MOVIES_CSV,
      'ratings.csv line 2: rating 4.2 is outside MovieLens\'s 0.5..5 scale in half stars: "1,1,4.2,1" (a generic ratings file with another scale reads with --format ratings-csv)'],
    ['a rating of 0', 'userId,movieId,rating,timestamp\n1,1,0,1\n', MOVIES_CSV,
      'ratings.csv line 2: rating 0 is outside MovieLens\'s 0.5..5 scale in half stars'],
    ['a wrong field count', 'userId,movieId,rating,timestamp\n1,1,4\n', MOVIES_CSV,
      'ratings.csv line 2: expected 4 ","-separated fields (user,item,rating,timestamp), got 3: "1,1,4"'],
    ['a second rating of one pair', 'userId,movieId,rating,timestamp\n1,1,4,1\n1,2,4,1\n1,1,2,5\n', MOVIES_CSV,
      'ratings.csv line 4: user 1 rated movie 1 again (first on line 2): "1,1,2,5" (keep one rating per (user, movie))'],
    ['an unterminated quote in movies.csv', 'userId,movieId,rating,timestamp\n1,1,4,1\n', 'movieId,title,genres\n1,"One (1990),Drama\n',
      'movies.csv line 2: unterminated double quote: "1,\\"One (1990),Drama"'],
    ['a comma in an unquoted title', 'userId,movieId,rating,timestamp\n1,1,4,1\n', 'movieId,title,genres\n1,One, The (1990),Drama\n',
      'movies.csv line 2: expected 3 comma-separated fields like the header, got 4: "1,One, The (1990),Drama" (a title holding a comma must be in double quotes)'],
    ['a repeated movieId', 'userId,movieId,rating,timestamp\n1,1,4,1\n', 'movieId,title,genres\n1,A,Drama\n1,B,Drama\n',
      'movies.csv line 3: movieId 1 appears again (first on line 2): "1,B,Drama"'],
  ])('names file, line and content for %s', async (_what, ratings, movies, message) => {
    const dir = await folder({ 'ratings.csv': ratings, 'movies.csv': movies });
    await expect(loadMovieLensCsv(dir)).rejects.toThrow(message);
  });

  it('says what is missing', async () => {
    const dir = await folder({ 'movies.csv': MOVIES_CSV });
    await expect(loadMovieLensCsv(dir)).rejects.toThrow(/^ratings\.csv: not found in .* \(expected a MovieLens CSV folder with ratings\.csv and movies\.csv\)$/);
  });
});

describe('MovieLens :: files (ratings.dat + movies.dat)', () => {
  it('reads ML-1M style files: latin-1 titles, genres, rated movies in movies.dat order, users ascending', async () => {
    const ds = await loadMovieLensDat(fixture('ml-dat-mini'));
    expect(ds.name).toBe('ml-dat-mini');
    expect(ds.userIds).toEqual(['1', '2', '10']);
    expect(ds.itemIds).toEqual(['1', '2', '3']);
    expect(ds.itemMeta).toEqual([
      { title: 'Paper Lanterns (1994)', tags: ['Animation', "Children's", 'Comedy'] },
      { title: 'Quiet Harbour, The (1996)', tags: ['Drama', 'Romance'] },
      { title: 'Café Olé (1999)', tags: ['Comedy'] },
    ]);
    expect(Array.from(ds.ratings.user)).toEqual([0, 0, 1, 1, 2]);
    expect(Array.from(ds.ratings.item)).toEqual([0, 2, 1, 0, 2]);
    expect(Array.from(ds.ratings.rating)).toEqual([5, 3, 4, 1, 4]);
    expect(ds.ratings.timestamp![4]).toBe(978824291);
    expect(ds.ratingRange).toEqual([1, 5]);
    expect(await loadMovieLensDat(fixture('ml-dat-mini/ratings.dat'))).toEqual(ds);
  });

  it('reads a UTF-8 movies.dat (ML-10M) as UTF-8', async () => {
    const dir = await folder({ 'ratings.dat': '1::7::4.5::1\n', 'movies.dat': Buffer.from('7::Café Olé (1999)::Comedy\n', 'utf8') });
    expect((await loadMovieLensDat(dir)).itemMeta).toEqual([{ title: 'Café Olé (1999)', tags: ['Comedy'] }]);
  });

  it.each([
    ['ratings.dat', '1::1::5\n', '1::A (1990)::Drama\n', 'ratings.dat line 1: expected 4 "::"-separated fields (user::item::rating::timestamp), got 3: "1::1::5"'],
    ['ratings.dat', '1::1::5::1\nx::1::5::1\n', '1::A (1990)::Drama\n', 'ratings.dat line 2: user id "x" is not an integer from 0 to 2147483647: "x::1::5::1"'],
    ['movies.dat', '1::1::5::1\n', '1::A (1990)|Drama\n', 'movies.dat line 1: expected 3 "::"-separated fields (MovieID, Title, Genres), got 2: "1::A (1990)|Drama"'],
  ])('an error in %s names the line', async (_file, ratings, movies, message) => {
    const dir = await folder({ 'ratings.dat': ratings, 'movies.dat': movies });
    await expect(loadMovieLensDat(dir)).rejects.toThrow(message);
  });
});
