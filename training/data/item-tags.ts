import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { sha256Hex } from './common.js';
import { csvRecords } from './csv-fields.js';
import { DataError } from './errors.js';
import { ItemTagBuilder } from './item-tag-dataset.js';
import { PairSet } from './pair-set.js';
import type { ItemTagDataset } from './types.js';

const JSON_FORMAT = 'a JSON object {"item": ["tag", ...], ...}';
const CSV_FORMAT = 'item,tag lines (one pair per line, header optional)';

/**
 * Header names a tags CSV may start with (compared lower-cased without `_`, `-` and spaces); a first line with either
 * field among them is a header, anything else is data.
 */
const ITEM_HEADERS = new Set(['item', 'itemid', 'id', 'game', 'gameid', 'movie', 'movieid', 'title', 'name', 'appid', 'anime', 'animeid', 'product', 'productid', 'book', 'bookid', 'track', 'artist', 'page', 'article']);
const TAG_HEADERS = new Set(['tag', 'tags', 'tagname', 'label', 'labels', 'genre', 'genres', 'link', 'links', 'category', 'categories', 'keyword', 'keywords', 'topic']);
const headerName = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');

function utf8Text(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function lineAt(text: string, offset: number): { line: number; content: string } {
  let line = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) line++;
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return { line, content: text.slice(start, end < 0 ? text.length : end).replace(/\r$/, '') };
}

/**
 * Where JSON.parse gave up. Older V8 says "at position N"; Node 22 often quotes an excerpt instead. Then the
 * shortest prefix that fails for a reason other than ending early ends at the offending character (every shorter
 * prefix of a document that breaks there is merely incomplete), found by bisection.
 */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const pos = /position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  const incomplete = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const m = (e as Error).message;
      const at = /position (\d+)/.exec(m);
      return /end of JSON input/i.test(m) || (at !== null && Number(at[1]) >= n);
    }
  };
  let lo = 0;
  let hi = text.length;
  if (incomplete(hi)) return undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (incomplete(mid)) lo = mid;
    else hi = mid;
  }
  return hi - 1;
}

/** The line of `"key":` in the source, so that a bad value can be reported where it is (JSON.parse keeps no positions). */
function lineOfKey(text: string, key: string): { line: number; content: string } | undefined {
  const needle = JSON.stringify(key);
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    if (/^\s*:/.test(text.slice(at + needle.length, at + needle.length + 20))) return lineAt(text, at);
  }
  return undefined;
}

/**
 * Reads item -> tags as JSON, the shape of notebook 000's games_with_tags file: `{"Counter-Strike": ["Action",
 * "FPS"], ...}`. Items keep the object's key order, the key is both id and title, tags are indexed in first-seen
 * order and a tag listed twice for one item counts once. Tags are trimmed and must be non-empty strings.
 */
export async function loadTagsJson(file: string): Promise<ItemTagDataset> {
  const bytes = await readFile(file);
  const text = utf8Text(bytes);
  if (text.trim() === '') throw new DataError(file, undefined, undefined, 'is empty', `expected ${JSON_FORMAT}`);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const offset = jsonErrorOffset(text, msg);
    const at = offset === undefined ? undefined : lineAt(text, offset);
    // V8's own message may quote the text, line breaks included: name the character instead, on one line.
    const what = offset === undefined ? msg.replace(/\s+/g, ' ') : `unexpected ${JSON.stringify(text[offset] ?? 'end of file')} at column ${offset - text.lastIndexOf('\n', offset - 1)}`;
    throw new DataError(file, at?.line, at?.content, `is not valid JSON (${what})`, `expected ${JSON_FORMAT}`);
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    const got = Array.isArray(root) ? 'an array' : root === null ? 'null' : `a ${typeof root}`;
    throw new DataError(file, undefined, undefined, `holds ${got} at the top level`, `expected ${JSON_FORMAT}`);
  }
  const builder = new ItemTagBuilder();
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    const where = () => lineOfKey(text, key);
    const fail = (problem: string): never => {
      const at = where();
      throw new DataError(file, at?.line, at?.content ?? `${JSON.stringify(key)}: ${JSON.stringify(value)}`.slice(0, 300), problem, `expected ${JSON_FORMAT}`);
    };
    if (key.trim() === '') fail('an item id is empty');
    if (!Array.isArray(value)) fail(`the tags of item ${JSON.stringify(key)} are ${JSON.stringify(value)?.slice(0, 60)}, not a list`);
    const tags = (value as unknown[]).map((t) => {
      if (typeof t !== 'string' || t.trim() === '') fail(`item ${JSON.stringify(key)} has the tag ${JSON.stringify(t)}; tags must be non-empty strings`);
      return (t as string).trim();
    });
    builder.add(key, key, tags);
  }
  if (builder.size === 0) throw new DataError(file, undefined, undefined, 'has no items (the object is empty)', `expected ${JSON_FORMAT}`);
  return builder.build(basename(file), sha256Hex(bytes));
}

/**
 * Reads item -> tag pairs as CSV, one `item,tag` pair per line (RFC 4180 quoting, CRLF or LF, UTF-8). A first line
 * such as `item,tag`, `game,tag` or `anime,genre` (either name known) is a header; items and tags are indexed in first-seen order, the item id is its
 * title, and a repeated pair counts once.
 */
export async function loadTagsCsv(file: string): Promise<ItemTagDataset> {
  const bytes = await readFile(file);
  const text = utf8Text(bytes);
  if (text.trim() === '') throw new DataError(file, undefined, undefined, 'is empty', `expected ${CSV_FORMAT}`);
  const builder = new ItemTagBuilder();
  const seenPairs = new PairSet();
  let first = true;
  let header: string | undefined;
  for (const rec of csvRecords(text, file)) {
    const f = rec.fields;
    if (f.length !== 2) throw new DataError(file, rec.line, rec.text, `expected 2 comma-separated fields (item, tag), got ${f.length}`, 'quote an item or tag that holds a comma');
    const [item, tag] = [f[0].trim(), f[1].trim()];
    if (first) {
      first = false;
      if (ITEM_HEADERS.has(headerName(item)) || TAG_HEADERS.has(headerName(tag))) {
        header = rec.text;
        continue;
      }
    }
    if (item === '') throw new DataError(file, rec.line, rec.text, 'item id is empty');
    if (tag === '') throw new DataError(file, rec.line, rec.text, 'tag is empty');
    const i = builder.indexOf(item) ?? builder.add(item, item, []);
    builder.addPair(i, tag, seenPairs);
  }
  if (builder.size === 0) {
    throw new DataError(file, undefined, undefined, 'has a header line but no pairs', `expected ${CSV_FORMAT} after ${JSON.stringify(header)}`);
  }
  return builder.build(basename(file), sha256Hex(bytes));
}
