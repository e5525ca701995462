import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadMovieLens100K } from './movielens100k.js';
import { loadRatingsCsv } from './ratings-csv.js';
import type { RatingsDataset } from './types.js';

const EXPECTED =
  'expected a MovieLens 100K folder (with u.data, optionally u.item, u.genre and the u1..u5/ua/ub splits), ' +
  'a folder holding such an ml-100k folder, or a .csv file of user,item,rating[,timestamp]';

async function kind(path: string): Promise<'dir' | 'file' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Loads ratings from `path`: a folder with u.data (MovieLens 100K), a folder whose ml-100k/ subfolder has one (what
 * the download command leaves), u.data itself, or a .csv file (generic user,item,rating[,timestamp]).
 */
export async function loadDataset(path: string): Promise<RatingsDataset> {
  const k = await kind(path);
  if (k === undefined) throw new Error(`${resolve(path)} does not exist; ${EXPECTED}`);
  if (k === 'file') {
    if (basename(path) === 'u.data') return loadMovieLens100K(dirname(path));
    if (extname(path).toLowerCase() === '.csv') return loadRatingsCsv(path);
    throw new Error(`${resolve(path)} is neither u.data nor a .csv file; ${EXPECTED}`);
  }
  if ((await kind(join(path, 'u.data'))) === 'file') return loadMovieLens100K(path);
  if ((await kind(join(path, 'ml-100k', 'u.data'))) === 'file') return loadMovieLens100K(join(path, 'ml-100k'));
  throw new Error(`${resolve(path)} has no u.data (looked in it and in its ml-100k/ subfolder); ${EXPECTED}`);
}
