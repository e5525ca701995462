import { DataError } from './errors.js';
import { loadMovieLensLayout, MAX_ID, splitGenres, type Catalogue } from './movielens-rows.js';
import type { RatingsDataset } from './types.js';

export const ML_DAT_FILES = { ratings: 'ratings.dat', movies: 'movies.dat' } as const;

/**
 * ML-1M writes movies.dat in latin-1, ML-10M in UTF-8: text that is valid UTF-8 is read as UTF-8, anything else as
 * latin-1 (a latin-1 title with accents is almost never valid UTF-8 by accident).
 */
export function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

/** movies.dat: `MovieID::Title::Genres` with `|`-separated genres. */
export function parseMoviesDat(text: string, file: string): Catalogue {
  const movies: Catalogue = new Map();
  const lineOf = new Map<number, number>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    if (line.trim() === '') continue;
    // Split at the first and last "::" so that a title holding "::" survives.
    const a = line.indexOf('::');
    const b = line.lastIndexOf('::');
    if (a < 0 || b === a) {
      throw new DataError(file, n + 1, line, `expected 3 "::"-separated fields (MovieID, Title, Genres), got ${a < 0 ? 1 : 2}`);
    }
    const idText = line.slice(0, a).trim();
    const id = /^\d+$/.test(idText) ? Number(idText) : -1;
    if (id < 0 || id > MAX_ID) throw new DataError(file, n + 1, line, `MovieID ${JSON.stringify(idText)} is not an integer from 0 to ${MAX_ID}`);
    const first = lineOf.get(id);
    if (first !== undefined) throw new DataError(file, n + 1, line, `MovieID ${id} appears again (first on line ${first})`);
    lineOf.set(id, n + 1);
    movies.set(id, { title: line.slice(a + 2, b).trim() || idText, tags: splitGenres(line.slice(b + 2)) });
  }
  return movies;
}

/**
 * Loads a MovieLens `::` folder (ML-1M, ML-10M): ratings.dat (`UserID::MovieID::Rating::Timestamp`) and, when
 * present, movies.dat for titles and genres. `path` is the folder or a ratings file in it (any name;
 * movies.dat beside it). Users are indexed in ascending
 * id, items are the rated movies in movies.dat order. The fingerprint covers both files.
 */
export function loadMovieLensDat(path: string): Promise<RatingsDataset> {
  return loadMovieLensLayout(path, {
    files: ML_DAT_FILES,
    sep: '::',
    header: false,
    parseMovies: (bytes, file) => parseMoviesDat(decodeUtf8OrLatin1(bytes), file),
    expected: 'expected a MovieLens folder with ratings.dat and movies.dat (ML-1M, ML-10M)',
  });
}
