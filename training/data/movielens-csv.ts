import { columnIndex, csvRecords } from './csv-fields.js';
import { DataError } from './errors.js';
import { loadMovieLensLayout, MAX_ID, splitGenres, type Catalogue } from './movielens-rows.js';
import type { RatingsDataset } from './types.js';

export const ML_CSV_FILES = { ratings: 'ratings.csv', movies: 'movies.csv' } as const;

/** movies.csv: header `movieId,title,genres`, RFC 4180 quoting (titles with commas are quoted), `|`-separated genres. */
export function parseMoviesCsv(text: string, file: string): Catalogue {
  const records = csvRecords(text, file);
  const head = records.next();
  if (head.done) throw new DataError(file, undefined, undefined, 'is empty', 'expected a header movieId,title,genres and one movie per line');
  const col = columnIndex(head.value.fields);
  const [cId, cTitle, cGenres] = ['movieid', 'title', 'genres'].map((c) => col.get(c));
  if (cId === undefined || cTitle === undefined) {
    throw new DataError(file, head.value.line, head.value.text, 'the header lacks movieId or title', 'expected a header movieId,title,genres');
  }
  const movies: Catalogue = new Map();
  const lineOf = new Map<number, number>();
  for (const rec of records) {
    const f = rec.fields;
    if (f.length !== head.value.fields.length) {
      throw new DataError(file, rec.line, rec.text, `expected ${head.value.fields.length} comma-separated fields like the header, got ${f.length}`,
        'a title holding a comma must be in double quotes');
    }
    const idText = f[cId].trim();
    const id = /^\d+$/.test(idText) ? Number(idText) : -1;
    if (id < 0 || id > MAX_ID) throw new DataError(file, rec.line, rec.text, `movieId ${JSON.stringify(f[cId])} is not an integer from 0 to ${MAX_ID}`);
    const first = lineOf.get(id);
    if (first !== undefined) throw new DataError(file, rec.line, rec.text, `movieId ${id} appears again (first on line ${first})`);
    lineOf.set(id, rec.line);
    movies.set(id, { title: f[cTitle].trim() || idText, tags: cGenres === undefined ? [] : splitGenres(f[cGenres]) });
  }
  return movies;
}

/**
 * Loads a MovieLens CSV folder (ml-latest, ml-latest-small, ml-20m, ml-25m): ratings.csv (`userId,movieId,rating,
 * timestamp` with its header) and, when present, movies.csv for titles and genres (tags). `path` is the folder or a
 * ratings file in it (any name; movies.csv beside it). Users are indexed in ascending id, items are the rated movies in movies.csv order; ratings keep file
 * order. The fingerprint covers both files.
 */
export function loadMovieLensCsv(path: string): Promise<RatingsDataset> {
  return loadMovieLensLayout(path, {
    files: ML_CSV_FILES,
    sep: ',',
    header: true,
    parseMovies: (bytes, file) => parseMoviesCsv(Buffer.from(bytes).toString('utf8'), file),
    expected: 'expected a MovieLens CSV folder with ratings.csv and movies.csv',
  });
}
