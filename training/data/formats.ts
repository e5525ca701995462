import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadTagsCsv, loadTagsJson } from './item-tags.js';
import { loadLinksNdjson } from './links-ndjson.js';
import { loadMovieLens100K } from './movielens100k.js';
import { loadMovieLensCsv } from './movielens-csv.js';
import { loadMovieLensDat } from './movielens-dat.js';
import { loadRatingsCsv, type RatingsCsvOptions } from './ratings-csv.js';
import { loadSteamCsv } from './steam-csv.js';
import type { ItemTagDataset, RatingsDataset } from './types.js';

export type Loaded =
  | { kind: 'ratings'; format: FormatName; dataset: RatingsDataset }
  | { kind: 'itemtag'; format: FormatName; dataset: ItemTagDataset };

interface Format {
  kind: Loaded['kind'];
  /** What `path` must be: a folder, a file, or either (folder formats also take their main file). */
  takes: 'dir' | 'file' | 'either';
  describe: string;
  load(path: string, opts?: ReadOptions): Promise<RatingsDataset | ItemTagDataset>;
}

/** Reader settings from the command line: `columns` (--columns) is read by ratings-csv only. */
export type ReadOptions = RatingsCsvOptions;

/** Every reader `--format` can name. */
export const FORMATS = {
  'ml-100k': { kind: 'ratings', takes: 'either', describe: 'MovieLens 100K folder (u.data, u.item, u.genre, u1..u5/ua/ub)', load: loadMovieLens100K },
  'ml-csv': { kind: 'ratings', takes: 'either', describe: 'MovieLens CSV folder (ratings.csv + movies.csv)', load: loadMovieLensCsv },
  'ml-dat': { kind: 'ratings', takes: 'either', describe: 'MovieLens :: folder (ratings.dat + movies.dat, ML-1M/10M)', load: loadMovieLensDat },
  'ratings-csv': { kind: 'ratings', takes: 'file', describe: 'ratings CSV, columns by header name (userId, movieId, rating, ...) or user,item,rating[,timestamp]', load: loadRatingsCsv },
  'tags-json': { kind: 'itemtag', takes: 'file', describe: 'item -> tags JSON {"item": ["tag", ...]}', load: loadTagsJson },
  'tags-csv': { kind: 'itemtag', takes: 'file', describe: 'item,tag CSV, one pair per line', load: loadTagsCsv },
  'steam-csv': { kind: 'itemtag', takes: 'file', describe: 'Steam store CSV (appid, name, ..., steamspy_tags)', load: loadSteamCsv },
  'links-ndjson': { kind: 'itemtag', takes: 'file', describe: 'NDJSON [title, {...}, [links...], ...] per line', load: loadLinksNdjson },
} as const satisfies Record<string, Format>;

export type FormatName = keyof typeof FORMATS;

export function isFormatName(name: string): name is FormatName {
  return Object.hasOwn(FORMATS, name);
}

/** One reader to try on one path (folder formats may point into a subfolder). */
export interface Candidate {
  format: FormatName;
  path: string;
}

export async function pathKind(path: string): Promise<'dir' | 'file' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The first line of a file (at most 64 KiB), to sniff a CSV header. */
async function firstLine(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    return text.split('\n')[0].replace(/\r$/, '');
  } finally {
    await fh.close();
  }
}

/** Commas outside double quotes + 1: the field count of a header or first record. */
function fieldCount(line: string): number {
  let n = 1;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) n++;
  }
  return n;
}

/** Folder formats found directly in `dir`. */
async function folderFormats(dir: string): Promise<Candidate[]> {
  const has = async (f: string) => (await pathKind(join(dir, f))) === 'file';
  const out: Candidate[] = [];
  if (await has('u.data')) out.push({ format: 'ml-100k', path: dir });
  if (await has('ratings.csv')) out.push({ format: 'ml-csv', path: dir });
  if (await has('ratings.dat')) out.push({ format: 'ml-dat', path: dir });
  return out;
}

/**
 * The readers that fit `path`, most likely first, from its shape alone (names, extensions, a CSV's header); empty
 * when nothing fits. A folder holding one ml-* MovieLens folder (what the downloads unpack to) is looked into.
 */
export async function detectCandidates(path: string, kind: 'dir' | 'file'): Promise<Candidate[]> {
  if (kind === 'dir') {
    const direct = await folderFormats(path);
    if (direct.length) return direct;
    const subs = (await readdir(path, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && e.name.startsWith('ml-'))
      .map((e) => e.name)
      .sort();
    const found: Candidate[] = [];
    for (const s of subs) found.push(...(await folderFormats(join(path, s))));
    return found;
  }
  const name = basename(path);
  const ext = extname(path).toLowerCase();
  if (name === 'u.data') return [{ format: 'ml-100k', path: dirname(path) }];
  if (ext === '.dat') return [{ format: 'ml-dat', path }];
  if (ext === '.json') return [{ format: 'tags-json', path }];
  if (ext === '.ndjson' || ext === '.jsonl') return [{ format: 'links-ndjson', path }];
  if (ext !== '.csv') return [];
  if (name === 'ratings.csv' && (await pathKind(join(dirname(path), 'movies.csv'))) === 'file') {
    return [{ format: 'ml-csv', path }, { format: 'ratings-csv', path }];
  }
  const header = await firstLine(path);
  const columns = header.toLowerCase().split(',').map((c) => c.trim());
  const order: FormatName[] = columns.includes('appid') && columns.includes('steamspy_tags')
    ? ['steam-csv']
    : fieldCount(header) === 2
      ? ['tags-csv', 'ratings-csv']
      : ['ratings-csv', 'tags-csv'];
  return order.map((format) => ({ format, path }));
}

/** Where a named format reads from (a folder holding one such folder is looked into), or why `path` cannot be it. */
export async function explicitCandidate(format: FormatName, path: string, kind: 'dir' | 'file'): Promise<Candidate> {
  const f: Format = FORMATS[format];
  if (f.takes === 'file' && kind === 'dir') {
    throw new Error(`--format ${format} reads a file (${f.describe}), but ${resolve(path)} is a folder`);
  }
  if (format === 'ml-100k' && kind === 'file') return { format, path: dirname(path) };
  if (kind === 'dir') {
    const inside = (await detectCandidates(path, 'dir')).filter((c) => c.format === format);
    if (inside.length === 1) return inside[0];
  }
  return { format, path };
}
