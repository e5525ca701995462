import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './worker.js';

/**
 * Where the real-data tests find their datasets (never in the repo: their licences forbid redistribution). The first
 * folder that has the dataset wins: $EDGEREC_DATA, then ../shared/data beside the repo (CI), then data/ inside it
 * (where `npm run download-ml100k` unpacks MovieLens 100K). A test whose dataset is in none of them is skipped.
 */
export const DATA_DIRS = [process.env.EDGEREC_DATA, path.resolve(REPO_ROOT, '../shared/data'), path.resolve(REPO_ROOT, 'data')].filter(
  (d): d is string => Boolean(d),
);

function find(relative: string): string {
  const hit = DATA_DIRS.map((d) => path.resolve(d, relative)).find((p) => existsSync(p));
  return hit ?? path.resolve(DATA_DIRS[DATA_DIRS.length - 1], relative);
}

/** The MovieLens 100K folder (u.data, u.item, u1..u5). */
export const ML100K = find('ml-100k');
/** The Steam store games table (appid, name, ..., steamspy_tags). */
export const STEAM_CSV = find('steam-store-games-partial/steam.csv');
