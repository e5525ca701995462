import { relative, resolve } from 'node:path';
import { DataError } from './errors.js';
import { detectCandidates, explicitCandidate, FORMATS, isFormatName, pathKind, type Candidate, type Loaded, type ReadOptions } from './formats.js';
import { joinTrainTest } from './train-test.js';
import type { RatingsDataset } from './types.js';

export type { Loaded } from './formats.js';
export { FORMATS, type FormatName, type ReadOptions } from './formats.js';

const EXPECTED =
  'expected a MovieLens 100K folder (with u.data, optionally u.item, u.genre and the u1..u5/ua/ub splits), ' +
  'a folder holding such an ml-100k folder, a MovieLens folder with ratings.csv + movies.csv or ratings.dat + movies.dat, ' +
  'or a .csv file of user,item,rating[,timestamp]';
const EXPECTED_TAGS =
  'item-tag data (for --model itemtag) is a .json {"item": ["tag", ...]}, an item,tag .csv, a Steam store .csv, or a links .ndjson';

type Kind = Loaded['kind'];

function formatList(kind?: Kind): string {
  return Object.keys(FORMATS).filter((f) => !kind || FORMATS[f as keyof typeof FORMATS].kind === kind).join(', ');
}

async function readCandidate(c: Candidate, opts: ReadOptions): Promise<Loaded> {
  const f = FORMATS[c.format];
  if (opts.columns && c.format !== 'ratings-csv') {
    throw new Error(`--columns applies to a ratings CSV (--format ratings-csv), but ${resolve(c.path)} is read as ${c.format} (${f.describe}), whose columns are fixed; drop --columns or pass --format ratings-csv`);
  }
  const dataset = await f.load(c.path, opts);
  return { kind: f.kind, format: c.format, dataset } as Loaded;
}

/**
 * Loads `path` with the named reader, or with `auto` by trying the readers that fit its shape (folder contents,
 * file name and extension, a CSV header) most likely first. With one fitting reader its error is passed on as is;
 * with several, a failure names each reader tried and why it failed. `kind` restricts auto to ratings or item-tag
 * readers.
 */
export async function loadAny(path: string, format = 'auto', kind?: Kind, opts: ReadOptions = {}): Promise<Loaded> {
  const k = await pathKind(path);
  const expected = kind === 'itemtag' ? EXPECTED_TAGS : kind === 'ratings' ? EXPECTED : `${EXPECTED}; ${EXPECTED_TAGS}`;
  if (k === undefined) throw new Error(`${resolve(path)} does not exist; ${expected}`);
  if (format !== 'auto') {
    if (!isFormatName(format)) throw new Error(`--format ${JSON.stringify(format)} is not a reader; choose auto or one of ${formatList()}`);
    if (kind && FORMATS[format].kind !== kind) {
      throw new Error(`--format ${format} reads ${FORMATS[format].kind === 'itemtag' ? 'item-tag pairs' : 'ratings'}, but this model needs ${kind === 'itemtag' ? 'item-tag pairs' : 'ratings'} (${formatList(kind)})`);
    }
    return readCandidate(await explicitCandidate(format, path, k), opts);
  }
  const fitting = await detectCandidates(path, k);
  // --columns is a ratings CSV's: a ratings.csv beside movies.csv is then read as the generic CSV.
  const candidates = fitting.filter((c) => (!kind || FORMATS[c.format].kind === kind) && (!opts.columns || c.format === 'ratings-csv' || !fitting.some((o) => o.format === 'ratings-csv')));
  if (candidates.length === 0 && fitting.length > 0) {
    const other = FORMATS[fitting[0].format].kind;
    throw new Error(
      `${resolve(path)} looks like ${other === 'itemtag' ? 'item-tag data' : 'ratings'} (${fitting.map((c) => c.format).join(' or ')}), ` +
        `but this model needs ${kind === 'itemtag' ? 'item-tag pairs' : 'ratings'}: ${kind === 'ratings' ? 'train --model itemtag on it' : expected}`,
    );
  }
  if (candidates.length === 0) {
    const what = k === 'dir'
      ? `${resolve(path)} has no u.data (looked in it and in its ml-100k/ subfolder); `
      : `${resolve(path)} is neither u.data nor a .csv file (nor .dat, .json or .ndjson); `;
    throw new Error(`${what}${expected}; or name a reader with --format (${formatList(kind)})`);
  }
  const dirs = new Set(candidates.map((c) => c.path));
  if (k === 'dir' && dirs.size > 1) {
    const names = [...dirs].map((d) => relative(path, d) || '.');
    throw new Error(`${resolve(path)} holds several MovieLens folders (${names.join(', ')}): pass the one to read`);
  }
  if (candidates.length === 1) return readCandidate(candidates[0], opts);
  const failures: string[] = [];
  for (const c of candidates) {
    try {
      return await readCandidate(c, opts);
    } catch (e) {
      if ((e as Error).name !== 'DataError') throw e;
      failures.push(`as ${c.format}: ${(e as Error).message}`);
    }
  }
  throw new DataError(path, undefined, undefined,
    `could not be read by any reader that fits it; tried ${failures.join('; ')}`,
    `pass --format <name> to read it with one reader and see only that error`);
}

/**
 * Loads ratings from `path`: a MovieLens 100K folder (or a folder whose ml-100k/ subfolder has one, or u.data
 * itself), a MovieLens CSV or `::` folder, or a generic user,item,rating[,timestamp] CSV; `format` names the
 * reader or is `auto`. With `test`, `path` holds the training ratings and `test` the held-out ones, each read alone
 * and joined (joinTrainTest): split "files" is the pair.
 */
export async function loadDataset(path: string, format = 'auto', opts: ReadOptions & { test?: string } = {}): Promise<RatingsDataset> {
  const { test, ...read } = opts;
  const loaded = await loadAny(path, format, 'ratings', read);
  if (test === undefined) return loaded.dataset as RatingsDataset;
  const held = await loadAny(test, format, 'ratings', read);
  return joinTrainTest({ path, dataset: loaded.dataset as RatingsDataset }, { path: test, dataset: held.dataset as RatingsDataset });
}
