import { basename } from 'node:path';
import { fingerprintParts } from '../data/common.js';
import { DataError } from '../data/errors.js';
import type { RatingsDataset } from '../data/types.js';
import type { ImportedFactors } from './tables.js';

/** Titles and tags by item id, from `--items` (any item format train reads). */
export type ItemCatalogue = Map<string, { title: string; tags: string[] }>;

/**
 * The imported model's ids as a RatingsDataset, so that the artifact builder, the seen lists and the evaluation of
 * `train` apply unchanged: users and items in the source's row order, titles and tags from `--items` (else the
 * source's own metadata, else the id), and the `--ratings` rows mapped onto those ids (row order kept, so official
 * splits still index them). A rating of a user or item the model has no vector for is an error (the model cannot
 * score it, and dropping it quietly would change the figures) unless `dropUnknown` (--drop-unknown): then those rows
 * are left out, of the official splits too (Spark's coldStartStrategy "drop" does the same to its own evaluation).
 */
export function importedDataset(f: ImportedFactors, catalogue: ItemCatalogue | undefined, ratings: RatingsDataset | undefined, dropUnknown = false): RatingsDataset {
  const userIds = f.users?.ids ?? [];
  const itemIds = f.items.ids;
  const itemMeta = itemIds.map((id, i) => {
    const c = catalogue?.get(id);
    const own = f.itemMeta?.[i];
    return { title: c?.title ?? own?.title ?? id, tags: c?.tags ?? own?.tags ?? [] };
  });
  if (!ratings) {
    const parts = [{ name: 'items', bytes: new Uint8Array(f.items.values.buffer) }, { name: 'item_ids', bytes: new TextEncoder().encode(itemIds.join('\n')) }];
    if (f.users) parts.push({ name: 'users', bytes: new Uint8Array(f.users.values.buffer) }, { name: 'user_ids', bytes: new TextEncoder().encode(userIds.join('\n')) });
    return {
      name: basename(f.files[0]),
      userIds,
      itemIds,
      itemMeta,
      ratings: { user: new Int32Array(0), item: new Int32Array(0), rating: new Float32Array(0) },
      ratingRange: [0, 0],
      fingerprint: fingerprintParts(parts),
    };
  }
  const userIndex = new Map(userIds.map((id, i) => [id, i]));
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const n = ratings.ratings.rating.length;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const missing = { users: new Set<string>(), items: new Set<string>(), rows: 0 };
  for (let r = 0; r < n; r++) {
    const u = userIndex.get(ratings.userIds[ratings.ratings.user[r]]);
    const i = itemIndex.get(ratings.itemIds[ratings.ratings.item[r]]);
    if (u === undefined) missing.users.add(ratings.userIds[ratings.ratings.user[r]]);
    if (i === undefined) missing.items.add(ratings.itemIds[ratings.ratings.item[r]]);
    if (u === undefined || i === undefined) missing.rows++;
    user[r] = u ?? -1;
    item[r] = i ?? -1;
  }
  if (missing.rows && !dropUnknown) {
    const first = (s: Set<string>, what: string) => (s.size ? `${s.size} ${what}${s.size > 1 ? 's' : ''} it has no vector for (first: ${JSON.stringify([...s][0])})` : '');
    throw new DataError(ratings.name, undefined, undefined,
      `has ${missing.rows} ratings the imported model cannot score: ${[first(missing.users, 'user'), first(missing.items, 'item')].filter(Boolean).join(' and ')}`,
      `--ratings must be the data the vectors were trained on (the same user and item ids as ${basename(f.files[0])}), or pass --drop-unknown to leave those ratings out`);
  }
  if (missing.rows) return dropRows(ratings, userIds, itemIds, itemMeta, user, item);
  return { ...ratings, name: ratings.name, userIds, itemIds, itemMeta, ratings: { ...ratings.ratings, user, item } };
}

/** The rows whose user and item both have vectors (-1 marks the others), with official splits renumbered to match. */
function dropRows(ratings: RatingsDataset, userIds: string[], itemIds: string[], itemMeta: RatingsDataset['itemMeta'], user: Int32Array, item: Int32Array): RatingsDataset {
  const newRow = new Int32Array(user.length).fill(-1);
  let n = 0;
  for (let r = 0; r < user.length; r++) if (user[r] >= 0 && item[r] >= 0) newRow[r] = n++;
  const keep = <T extends Int32Array | Float32Array | Float64Array>(a: T) => a.filter((_, r) => newRow[r] >= 0) as T;
  const remap = (rows: Int32Array) => Int32Array.from(rows.filter((r) => newRow[r] >= 0), (r) => newRow[r]);
  const ts = ratings.ratings.timestamp;
  return {
    ...ratings,
    userIds,
    itemIds,
    itemMeta,
    ratings: { user: keep(user), item: keep(item), rating: keep(ratings.ratings.rating), ...(ts ? { timestamp: keep(ts) } : {}) },
    ...(ratings.officialSplits ? { officialSplits: Object.fromEntries(Object.entries(ratings.officialSplits).map(([k, sp]) => [k, { train: remap(sp.train), test: remap(sp.test) }])) } : {}),
  };
}
