import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../training/data/errors.js';
import { loadMovieLens100K } from '../../training/data/movielens100k.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/ml-100k-mini', import.meta.url));
const tmpRoots: string[] = [];
afterAll(() => Promise.all(tmpRoots.map((d) => rm(d, { recursive: true, force: true }))));

/** A copy of the fixture with `edit` applied to one file's text (latin-1, like the real files). */
async function fixtureWith(file: string, edit: (text: string) => string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'edgerec-ml-'));
  tmpRoots.push(root);
  const dir = join(root, 'ml-100k');
  await cp(FIXTURE, dir, { recursive: true });
  const path = join(dir, file);
  await writeFile(path, Buffer.from(edit((await readFile(path)).toString('latin1')), 'latin1'));
  return dir;
}

function replaceLine(n: number, line: string): (text: string) => string {
  return (text) => text.split('\n').map((l, i) => (i === n - 1 ? line : l)).join('\n');
}

async function dataError(dir: Promise<string>): Promise<DataError> {
  const err = await loadMovieLens100K(await dir).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('loadMovieLens100K on the mini fixture', () => {
  it('reads ids, ratings and timestamps in u.data order, users by numeric id', async () => {
    const ds = await loadMovieLens100K(FIXTURE);
    expect(ds.name).toBe('ml-100k-mini');
    expect(ds.userIds).toEqual(['1', '2', '3', '10']);
    expect(ds.itemIds).toEqual(['1', '2', '3', '4', '5']);
    expect([...ds.ratings.user]).toEqual([3, 0, 1, 0, 2, 3, 1, 0, 2, 3]);
    expect([...ds.ratings.item]).toEqual([0, 1, 0, 0, 2, 1, 2, 3, 0, 2]);
    expect([...ds.ratings.rating]).toEqual([5, 3, 4, 4, 1, 2, 5, 3, 5, 4]);
    expect(ds.ratings.timestamp?.[0]).toBe(880000071);
    expect(ds.ratingRange).toEqual([1, 5]);
  });

  it('decodes latin-1 titles, trims them, and maps genre flags through u.genre', async () => {
    const ds = await loadMovieLens100K(FIXTURE);
    expect(ds.itemMeta).toEqual([
      { title: 'Rocket Garden (1994)', tags: ['Action', 'Sci-Fi'] },
      { title: 'Café Noël (1996)', tags: ['Comedy', 'Drama'] },
      { title: 'Quiet Harbour (1990)', tags: ['Drama'] },
      { title: 'unknown', tags: ['unknown'] },
      { title: 'Never Rated (1997)', tags: ['Action', 'Comedy'] },
    ]);
  });

  it('maps the official split files to sorted u.data row indices', async () => {
    const ds = await loadMovieLens100K(FIXTURE);
    expect(Object.keys(ds.officialSplits!)).toEqual(['u1', 'ua']);
    expect([...ds.officialSplits!.u1.test]).toEqual([1, 4, 8]);
    expect([...ds.officialSplits!.u1.train]).toEqual([0, 2, 3, 5, 6, 7, 9]);
    expect([...ds.officialSplits!.ua.test]).toEqual([2, 4, 7, 9]);
    expect([...ds.officialSplits!.ua.train]).toEqual([0, 1, 3, 5, 6, 8]);
  });

  it('fingerprints u.data, u.item and u.genre: stable, and changed by any of them', async () => {
    const a = await loadMovieLens100K(FIXTURE);
    const b = await loadMovieLens100K(FIXTURE);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    const retitled = await loadMovieLens100K(await fixtureWith('u.item', (t) => t.replace('Rocket', 'Rockets')));
    expect(retitled.fingerprint).not.toBe(a.fingerprint);
  });

  it('accepts CRLF line ends', async () => {
    const ds = await loadMovieLens100K(await fixtureWith('u.data', (t) => t.replaceAll('\n', '\r\n')));
    expect(ds.ratings.rating.length).toBe(10);
    expect(ds.ratings.timestamp).toEqual((await loadMovieLens100K(FIXTURE)).ratings.timestamp);
    expect(ds.ratings.timestamp?.[9]).toBe(880009073);
  });

  it('works without u.item and u.genre: titles are the ids, items by numeric id', async () => {
    const dir = await fixtureWith('u.data', (t) => t);
    await rm(join(dir, 'u.item'));
    await rm(join(dir, 'u.genre'));
    const ds = await loadMovieLens100K(dir);
    expect(ds.itemIds).toEqual(['1', '2', '3', '4']);
    expect(ds.itemMeta[3]).toEqual({ title: '4', tags: [] });
  });
});

describe('loadMovieLens100K errors name the file, the line and its content', () => {
  it('wrong field count', async () => {
    const err = await dataError(fixtureWith('u.data', replaceLine(3, '2\t1\t4')));
    expect(err.message).toBe('u.data line 3: expected 4 tab-separated fields (user, item, rating, timestamp), got 3: "2\\t1\\t4"');
    expect(err.file).toMatch(/u\.data$/);
    expect(err.line).toBe(3);
    expect(err.content).toBe('2\t1\t4');
  });

  it('non-integer user id', async () => {
    const err = await dataError(fixtureWith('u.data', replaceLine(2, 'u1\t2\t3\t880001009')));
    expect(err.message).toContain('u.data line 2: user id "u1" is not an integer from 0 to 2147483647');
    expect(err.message).toContain(JSON.stringify('u1\t2\t3\t880001009'));
  });

  it('non-finite rating', async () => {
    for (const bad of ['five', 'NaN', 'Infinity', '']) {
      const err = await dataError(fixtureWith('u.data', replaceLine(4, `1\t1\t${bad}\t880003008`)));
      expect(err.message).toContain(`u.data line 4: rating ${JSON.stringify(bad)} is not a finite number`);
      expect(err.content).toBe(`1\t1\t${bad}\t880003008`);
    }
  });

  it('item missing from u.item', async () => {
    const err = await dataError(fixtureWith('u.data', replaceLine(5, '3\t99\t1\t880004024')));
    expect(err.message).toContain('u.data line 5: item 99 is not listed in u.item');
    expect(err.message).toContain(JSON.stringify('3\t99\t1\t880004024'));
  });

  it('the same (user, item) twice', async () => {
    const err = await dataError(fixtureWith('u.data', replaceLine(4, '1\t2\t4\t880003008')));
    expect(err.message).toContain('u.data line 4: user 1 rated item 2 again (first on line 2)');
  });

  it('u.item with a missing genre flag or a bad flag', async () => {
    const short = await dataError(fixtureWith('u.item', replaceLine(3, '3|Quiet Harbour (1990)|01-Jan-1990|||0|0|0|1')));
    expect(short.message).toContain('u.item line 3: expected 10 |-separated fields');
    expect(short.message).toContain('got 9: "3|Quiet Harbour (1990)|01-Jan-1990|||0|0|0|1"');
    const flag = await dataError(fixtureWith('u.item', replaceLine(4, '4|unknown||||1|0|2|0|0')));
    expect(flag.message).toContain('u.item line 4: genre flag for Comedy is "2", expected 0 or 1');
  });

  it('latin-1 text survives into the error message', async () => {
    const err = await dataError(fixtureWith('u.item', (t) => t.replace('Café Noël (1996)|', 'Café Noël (1996)||')));
    expect(err.line).toBe(2);
    expect(err.message).toContain('Café Noël (1996)||01-Jan-1996');
    expect(err.message).toContain('a "|" inside a title must be removed');
  });

  it('u.genre with a gap in its indices', async () => {
    const err = await dataError(fixtureWith('u.genre', (t) => t.replace('Drama|3', 'Drama|7')));
    expect(err.message).toContain('u.genre: genre indices must run 0..7, but 3 is missing');
  });

  it('split lines that are not u.data lines', async () => {
    const absent = await dataError(fixtureWith('u1.test', replaceLine(2, '3\t2\t5\t880008022')));
    expect(absent.message).toContain('u1.test line 2: user 3 never rated item 2 in u.data: "3\\t2\\t5\\t880008022"');
    const rating = await dataError(fixtureWith('u1.test', replaceLine(2, '3\t1\t4\t880008022')));
    expect(rating.message).toContain("u1.test line 2: rating 4 differs from u.data's 5");
    const both = await dataError(fixtureWith('u1.test', replaceLine(1, '1\t1\t4\t880003008')));
    expect(both.message).toContain('u1.test line 1: user 1, item 1 is in both the .base and the .test file');
  });

  it('a split with only one of its two files', async () => {
    const dir = await fixtureWith('u.data', (t) => t);
    await rm(join(dir, 'ua.test'));
    const err = await dataError(Promise.resolve(dir));
    expect(err.message).toContain('ua.test: not found, but ua.base is');
  });

  it('a folder without u.data, and u.item without u.genre', async () => {
    const noData = await fixtureWith('u.data', (t) => t);
    await rm(join(noData, 'u.data'));
    expect((await dataError(Promise.resolve(noData))).message).toMatch(/^u\.data: not found in .*ml-100k \(expected a MovieLens 100K folder with u\.data\)$/);
    const noGenre = await fixtureWith('u.data', (t) => t);
    await rm(join(noGenre, 'u.genre'));
    expect((await dataError(Promise.resolve(noGenre))).message).toContain('u.genre: not found beside u.item');
  });
});
