import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { sha256Hex } from './common.js';
import { columnIndex, csvRecords } from './csv-fields.js';
import { DataError } from './errors.js';
import { ItemTagBuilder } from './item-tag-dataset.js';
import type { ItemTagDataset } from './types.js';

const REQUIRED = ['appid', 'name', 'steamspy_tags'] as const;
const FORMAT = 'a Steam store CSV with a header naming at least appid, name and steamspy_tags (";"-separated tags)';

/** Numeric columns copied as they are into the item properties (when the file has them). */
const PLAIN_NUMBERS = ['price', 'average_playtime', 'median_playtime', 'achievements', 'required_age'] as const;

/**
 * Reads a Steam-store style CSV (Nik Davis's Kaggle "Steam Store Games" steam.csv and cut-downs of it): one game per
 * line, columns found by header name, RFC 4180 quoting, CRLF or LF. The game's tags are `steamspy_tags` split on ";"
 * (trimmed, empty pieces dropped); appid is the id and name the title. Per-game properties for the embedding probe,
 * from the columns present: positive_ratio = positive / (positive + negative ratings), log_ratings = log10(1 +
 * positive + negative), release_year, log_owners (log10 of the middle of the owners range), price, average_playtime,
 * median_playtime, achievements, required_age. An empty cell is NaN; any other non-number is an error.
 */
export async function loadSteamCsv(file: string): Promise<ItemTagDataset> {
  const bytes = await readFile(file);
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') throw new DataError(file, undefined, undefined, 'is empty', `expected ${FORMAT}`);
  const records = csvRecords(text, file);
  const head = records.next();
  if (head.done) throw new DataError(file, undefined, undefined, 'is empty', `expected ${FORMAT}`);
  const header = head.value;
  const col = columnIndex(header.fields);
  const missing = REQUIRED.filter((c) => !col.has(c));
  if (missing.length) {
    throw new DataError(file, header.line, header.text, `the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, `expected ${FORMAT}`);
  }
  const at = (name: string) => col.get(name);
  const [cId, cName, cTags] = REQUIRED.map((c) => col.get(c)!);
  const cPos = at('positive_ratings');
  const cNeg = at('negative_ratings');
  const cDate = at('release_date');
  const cOwners = at('owners');
  const plain = PLAIN_NUMBERS.flatMap((name) => (col.has(name) ? [[name, col.get(name)!] as const] : []));

  const builder = new ItemTagBuilder();
  const firstLine = new Map<string, number>();
  for (const rec of records) {
    const f = rec.fields;
    if (f.length !== header.fields.length) {
      throw new DataError(file, rec.line, rec.text, `expected ${header.fields.length} comma-separated fields like the header, got ${f.length}`,
        'a name holding a comma must be in double quotes');
    }
    const id = f[cId].trim();
    if (id === '') throw new DataError(file, rec.line, rec.text, 'appid is empty');
    const seenOn = firstLine.get(id);
    if (seenOn !== undefined) throw new DataError(file, rec.line, rec.text, `appid ${id} appears again (first on line ${seenOn})`, 'keep one line per game');
    firstLine.set(id, rec.line);
    const num = (c: number | undefined, what: string): number => {
      if (c === undefined) return NaN;
      const s = f[c].trim();
      if (s === '') return NaN;
      const v = Number(s);
      if (!Number.isFinite(v)) throw new DataError(file, rec.line, rec.text, `${what} ${JSON.stringify(f[c])} is not a number`);
      return v;
    };
    const props: Record<string, number> = {};
    if (cPos !== undefined && cNeg !== undefined) {
      const pos = num(cPos, 'positive_ratings');
      const neg = num(cNeg, 'negative_ratings');
      props.positive_ratio = pos + neg > 0 ? pos / (pos + neg) : NaN;
      props.log_ratings = Math.log10(1 + pos + neg);
    }
    if (cDate !== undefined) {
      const year = /\b(1[89]\d\d|2\d\d\d)\b/.exec(f[cDate]);
      props.release_year = year ? Number(year[1]) : NaN;
    }
    if (cOwners !== undefined) props.log_owners = logOwners(f[cOwners], file, rec);
    for (const [name, c] of plain) props[name] = num(c, name);
    const tags = f[cTags].split(';').map((t) => t.trim()).filter((t) => t !== '');
    builder.add(id, f[cName].trim() || id, tags, props);
  }
  if (builder.size === 0) throw new DataError(file, undefined, undefined, 'has a header but no games', `expected ${FORMAT}`);
  return builder.build(basename(file), sha256Hex(bytes));
}

/** SteamSpy owners are a range, "20000-50000": the log10 of its middle (NaN when empty). */
function logOwners(cell: string, file: string, rec: { line: number; text: string }): number {
  const s = cell.trim();
  if (s === '') return NaN;
  const m = /^(\d+)\s*-\s*(\d+)$/.exec(s.replace(/,/g, ''));
  const v = m ? (Number(m[1]) + Number(m[2])) / 2 : Number(s);
  if (!Number.isFinite(v) || v < 0) {
    throw new DataError(file, rec.line, rec.text, `owners ${JSON.stringify(cell)} is neither a number nor a range like 20000-50000`);
  }
  return Math.log10(1 + v);
}
