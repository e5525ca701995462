import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { IdIndex, ratingRange, sha256Hex } from './common.js';
import { DataError } from './errors.js';
import type { RatingsDataset } from './types.js';

const FORMAT = 'user,item,rating[,timestamp]';

/** Splits one CSV line; handles double-quoted fields (with "" escapes) but not quoted line breaks. */
function splitCsvLine(line: string): string[] | undefined {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return undefined;
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < line.length && line[i] !== ',') return undefined;
    } else {
      const comma = line.indexOf(',', i);
      field = line.slice(i, comma < 0 ? line.length : comma);
      i = comma < 0 ? line.length : comma;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++;
  }
}

/** Decimal notation only: Number() alone would also read "0x10" as 16 and "0b1" as 1. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumberField(text: string): number {
  const t = text.trim();
  if (!DECIMAL.test(t)) return NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * Loads a generic ratings CSV: `user,item,rating` or `user,item,rating,timestamp` (unix seconds), UTF-8, with or
 * without a header line (a first line whose rating field is not a number is taken as the header). Columns are
 * positional. Ids are kept as the trimmed strings and indexed in order of first appearance; titles are the item
 * ids and tags are empty. Blank lines are skipped; CRLF line ends and a UTF-8 BOM are accepted. The fingerprint is
 * the plain sha256 of the file, so it can be checked with `sha256sum`.
 */
export async function loadRatingsCsv(file: string): Promise<RatingsDataset> {
  const bytes = await readFile(file);
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new DataError(file, undefined, undefined, `is empty`, `expected lines of ${FORMAT}`);

  const lines = text.split('\n');
  const users = new IdIndex();
  const items = new IdIndex();
  const user: number[] = [];
  const item: number[] = [];
  const rating: number[] = [];
  const timestamp: number[] = [];
  let fieldCount = 0; // fixed by the first data line: 3 or 4
  let header: string | undefined;
  const lineNos: number[] = [];

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    const lineNo = i + 1;
    const fields = splitCsvLine(line);
    if (!fields) throw new DataError(file, lineNo, line, 'unterminated or misplaced double quote');
    if (fieldCount === 0) {
      if (fields.length < 3 || fields.length > 4) {
        throw new DataError(file, lineNo, line, `expected 3 or 4 comma-separated fields (${FORMAT}), got ${fields.length}`);
      }
      if (header === undefined && Number.isNaN(parseNumberField(fields[2]))) {
        header = line;
        continue;
      }
      fieldCount = fields.length;
    }
    if (fields.length !== fieldCount) {
      const columns = fieldCount === 4 ? 'user, item, rating, timestamp' : 'user, item, rating';
      throw new DataError(file, lineNo, line, `expected ${fieldCount} comma-separated fields (${columns}) like the ${header === undefined ? 'first line' : 'first data line'}, got ${fields.length}`);
    }
    const u = fields[0].trim();
    const it = fields[1].trim();
    if (u === '') throw new DataError(file, lineNo, line, 'user id is empty');
    if (it === '') throw new DataError(file, lineNo, line, 'item id is empty');
    const r = parseNumberField(fields[2]);
    if (Number.isNaN(r)) throw new DataError(file, lineNo, line, `rating ${JSON.stringify(fields[2])} is not a finite number`);
    if (fieldCount === 4) {
      const ts = parseNumberField(fields[3]);
      if (Number.isNaN(ts)) throw new DataError(file, lineNo, line, `timestamp ${JSON.stringify(fields[3])} is not a number`, 'expected unix seconds');
      timestamp.push(ts);
    }
    user.push(users.intern(u));
    item.push(items.intern(it));
    rating.push(r);
    lineNos.push(lineNo);
  }
  if (user.length === 0) {
    throw new DataError(file, undefined, undefined, 'has a header line but no ratings', `expected lines of ${FORMAT} after ${JSON.stringify(header)}`);
  }

  checkNoDuplicates(file, lines, user, item, lineNos, users.ids, items.ids);

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
      ...(fieldCount === 4 ? { timestamp: Float64Array.from(timestamp) } : {}),
    },
    ratingRange: ratingRange(ratingColumn),
    fingerprint: sha256Hex(bytes),
  };
}

/**
 * A second rating of one (user, item) pair is an error naming both lines, not a silently doubled weight. Keys are
 * sorted in a typed array rather than put in a Map, which holds at most 2^24 entries.
 */
function checkNoDuplicates(file: string, lines: string[], user: number[], item: number[], lineNos: number[], userIds: string[], itemIds: string[]): void {
  const n = user.length;
  const keys = new Float64Array(n);
  for (let r = 0; r < n; r++) keys[r] = user[r] * itemIds.length + item[r];
  const sorted = keys.slice().sort();
  for (let k = 1; k < n; k++) {
    if (sorted[k] !== sorted[k - 1]) continue;
    const first = keys.indexOf(sorted[k]);
    const again = keys.indexOf(sorted[k], first + 1);
    const text = lines[lineNos[again] - 1].replace(/\r$/, '');
    throw new DataError(file, lineNos[again], text,
      `user ${JSON.stringify(userIds[user[again]])} rated item ${JSON.stringify(itemIds[item[again]])} again (first on line ${lineNos[first]})`,
      'keep one rating per (user, item)');
  }
}
