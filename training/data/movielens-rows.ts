import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { countLines, fingerprintParts, forEachLine, isBlank, latin1Text, parseNumber, parseUInt, ratingRange, trimRows } from './common.js';
import { DataError } from './errors.js';
import type { RatingsDataset } from './types.js';

/** Shared by the MovieLens CSV (ratings.csv) and `::` (ratings.dat) readers: byte-level rows, then id mapping. */

const MAX_ID = 0x7fff_ffff;

export interface RawRatingRows {
  n: number;
  user: Int32Array;
  item: Int32Array;
  rating: Float32Array;
  timestamp: Float64Array;
  lineNo: Int32Array;
}

/** One movie of movies.csv / movies.dat. */
export interface Movie {
  title: string;
  tags: string[];
}

/** Movies in file order, by numeric id. */
export type Catalogue = Map<number, Movie>;

export async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A MovieLens folder, or a ratings file in one (any name, with the movies file beside it). */
export async function movieLensPaths(path: string, ratingsName: string, moviesName: string): Promise<{ dir: string; ratingsFile: string; moviesFile: string }> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    // A missing path reads as a folder, so that the error names the ratings file it lacks.
  }
  const dir = isFile ? dirname(path) : path;
  return { dir, ratingsFile: isFile ? path : join(dir, ratingsName), moviesFile: join(dir, moviesName) };
}

/** Start offsets of the separator in [start, end): `,` or `::`. */
function separators(buf: Uint8Array, start: number, end: number, sep: ',' | '::', out: number[]): void {
  out.length = 0;
  const c = sep.charCodeAt(0);
  for (let i = start; i < end; i++) {
    if (buf[i] !== c) continue;
    if (sep === '::') {
      if (buf[i + 1] !== c || i + 1 >= end) continue;
      out.push(i);
      i++;
    } else out.push(i);
  }
}

/**
 * Parses `user SEP item SEP rating SEP timestamp` lines with integer ids. With `header` a first line whose user field
 * is not an integer is skipped (ratings.csv starts with `userId,movieId,rating,timestamp`).
 */
export function parseRatingRows(buf: Uint8Array, file: string, sep: ',' | '::', header: boolean): RawRatingRows {
  const cap = countLines(buf);
  const rows: RawRatingRows = {
    n: 0,
    user: new Int32Array(cap),
    item: new Int32Array(cap),
    rating: new Float32Array(cap),
    timestamp: new Float64Array(cap),
    lineNo: new Int32Array(cap),
  };
  const at: number[] = [];
  const w = sep.length;
  const names = `user${sep}item${sep}rating${sep}timestamp`;
  let first = true;
  forEachLine(buf, (start, end, line) => {
    if (isBlank(buf, start, end)) return;
    separators(buf, start, end, sep, at);
    const text = () => latin1Text(buf, start, end);
    if (at.length !== 3) {
      throw new DataError(file, line, text(), `expected 4 ${JSON.stringify(sep)}-separated fields (${names}), got ${at.length + 1}`);
    }
    const u = parseUInt(buf, start, at[0]);
    if (first && header && u < 0) {
      first = false;
      return;
    }
    first = false;
    const it = parseUInt(buf, at[0] + w, at[1]);
    if (u < 0 || u > MAX_ID) throw new DataError(file, line, text(), `user id ${JSON.stringify(latin1Text(buf, start, at[0]))} is not an integer from 0 to ${MAX_ID}`);
    if (it < 0 || it > MAX_ID) throw new DataError(file, line, text(), `item id ${JSON.stringify(latin1Text(buf, at[0] + w, at[1]))} is not an integer from 0 to ${MAX_ID}`);
    const r = parseNumber(buf, at[1] + w, at[2]);
    if (Number.isNaN(r)) throw new DataError(file, line, text(), `rating ${JSON.stringify(latin1Text(buf, at[1] + w, at[2]))} is not a finite number`);
    // MovieLens documents its scale: 0.5..5 stars in half-star steps (ML-1M uses whole stars, a subset).
    if (!(r >= 0.5 && r <= 5 && Number.isInteger(r * 2))) {
      throw new DataError(file, line, text(), `rating ${r} is outside MovieLens's 0.5..5 scale in half stars`, 'a generic ratings file with another scale reads with --format ratings-csv');
    }
    const ts = parseNumber(buf, at[2] + w, end);
    if (Number.isNaN(ts)) throw new DataError(file, line, text(), `timestamp ${JSON.stringify(latin1Text(buf, at[2] + w, end))} is not a number (expected unix seconds)`);
    const k = rows.n++;
    rows.user[k] = u;
    rows.item[k] = it;
    rows.rating[k] = r;
    rows.timestamp[k] = ts;
    rows.lineNo[k] = line;
  });
  return rows;
}

function lineText(buf: Uint8Array, lineNo: number): string {
  let found = '';
  forEachLine(buf, (start, end, line) => {
    if (line === lineNo) found = latin1Text(buf, start, end);
  });
  return found;
}

/**
 * Maps raw rows to a RatingsDataset. Users are indexed in ascending id. Items: the catalogue's movies that have
 * ratings, in catalogue order (as notebook 001 remaps only rated movies, so that no untrained vector is ever
 * served); without a catalogue, rated ids ascending with the id as title. A rating of a movie the catalogue lacks,
 * or a second rating of one (user, movie), is a DataError naming the line.
 */
export function assembleRatings(
  name: string,
  raw: RawRatingRows,
  ratingsFile: string,
  ratingsBuf: Uint8Array,
  catalogue: { file: string; movies: Catalogue } | undefined,
  fingerprint: string,
): RatingsDataset {
  if (raw.n === 0) throw new DataError(ratingsFile, undefined, undefined, 'has no ratings', 'expected lines of user, item, rating, timestamp');
  const rated = new Set(raw.item.subarray(0, raw.n));
  const itemIdOrder: number[] = [];
  if (catalogue) {
    for (let r = 0; r < raw.n; r++) {
      if (!catalogue.movies.has(raw.item[r])) {
        throw new DataError(ratingsFile, raw.lineNo[r], lineText(ratingsBuf, raw.lineNo[r]),
          `movie ${raw.item[r]} is not listed in ${catalogue.file.split(/[\\/]/).pop()}`, 'add it there or remove its ratings');
      }
    }
    for (const id of catalogue.movies.keys()) if (rated.has(id)) itemIdOrder.push(id);
  } else {
    for (const id of [...rated].sort((a, b) => a - b)) itemIdOrder.push(id);
  }
  const itemIndex = new Map(itemIdOrder.map((id, i) => [id, i]));
  const userIds = [...new Set(raw.user.subarray(0, raw.n))].sort((a, b) => a - b);
  const userIndex = new Map(userIds.map((id, i) => [id, i]));
  const nItems = itemIdOrder.length;
  const user = new Int32Array(raw.n);
  const item = new Int32Array(raw.n);
  // Keys sorted in a typed array rather than a Map: a Map holds at most 2^24 entries and ML-25M has 25M ratings.
  const keys = new Float64Array(raw.n);
  for (let r = 0; r < raw.n; r++) {
    user[r] = userIndex.get(raw.user[r])!;
    item[r] = itemIndex.get(raw.item[r])!;
    keys[r] = user[r] * nItems + item[r];
  }
  const sorted = keys.slice().sort();
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k] !== sorted[k - 1]) continue;
    const first = keys.indexOf(sorted[k]);
    const again = keys.indexOf(sorted[k], first + 1);
    throw new DataError(ratingsFile, raw.lineNo[again], lineText(ratingsBuf, raw.lineNo[again]),
      `user ${raw.user[again]} rated movie ${raw.item[again]} again (first on line ${raw.lineNo[first]})`, 'keep one rating per (user, movie)');
  }
  const rating = trimRows(raw.rating, raw.n);
  return {
    name,
    userIds: userIds.map(String),
    itemIds: itemIdOrder.map(String),
    itemMeta: itemIdOrder.map((id) => {
      const m = catalogue?.movies.get(id);
      return m ? { title: m.title, tags: m.tags } : { title: String(id), tags: [] };
    }),
    ratings: { user, item, rating, timestamp: trimRows(raw.timestamp, raw.n) },
    ratingRange: ratingRange(rating),
    fingerprint,
  };
}

/** MovieLens genres: `Comedy|Drama`; "(no genres listed)" means none. */
export function splitGenres(field: string): string[] {
  const s = field.trim();
  if (s === '' || s === '(no genres listed)') return [];
  return [...new Set(s.split('|').map((g) => g.trim()).filter((g) => g !== ''))];
}

export { MAX_ID };

/** How one MovieLens flavour lays out its two files. */
export interface MovieLensLayout {
  files: { ratings: string; movies: string };
  sep: ',' | '::';
  header: boolean;
  parseMovies(bytes: Uint8Array, file: string): Catalogue;
  /** What to say when the ratings file is missing. */
  expected: string;
}

/** Reads a MovieLens folder (or its ratings file): ratings rows, the optional catalogue, one fingerprint over both. */
export async function loadMovieLensLayout(path: string, layout: MovieLensLayout): Promise<RatingsDataset> {
  const { dir, ratingsFile, moviesFile } = await movieLensPaths(path, layout.files.ratings, layout.files.movies);
  const [ratingsBuf, moviesBuf] = await Promise.all([readIfPresent(ratingsFile), readIfPresent(moviesFile)]);
  if (!ratingsBuf) throw new DataError(ratingsFile, undefined, undefined, `not found in ${resolve(dir)}`, layout.expected);
  const movies = moviesBuf ? layout.parseMovies(moviesBuf, moviesFile) : undefined;
  const raw = parseRatingRows(ratingsBuf, ratingsFile, layout.sep, layout.header);
  return assembleRatings(
    basename(resolve(dir)),
    raw,
    ratingsFile,
    ratingsBuf,
    movies && { file: moviesFile, movies },
    fingerprintParts([
      { name: layout.files.ratings, bytes: ratingsBuf },
      ...(moviesBuf ? [{ name: layout.files.movies, bytes: moviesBuf }] : []),
    ]),
  );
}
