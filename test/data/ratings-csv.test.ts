import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../training/data/errors.js';
import { loadRatingsCsv } from '../../training/data/ratings-csv.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const tmpRoots: string[] = [];
afterAll(() => Promise.all(tmpRoots.map((d) => rm(d, { recursive: true, force: true }))));

async function csv(text: string, name = 'ratings.csv'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'edgerec-csv-'));
  tmpRoots.push(root);
  await writeFile(join(root, name), text);
  return join(root, name);
}

async function dataError(file: string): Promise<DataError> {
  const err = await loadRatingsCsv(file).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('loadRatingsCsv', () => {
  it('reads a file with a header and timestamps', async () => {
    const ds = await loadRatingsCsv(fixture('ratings-header.csv'));
    expect(ds.name).toBe('ratings-header.csv');
    expect(ds.userIds).toEqual(['7', '3']);
    expect(ds.itemIds).toEqual(['100', '200']);
    expect([...ds.ratings.user]).toEqual([0, 1, 0, 1]);
    expect([...ds.ratings.item]).toEqual([0, 1, 1, 0]);
    expect([...ds.ratings.rating]).toEqual([4.5, 3, 2.5, 5]);
    expect([...ds.ratings.timestamp!]).toEqual([1500000000, 1500000100, 1500000200, 1500000300]);
    expect(ds.ratingRange).toEqual([2.5, 5]);
    expect(ds.itemMeta).toEqual([{ title: '100', tags: [] }, { title: '200', tags: [] }]);
    expect(ds.officialSplits).toBeUndefined();
  });

  it('reads a file without a header or timestamps, skipping blank lines', async () => {
    const ds = await loadRatingsCsv(fixture('ratings-noheader.csv'));
    expect(ds.userIds).toEqual(['alice', 'bob', 'carol']);
    expect(ds.itemIds).toEqual(['m1', 'm2', 'm3']);
    expect([...ds.ratings.user]).toEqual([0, 1, 2, 0]);
    expect([...ds.ratings.item]).toEqual([0, 1, 0, 2]);
    expect([...ds.ratings.rating]).toEqual([4, 1.5, 5, 2]);
    expect(ds.ratings.timestamp).toBeUndefined();
    expect(ds.ratingRange).toEqual([1.5, 5]);
  });

  it('reads CRLF, a UTF-8 BOM and quoted fields', async () => {
    const ds = await loadRatingsCsv(fixture('ratings-crlf.csv'));
    expect(ds.userIds).toEqual(['u1', 'u2']);
    expect(ds.itemIds).toEqual(['Item, with comma', 'i2']);
    expect([...ds.ratings.rating]).toEqual([4, 3, 5]);
  });

  it('fingerprints the file bytes with plain sha256', async () => {
    const file = fixture('ratings-header.csv');
    const ds = await loadRatingsCsv(file);
    expect(ds.fingerprint).toBe(createHash('sha256').update(await readFile(file)).digest('hex'));
  });

  it('takes a numeric first line as data, not a header', async () => {
    const ds = await loadRatingsCsv(await csv('1,2,3\n2,2,4\n'));
    expect(ds.ratings.rating.length).toBe(2);
  });
});

describe('loadRatingsCsv errors name the file, the line and its content', () => {
  it('wrong field count', async () => {
    const err = await dataError(await csv('user,item,rating\n1,10,4\n2,10\n'));
    expect(err.message).toBe('ratings.csv line 3: expected 3 comma-separated fields (user, item, rating) like the first data line, got 2: "2,10"');
    expect(err.line).toBe(3);
    expect(err.content).toBe('2,10');
  });

  it('a 4-field line among 3-field ones', async () => {
    const err = await dataError(await csv('1,10,4\n2,10,3,1500000000\n'));
    expect(err.message).toContain('ratings.csv line 2: expected 3 comma-separated fields');
    expect(err.message).toContain('"2,10,3,1500000000"');
  });

  it('a first line with too few fields', async () => {
    const err = await dataError(await csv('user;item;rating\n1;2;3\n', 'semicolons.csv'));
    expect(err.message).toBe('semicolons.csv line 1: expected 3 or 4 comma-separated fields (user,item,rating[,timestamp]), got 1: "user;item;rating"');
  });

  it('a rating that is not a number, after the first line', async () => {
    const err = await dataError(await csv('user,item,rating\n1,10,4\n\n2,11,good\n'));
    expect(err.message).toBe('ratings.csv line 4: rating "good" is not a finite number: "2,11,good"');
  });

  it('a bad timestamp, with CRLF stripped from the quoted content', async () => {
    const err = await dataError(await csv('1,10,4,1500000000\r\n2,10,3,yesterday\r\n'));
    expect(err.message).toBe('ratings.csv line 2: timestamp "yesterday" is not a number: "2,10,3,yesterday" (expected unix seconds)');
  });

  it('an empty id and an unterminated quote', async () => {
    expect((await dataError(await csv('1,10,4\n,10,3\n'))).message).toBe('ratings.csv line 2: user id is empty: ",10,3"');
    expect((await dataError(await csv('1,10,4\n2,"10,3\n'))).message).toContain('ratings.csv line 2: unterminated or misplaced double quote');
  });

  it('an empty file, a blank file, and a header without data', async () => {
    expect((await dataError(await csv(''))).message).toBe('ratings.csv: is empty (expected lines of user,item,rating[,timestamp])');
    expect((await dataError(await csv('\n \r\n'))).message).toContain('ratings.csv: is empty');
    const headerOnly = await dataError(await csv('userId,movieId,rating\n'));
    expect(headerOnly.message).toContain('ratings.csv: has a header line but no ratings');
    expect(headerOnly.line).toBeUndefined();
  });
});
