import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { sha256Hex } from './common.js';
import { DataError } from './errors.js';
import { ItemTagBuilder } from './item-tag-dataset.js';
import type { ItemTagDataset } from './types.js';

const FORMAT = 'one JSON array per line: [title, {infobox}, [links...], ...] (notebook 003\'s wp_movies_10k.ndjson)';

/** A percentage as the Wikipedia movie dump writes Rotten Tomatoes scores: "84%". */
const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/**
 * Reads items with outgoing links as NDJSON, one `[title, {infobox}, [links...], ...]` array per line (blank lines
 * skipped): the title is id and title, the links are the item's tags (a link listed twice counts once). Elements
 * after the links become numeric properties: a percentage string ("84%", the Rotten Tomatoes score notebook 003
 * regresses on) is `rotten_tomatoes` as a fraction (0.84); a number, or a string holding one, at position j is
 * `field_<j>`; null or "" is NaN.
 */
export async function loadLinksNdjson(file: string): Promise<ItemTagDataset> {
  const bytes = await readFile(file);
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new DataError(file, undefined, undefined, 'is empty', `expected ${FORMAT}`);
  const builder = new ItemTagBuilder();
  const firstLine = new Map<string, number>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    if (line.trim() === '') continue;
    const lineNo = n + 1;
    const fail = (problem: string): never => {
      throw new DataError(file, lineNo, line, problem, `expected ${FORMAT}`);
    };
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      fail(`is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(row) || row.length < 3) fail('expected a JSON array of at least 3 elements');
    const [title, infobox, links] = row as unknown[];
    if (typeof title !== 'string' || title.trim() === '') fail(`the title (element 0) is ${JSON.stringify(title)}, not a non-empty string`);
    if (infobox !== null && (typeof infobox !== 'object' || Array.isArray(infobox))) fail('element 1 (the infobox) is not an object or null');
    if (!Array.isArray(links)) fail('element 2 (the links) is not a list');
    const tags: string[] = [];
    for (const l of links as unknown[]) {
      if (typeof l !== 'string' || l.trim() === '') fail(`the link ${JSON.stringify(l)} is not a non-empty string`);
      tags.push((l as string).trim());
    }
    const id = (title as string).trim();
    const seenOn = firstLine.get(id);
    if (seenOn !== undefined) fail(`title ${JSON.stringify(id)} appears again (first on line ${seenOn})`);
    firstLine.set(id, lineNo);
    const props: Record<string, number> = {};
    const rest = (row as unknown[]).slice(3);
    rest.forEach((v, k) => {
      const j = k + 3;
      if (v === null || v === '') return;
      const pct = typeof v === 'string' ? PERCENT.exec(v) : null;
      if (pct) {
        props.rotten_tomatoes ??= Number(pct[1]) / 100;
        return;
      }
      const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (Number.isFinite(x)) props[`field_${j}`] = x;
    });
    builder.add(id, id, tags, props);
  }
  return builder.build(basename(file), sha256Hex(bytes));
}
