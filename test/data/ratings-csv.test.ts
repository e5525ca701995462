import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../training/data/errors.js';
import { loadRatingsCsv } from '../../training/data/ratings-csv.js';
import { loadDataset } from '../../training/data/load.js';
import { parseColumns } from '../../training/data/rating-columns.js';
import { UsageError } from '../../training/options.js';

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
    // One CSV parser for every reader (csv-fields.ts): its message for an open quote.
    expect((await dataError(await csv('1,10,4\n2,"10,3\n'))).message).toBe('ratings.csv line 2: unterminated double quote: "2,\\"10,3" (a field that starts with " must end with "; write a quote inside it as "")');
  });

  it('an empty file, a blank file, and a header without data', async () => {
    expect((await dataError(await csv(''))).message).toBe('ratings.csv: is empty (expected lines of user,item,rating[,timestamp])');
    expect((await dataError(await csv('\n \r\n'))).message).toContain('ratings.csv: is empty');
    const headerOnly = await dataError(await csv('userId,movieId,rating\n'));
    expect(headerOnly.message).toContain('ratings.csv: has a header line but no ratings');
    expect(headerOnly.line).toBeUndefined();
  });
});

describe('loadRatingsCsv maps columns by header name', () => {
  it('a rating,user,item header is read by name, not by position', async () => {
    const ds = await loadRatingsCsv(await csv('rating,user,item\n4.0,1,10\n3.5,1,11\n5,2,10\n'));
    expect(ds.userIds).toEqual(['1', '2']);
    expect(ds.itemIds).toEqual(['10', '11']);
    expect([...ds.ratings.rating]).toEqual([4, 3.5, 5]);
    expect([...ds.ratings.user]).toEqual([0, 0, 1]);
    expect([...ds.ratings.item]).toEqual([0, 1, 0]);
  });

  it.each([
    ['userId,movieId,rating,timestamp', '7,100,4.5,1500000000', ['7', '100', 4.5, 1500000000]],
    ['user_id,item_id,rating', '7,100,4.5', ['7', '100', 4.5, undefined]],
    ['Item ID,Timestamp,User-ID,Score', '100,1500000000,7,4.5', ['7', '100', 4.5, 1500000000]],
    ['reviewerID,asin,overall,unixReviewTime', 'A1,B00X,5,1400000000', ['A1', 'B00X', 5, 1400000000]],
    ['timestamp,rating,movieId,userId', '1500000000,4.5,100,7', ['7', '100', 4.5, 1500000000]],
  ])('%s', async (header, line, [u, i, r, ts]) => {
    const ds = await loadRatingsCsv(await csv(`${header}\n${line}\n`));
    expect([ds.userIds[0], ds.itemIds[0], ds.ratings.rating[0], ds.ratings.timestamp?.[0]]).toEqual([u, i, r, ts]);
  });

  it('--columns says which column is which, for a headerless file and over a header', async () => {
    const headerless = await loadRatingsCsv(await csv('4,1,10\n2,2,10\n'), { columns: ['rating', 'user', 'item'] });
    expect(headerless.userIds).toEqual(['1', '2']);
    expect([...headerless.ratings.rating]).toEqual([4, 2]);
    const skipped = await loadRatingsCsv(await csv('who,what,junk,stars\n1,10,x,4\n'), { columns: ['user', 'item', 'skip', 'rating'] });
    expect([skipped.userIds, skipped.itemIds, [...skipped.ratings.rating]]).toEqual([['1'], ['10'], [4]]);
  });

  it('a header that names an unknown column is an error naming it and what is expected', async () => {
    const err = await dataError(await csv('customer,product,weight\n1,10,4\n'));
    expect(err.line).toBe(1);
    expect(err.message).toBe(
      'ratings.csv line 1: the header names "weight", which is not a column this reader knows; expected a user column (user, userid, uid, ...), ' +
        'an item column (item, itemId, movieId, ...), a rating column (rating, ratings, score, ...) and optionally a timestamp ' +
        '(or --columns to say which is which, - for a column to skip): "customer,product,weight"',
    );
  });

  it('a header without a rating column, or naming one role twice, is an error', async () => {
    expect((await dataError(await csv('user,item,timestamp\n1,10,1500000000\n'))).message).toMatch(/^ratings\.csv line 1: no rating column among "user", "item", "timestamp"; expected a user column/);
    expect((await dataError(await csv('userId,user,item,rating\n1,1,10,4\n'))).message).toMatch(/^ratings\.csv line 1: both "userId" and "user" are a user column/);
  });

  it('a data line shorter than the header names the header', async () => {
    const err = await dataError(await csv('rating,user,item,timestamp\n4,1,10\n'));
    expect(err.message).toBe('ratings.csv line 2: expected 4 comma-separated fields (rating, user, item, timestamp) like the header "rating,user,item,timestamp", got 3: "4,1,10"');
  });

  it('a duplicate pair is reported with the ids the header maps, not the positions', async () => {
    const err = await dataError(await csv('rating,user,item\n4.0,1,10\n3.0,1,10\n'));
    expect(err.message).toBe('ratings.csv line 3: user "1" rated item "10" again (first on line 2): "3.0,1,10" (keep one rating per (user, item))');
  });
});

describe('parseColumns (--columns)', () => {
  it('reads roles and - for a skipped column', () => {
    expect(parseColumns('rating, user ,item')).toEqual(['rating', 'user', 'item']);
    expect(parseColumns('user,item,-,rating,timestamp')).toEqual(['user', 'item', 'skip', 'rating', 'timestamp']);
    expect(parseColumns(undefined)).toBeUndefined();
  });

  it.each([
    ['user,item,stars', '--columns lists each column of the file in order as user, item, rating, timestamp or - (skip), got "stars" in "user,item,stars"'],
    ['user,item', '--columns "user,item": no rating column among user, item; expected a user column'],
    ['user,user,item,rating', '--columns "user,user,item,rating": both user and user are a user column'],
  ])('%s', (value, message) => {
    expect(() => parseColumns(value)).toThrow(UsageError);
    expect(() => parseColumns(value)).toThrow(message);
  });
});

describe('loadDataset passes --columns to the ratings CSV reader only', () => {
  it('reads a headerless rating,user,item file by auto-detection with columns', async () => {
    const ds = await loadDataset(await csv('4,1,10\n2,2,10\n', 'r.csv'), 'auto', { columns: ['rating', 'user', 'item'] });
    expect([ds.userIds, [...ds.ratings.rating]]).toEqual([['1', '2'], [4, 2]]);
  });

  it('refuses --columns for a reader whose columns are fixed', async () => {
    await expect(loadDataset(fixture('ml-100k-mini'), 'ml-100k', { columns: ['user', 'item', 'rating'] })).rejects.toThrow(
      /--columns applies to a ratings CSV \(--format ratings-csv\), but .*ml-100k-mini is read as ml-100k/,
    );
  });
});
