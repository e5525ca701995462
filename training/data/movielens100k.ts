import { basename, join, resolve } from 'node:path';
import { countLines, fingerprintParts, forEachLine, isBlank, latin1Text, parseNumber, parseUInt, ratingRange, trimRows } from './common.js';
import { DataError } from './errors.js';
import { readIfPresent, type RawRatingRows } from './movielens-rows.js';
import type { RatingsDataset } from './types.js';

/** Official split prefixes of ml-100k: 5-fold u1..u5 and the 10-ratings-per-user ua/ub. */
export const ML100K_SPLIT_NAMES = ['u1', 'u2', 'u3', 'u4', 'u5', 'ua', 'ub'] as const;

/** Column layout of u.item before the genre flags. */
const ITEM_FIXED_FIELDS = 5;
/** The ml-100k README: "5-star scale (whole-star ratings only)". */
const RATING_MIN = 1;
const RATING_MAX = 5;
const MAX_ID = 0x7fff_ffff;


/** Parses `user \t item \t rating \t timestamp` lines (u.data and the uN.base/uN.test split files). */
function parseRatingLines(buf: Uint8Array, file: string): RawRatingRows {
  const cap = countLines(buf);
  const user = new Int32Array(cap);
  const item = new Int32Array(cap);
  const rating = new Float32Array(cap);
  const timestamp = new Float64Array(cap);
  const lineNo = new Int32Array(cap);
  let n = 0;
  forEachLine(buf, (start, end, line) => {
    if (isBlank(buf, start, end)) return;
    const t1 = buf.indexOf(9, start);
    const t2 = t1 >= 0 && t1 < end ? buf.indexOf(9, t1 + 1) : -1;
    const t3 = t2 >= 0 && t2 < end ? buf.indexOf(9, t2 + 1) : -1;
    const extra = t3 >= 0 && t3 < end ? buf.indexOf(9, t3 + 1) : -1;
    if (t3 < 0 || t3 >= end || (extra >= 0 && extra < end)) {
      let fields = 1;
      for (let i = start; i < end; i++) if (buf[i] === 9) fields++;
      throw new DataError(file, line, latin1Text(buf, start, end),
        `expected 4 tab-separated fields (user, item, rating, timestamp), got ${fields}`);
    }
    const u = parseUInt(buf, start, t1);
    const it = parseUInt(buf, t1 + 1, t2);
    if (u < 0 || u > MAX_ID || it < 0 || it > MAX_ID) {
      const which = u < 0 || u > MAX_ID ? `user id ${JSON.stringify(latin1Text(buf, start, t1))}` : `item id ${JSON.stringify(latin1Text(buf, t1 + 1, t2))}`;
      throw new DataError(file, line, latin1Text(buf, start, end), `${which} is not an integer from 0 to ${MAX_ID}`);
    }
    const r = parseNumber(buf, t2 + 1, t3);
    if (Number.isNaN(r)) {
      throw new DataError(file, line, latin1Text(buf, start, end),
        `rating ${JSON.stringify(latin1Text(buf, t2 + 1, t3))} is not a finite number`);
    }
    // A rating off the documented scale is a corrupt or foreign file; training on it would skew every prediction.
    // Plain digits only: Number() would also take "0x4" or "4e0".
    const star = parseUInt(buf, t2 + 1, t3);
    if (star < RATING_MIN || star > RATING_MAX) {
      throw new DataError(file, line, latin1Text(buf, start, end),
        `rating ${JSON.stringify(latin1Text(buf, t2 + 1, t3))} is not one of ${RATING_MIN}..${RATING_MAX} (MovieLens 100K rates in whole stars)`,
        'for other scales use a user,item,rating CSV');
    }
    const ts = parseNumber(buf, t3 + 1, end);
    if (Number.isNaN(ts)) {
      throw new DataError(file, line, latin1Text(buf, start, end),
        `timestamp ${JSON.stringify(latin1Text(buf, t3 + 1, end))} is not a number (expected unix seconds)`);
    }
    user[n] = u;
    item[n] = it;
    rating[n] = r;
    timestamp[n] = ts;
    lineNo[n] = line;
    n++;
  });
  return { n, user, item, rating, timestamp, lineNo };
}

/** Text of 1-based line `lineNo`, for error messages about rows that parsed but do not fit. */
function lineText(buf: Uint8Array, lineNo: number): string {
  let found = '';
  forEachLine(buf, (start, end, line) => {
    if (line === lineNo) found = latin1Text(buf, start, end);
  });
  return found;
}

/** u.genre: `name|index` lines, then a blank line. Returns names by index. */
function parseGenres(text: string, file: string): string[] {
  const names: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const bar = line.lastIndexOf('|');
    const index = bar > 0 ? line.slice(bar + 1).trim() : '';
    if (!/^\d+$/.test(index)) throw new DataError(file, i + 1, line, 'expected "name|index" with an integer index');
    if (names[Number(index)] !== undefined) throw new DataError(file, i + 1, line, `genre index ${index} is used twice`);
    names[Number(index)] = line.slice(0, bar);
  }
  for (let g = 0; g < names.length; g++) {
    if (names[g] === undefined) throw new DataError(file, undefined, undefined, `genre indices must run 0..${names.length - 1}, but ${g} is missing`);
  }
  return names;
}

interface Catalogue {
  ids: string[];
  index: Map<number, number>;
  meta: { title: string; tags: string[] }[];
}

/** u.item: `id|title|release date|video release date|IMDb URL|` then one 0/1 flag per u.genre entry. */
function parseItems(text: string, file: string, genres: string[]): Catalogue {
  const expected = ITEM_FIXED_FIELDS + genres.length;
  const ids: string[] = [];
  const index = new Map<number, number>();
  const meta: Catalogue['meta'] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const fields = line.split('|');
    if (fields.length !== expected) {
      throw new DataError(file, i + 1, line,
        `expected ${expected} |-separated fields (id, title, release date, video release date, IMDb URL, then ${genres.length} genre flags in u.genre order), got ${fields.length}`,
        fields.length > expected ? 'a "|" inside a title must be removed' : undefined);
    }
    const id = fields[0].trim();
    if (!/^\d+$/.test(id) || Number(id) > MAX_ID) throw new DataError(file, i + 1, line, `item id ${JSON.stringify(id)} is not an integer from 0 to ${MAX_ID}`);
    if (index.has(Number(id))) throw new DataError(file, i + 1, line, `item id ${id} appears twice`);
    const tags: string[] = [];
    for (let g = 0; g < genres.length; g++) {
      const flag = fields[ITEM_FIXED_FIELDS + g].trim();
      if (flag === '1') tags.push(genres[g]);
      else if (flag !== '0') throw new DataError(file, i + 1, line, `genre flag for ${genres[g]} is ${JSON.stringify(flag)}, expected 0 or 1`);
    }
    index.set(Number(id), ids.length);
    ids.push(id);
    // Three titles in ml-100k carry a trailing space.
    meta.push({ title: fields[1].trim() || id, tags });
  }
  return { ids, index, meta };
}

/**
 * Loads a MovieLens 100K folder: ratings from u.data, titles and genres from u.item + u.genre (optional together;
 * without them titles are the ids), and the official splits whose .base and .test files are both present.
 * Users are indexed in ascending numeric id, items in u.item order (ascending id when u.item is absent);
 * `ratings` keeps u.data's row order. The fingerprint covers u.data, u.item and u.genre.
 */
export async function loadMovieLens100K(dir: string): Promise<RatingsDataset> {
  const dataFile = join(dir, 'u.data');
  const itemFile = join(dir, 'u.item');
  const genreFile = join(dir, 'u.genre');
  const [dataBuf, itemBuf, genreBuf] = await Promise.all([readIfPresent(dataFile), readIfPresent(itemFile), readIfPresent(genreFile)]);
  if (!dataBuf) throw new DataError(dataFile, undefined, undefined, `not found in ${resolve(dir)}`, 'expected a MovieLens 100K folder with u.data');
  if (itemBuf && !genreBuf) throw new DataError(genreFile, undefined, undefined, 'not found beside u.item', 'u.item genre flags need u.genre for their names');

  const genres = genreBuf ? parseGenres(latin1Text(genreBuf, 0, genreBuf.length), genreFile) : [];
  const catalogue = itemBuf ? parseItems(latin1Text(itemBuf, 0, itemBuf.length), itemFile, genres) : undefined;
  const raw = parseRatingLines(dataBuf, dataFile);
  if (raw.n === 0) throw new DataError(dataFile, undefined, undefined, 'has no ratings', 'expected lines of user\\titem\\trating\\ttimestamp');

  const userIndex = new Map<number, number>();
  for (const u of [...new Set(raw.user.subarray(0, raw.n))].sort((a, b) => a - b)) userIndex.set(u, userIndex.size);
  const itemIndex = catalogue?.index ?? new Map<number, number>();
  if (!catalogue) for (const it of [...new Set(raw.item.subarray(0, raw.n))].sort((a, b) => a - b)) itemIndex.set(it, itemIndex.size);
  const nItems = itemIndex.size;

  const user = new Int32Array(raw.n);
  const item = new Int32Array(raw.n);
  // (user, item) -> row; the split files name rows by this pair.
  const rowOf = new Map<number, number>();
  for (let r = 0; r < raw.n; r++) {
    const i = itemIndex.get(raw.item[r]);
    if (i === undefined) {
      throw new DataError(dataFile, raw.lineNo[r], lineText(dataBuf, raw.lineNo[r]), `item ${raw.item[r]} is not listed in u.item`,
        'add it to u.item or remove its ratings');
    }
    const u = userIndex.get(raw.user[r])!;
    user[r] = u;
    item[r] = i;
    const key = u * nItems + i;
    const first = rowOf.get(key);
    if (first !== undefined) {
      throw new DataError(dataFile, raw.lineNo[r], lineText(dataBuf, raw.lineNo[r]),
        `user ${raw.user[r]} rated item ${raw.item[r]} again (first on line ${raw.lineNo[first]})`, 'keep one rating per (user, item)');
    }
    rowOf.set(key, r);
  }

  const rating = trimRows(raw.rating, raw.n);
  const ds: RatingsDataset = {
    name: basename(resolve(dir)),
    userIds: [...userIndex.keys()].map(String),
    itemIds: catalogue ? catalogue.ids : [...itemIndex.keys()].map(String),
    itemMeta: catalogue ? catalogue.meta : [...itemIndex.keys()].map((id) => ({ title: String(id), tags: [] })),
    ratings: { user, item, rating, timestamp: trimRows(raw.timestamp, raw.n) },
    ratingRange: ratingRange(rating),
    fingerprint: fingerprintParts([
      { name: 'u.data', bytes: dataBuf },
      ...(itemBuf ? [{ name: 'u.item', bytes: itemBuf }] : []),
      ...(genreBuf ? [{ name: 'u.genre', bytes: genreBuf }] : []),
    ]),
  };

  const splits = await loadOfficialSplits(dir, ds, userIndex, itemIndex, rowOf);
  if (Object.keys(splits).length > 0) ds.officialSplits = splits;
  return ds;
}

async function loadOfficialSplits(
  dir: string,
  ds: RatingsDataset,
  userIndex: Map<number, number>,
  itemIndex: Map<number, number>,
  rowOf: Map<number, number>,
): Promise<Record<string, { train: Int32Array; test: Int32Array }>> {
  const files = await Promise.all(
    ML100K_SPLIT_NAMES.map(async (name) => {
      const baseFile = join(dir, `${name}.base`);
      const testFile = join(dir, `${name}.test`);
      const [base, test] = await Promise.all([readIfPresent(baseFile), readIfPresent(testFile)]);
      return { name, baseFile, testFile, base, test };
    }),
  );
  const splits: Record<string, { train: Int32Array; test: Int32Array }> = {};
  const n = ds.ratings.rating.length;
  for (const { name, baseFile, testFile, base, test } of files) {
    if (!base && !test) continue;
    if (!base || !test) {
      const [missing, present] = base ? [testFile, baseFile] : [baseFile, testFile];
      throw new DataError(missing, undefined, undefined, `not found, but ${basename(present)} is`, 'restore both files of the split or remove both');
    }
    // 1 = train, 2 = test: catches a row listed twice or in both halves.
    const mark = new Uint8Array(n);
    const train = mapSplitRows(base, baseFile, 1, mark, ds, userIndex, itemIndex, rowOf);
    const testRows = mapSplitRows(test, testFile, 2, mark, ds, userIndex, itemIndex, rowOf);
    splits[name] = { train, test: testRows };
  }
  return splits;
}

function mapSplitRows(
  buf: Buffer,
  file: string,
  tag: number,
  mark: Uint8Array,
  ds: RatingsDataset,
  userIndex: Map<number, number>,
  itemIndex: Map<number, number>,
  rowOf: Map<number, number>,
): Int32Array {
  const raw = parseRatingLines(buf, file);
  const rows = new Int32Array(raw.n);
  const nItems = itemIndex.size;
  for (let k = 0; k < raw.n; k++) {
    const u = userIndex.get(raw.user[k]);
    const i = itemIndex.get(raw.item[k]);
    const row = u === undefined || i === undefined ? undefined : rowOf.get(u * nItems + i);
    let problem: string | undefined;
    if (row === undefined) problem = `user ${raw.user[k]} never rated item ${raw.item[k]} in u.data`;
    else if (ds.ratings.rating[row] !== raw.rating[k]) problem = `rating ${raw.rating[k]} differs from u.data's ${ds.ratings.rating[row]}`;
    else if (mark[row] === tag) problem = `user ${raw.user[k]}, item ${raw.item[k]} is listed twice`;
    else if (mark[row] !== 0) problem = `user ${raw.user[k]}, item ${raw.item[k]} is in both the .base and the .test file`;
    if (problem !== undefined || row === undefined) {
      throw new DataError(file, raw.lineNo[k], lineText(buf, raw.lineNo[k]), problem!, 'split files must hold exactly the lines of u.data');
    }
    const r = row;
    mark[r] = tag;
    rows[k] = r;
  }
  return rows.sort();
}
