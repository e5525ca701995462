import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { IdIndex, ratingRange, sha256Hex } from './common.js';
import { csvRecords, type CsvRecord } from './csv-fields.js';
import { DataError } from './errors.js';
import { ColumnRole, mapHeader, mapRoles, roleOfHeader, type ColumnMap } from './rating-columns.js';
import type { RatingsDataset } from './types.js';

const FORMAT = 'user,item,rating[,timestamp]';
const POSITIONAL: Record<number, ColumnRole[]> = { 3: ['user', 'item', 'rating'], 4: ['user', 'item', 'rating', 'timestamp'] };

export interface RatingsCsvOptions {
  /** The role of each column in file order (--columns); overrides the header and the positional default. */
  columns?: readonly ColumnRole[];
}

/** Decimal notation only: Number() alone would also read "0x10" as 16 and "0b1" as 1. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumberField(text: string | undefined): number {
  const t = (text ?? '').trim();
  if (!DECIMAL.test(t)) return NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * How the first record is read: a header (its names map the columns, or it is skipped when --columns says which is
 * which) or the first data line (columns by position: user,item,rating[,timestamp]). A first record is a header when
 * one of its fields is a column name this reader knows (rating-columns.ts) or its rating field is not a number.
 */
function firstRecord(rec: CsvRecord, file: string, columns: readonly ColumnRole[] | undefined): { map: ColumnMap; roles: readonly ColumnRole[]; header: boolean } {
  const f = rec.fields;
  if (columns) {
    const map = mapRoles(columns) as ColumnMap;
    return { map, roles: columns, header: Number.isNaN(parseNumberField(f[map.rating])) };
  }
  if (f.length < 3) throw new DataError(file, rec.line, rec.text, `expected 3 or 4 comma-separated fields (${FORMAT}), got ${f.length}`);
  const named = f.some((name) => roleOfHeader(name) !== undefined);
  if (named || (f.length <= 4 && Number.isNaN(parseNumberField(f[2])))) {
    const map = mapHeader(f);
    if (typeof map === 'string') throw new DataError(file, rec.line, rec.text, map);
    return { map, roles: f.map((name) => roleOfHeader(name)!), header: true };
  }
  if (f.length > 4) throw new DataError(file, rec.line, rec.text, `expected 3 or 4 comma-separated fields (${FORMAT}), got ${f.length}`, 'a header line naming the columns, or --columns, says which is which');
  return { map: mapRoles(POSITIONAL[f.length]) as ColumnMap, roles: POSITIONAL[f.length], header: false };
}

/**
 * Loads a generic ratings CSV (RFC 4180 records, csv-fields.ts), UTF-8. Columns are found by the header's names when
 * it has one (`userId,movieId,rating,timestamp`, `rating,user,item`, ...), by `columns` when given, else by
 * position: user,item,rating[,timestamp] (unix seconds). Ids are kept as the trimmed strings and indexed in order of
 * first appearance; titles are the item ids and tags are empty. Blank lines are skipped; CRLF line ends and a UTF-8
 * BOM are accepted. The fingerprint is the plain sha256 of the file, so it can be checked with `sha256sum`.
 */
export async function loadRatingsCsv(file: string, opts: RatingsCsvOptions = {}): Promise<RatingsDataset> {
  const bytes = await readFile(file);
  const text = bytes.toString('utf8');
  if (text.replace(/^\uFEFF/, '').trim() === '') throw new DataError(file, undefined, undefined, `is empty`, `expected lines of ${FORMAT}`);

  const users = new IdIndex();
  const items = new IdIndex();
  const user: number[] = [];
  const item: number[] = [];
  const rating: number[] = [];
  const timestamp: number[] = [];
  const lineNos: number[] = [];
  let layout: ReturnType<typeof firstRecord> | undefined;
  let headerText: string | undefined;
  let fieldCount = 0; // fixed by the first data line

  for (const rec of csvRecords(text, file)) {
    const fields = rec.fields;
    if (fields.length === 1 && fields[0].trim() === '') continue;
    if (!layout) {
      layout = firstRecord(rec, file, opts.columns);
      if (layout.header) {
        headerText = rec.text;
        continue;
      }
    }
    const { map, roles } = layout;
    if (fieldCount === 0) {
      if (headerText !== undefined && fields.length !== map.width) {
        throw new DataError(file, rec.line, rec.text, `expected ${map.width} comma-separated fields (${roles.join(', ')}) like the header ${JSON.stringify(headerText)}, got ${fields.length}`);
      }
      fieldCount = fields.length;
    }
    if (fields.length !== fieldCount) {
      throw new DataError(file, rec.line, rec.text, `expected ${fieldCount} comma-separated fields (${roles.map((r) => (r === 'skip' ? '-' : r)).join(', ')}) like the ${headerText === undefined ? 'first line' : 'first data line'}, got ${fields.length}`);
    }
    const u = fields[map.user].trim();
    const it = fields[map.item].trim();
    if (u === '') throw new DataError(file, rec.line, rec.text, 'user id is empty');
    if (it === '') throw new DataError(file, rec.line, rec.text, 'item id is empty');
    const r = parseNumberField(fields[map.rating]);
    if (Number.isNaN(r)) throw new DataError(file, rec.line, rec.text, `rating ${JSON.stringify(fields[map.rating])} is not a finite number`);
    if (map.timestamp !== undefined) {
      const ts = parseNumberField(fields[map.timestamp]);
      if (Number.isNaN(ts)) throw new DataError(file, rec.line, rec.text, `timestamp ${JSON.stringify(fields[map.timestamp])} is not a number`, 'expected unix seconds');
      timestamp.push(ts);
    }
    user.push(users.intern(u));
    item.push(items.intern(it));
    rating.push(r);
    lineNos.push(rec.line);
  }
  if (user.length === 0) {
    throw new DataError(file, undefined, undefined, 'has a header line but no ratings', `expected lines of ${FORMAT} after ${JSON.stringify(headerText)}`);
  }

  checkNoDuplicates(file, text, user, item, lineNos, users.ids, items.ids);

  const ratingColumn = Float32Array.from(rating);
  return {
    name: basename(file),
    userIds: users.ids,
    itemIds: items.ids,
    itemMeta: items.ids.map((id) => ({ title: id, tags: [] })),
    ratings: {
      user: Int32Array.from(user),
      item: Int32Array.from(item),
      rating: ratingColumn,
      ...(layout!.map.timestamp !== undefined ? { timestamp: Float64Array.from(timestamp) } : {}),
    },
    ratingRange: ratingRange(ratingColumn),
    fingerprint: sha256Hex(bytes),
  };
}

/**
 * A second rating of one (user, item) pair is an error naming both lines, not a silently doubled weight. Keys are
 * sorted in a typed array rather than put in a Map, which holds at most 2^24 entries.
 */
function checkNoDuplicates(file: string, text: string, user: number[], item: number[], lineNos: number[], userIds: string[], itemIds: string[]): void {
  const n = user.length;
  const keys = new Float64Array(n);
  for (let r = 0; r < n; r++) keys[r] = user[r] * itemIds.length + item[r];
  const sorted = keys.slice().sort();
  for (let k = 1; k < n; k++) {
    if (sorted[k] !== sorted[k - 1]) continue;
    const first = keys.indexOf(sorted[k]);
    const again = keys.indexOf(sorted[k], first + 1);
    let recordText = '';
    for (const rec of csvRecords(text, file)) {
      if (rec.line === lineNos[again]) {
        recordText = rec.text;
        break;
      }
    }
    throw new DataError(file, lineNos[again], recordText,
      `user ${JSON.stringify(userIds[user[again]])} rated item ${JSON.stringify(itemIds[item[again]])} again (first on line ${lineNos[first]})`,
      'keep one rating per (user, item)');
  }
}
