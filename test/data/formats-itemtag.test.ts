import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../training/data/common.js';
import { filterTags, splitPairs, tagNamesOf } from '../../training/data/item-tag-dataset.js';
import { itemTagsFromRatings } from '../../training/data/item-properties.js';
import { loadTagsCsv, loadTagsJson } from '../../training/data/item-tags.js';
import { loadLinksNdjson } from '../../training/data/links-ndjson.js';
import { loadMovieLensCsv } from '../../training/data/movielens-csv.js';
import { loadSteamCsv } from '../../training/data/steam-csv.js';
import type { ItemTagDataset } from '../../training/data/types.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((d) => rm(d, { recursive: true, force: true }))));

async function file(name: string, body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgerec-tags-'));
  roots.push(dir);
  await writeFile(join(dir, name), body);
  return join(dir, name);
}

const pairs = (ds: ItemTagDataset) => [Array.from(ds.pairs.item), Array.from(ds.pairs.tag)];

describe('item -> tags JSON', () => {
  it('keeps key order, indexes tags first-seen, trims tags and counts a repeated tag once', async () => {
    const ds = await loadTagsJson(fixture('tags-mini.json'));
    expect(ds.name).toBe('tags-mini.json');
    expect(ds.itemIds).toEqual(['Star Gardener', 'Rust Knights', 'Tiny Tactics, Deluxe', 'Cloud Courier']);
    expect(ds.itemTitles).toEqual(ds.itemIds);
    expect(ds.tags).toEqual(['Casual', 'Farming', 'Relaxing', 'Action', 'RPG', 'Strategy', 'Turn-Based']);
    expect(pairs(ds)).toEqual([[0, 0, 0, 1, 1, 2, 2, 3, 3], [0, 1, 2, 3, 4, 5, 6, 0, 3]]);
    expect(ds.properties).toEqual({});
    expect(ds.fingerprint).toBe(sha256Hex(await readFile(fixture('tags-mini.json'))));
    expect(tagNamesOf(ds)[3]).toEqual(['Casual', 'Action']);
  });

  it.each([
    ['invalid JSON names the line', '{\n  "a": ["x"],\n  "b": ["y",]\n}\n', /^t\.json line 3: is not valid JSON \(unexpected "\]" at column 13\): " {2}\\"b\\": \[\\"y\\",\]" \(expected a JSON object/],
    ['a list at the top', '[["a", "x"]]', /^t\.json: holds an array at the top level \(expected a JSON object \{"item": \["tag", \.\.\.\], \.\.\.\}\)$/],
    ['tags that are not a list', '{\n  "a": ["x"],\n  "Odd Game": "Action"\n}', /^t\.json line 3: the tags of item "Odd Game" are "Action", not a list: " {2}\\"Odd Game\\": \\"Action\\""/],
    ['a tag that is not a string', '{"a": ["x", 3]}', /^t\.json line 1: item "a" has the tag 3; tags must be non-empty strings/],
    ['an empty object', '{}', /^t\.json: has no items \(the object is empty\)/],
  ])('%s', async (_what, body, message) => {
    await expect(loadTagsJson(await file('t.json', body))).rejects.toThrow(message);
  });
});

describe('item,tag CSV', () => {
  it('skips the header, unquotes RFC 4180 fields, groups pairs by item and drops a repeated pair', async () => {
    const ds = await loadTagsCsv(fixture('tags-mini.csv'));
    expect(ds.itemIds).toEqual(['Star Gardener', 'Rust Knights', 'Tiny Tactics, Deluxe', 'Say "Cheese"']);
    expect(ds.tags).toEqual(['Casual', 'Action', 'Strategy', 'Farming', 'Comedy']);
    expect(pairs(ds)).toEqual([[0, 0, 1, 2, 3], [0, 3, 1, 2, 4]]);
  });

  it.each([
    ['anime,genre', 'Cowboy Bebop', 'Space'],
    ['Anime_ID,Genres', 'Cowboy Bebop', 'Space'],
    ['game,keyword', 'Cowboy Bebop', 'Space'],
  ])('a %s header is skipped (either name known), not read as an item', async (header) => {
    const ds = await loadTagsCsv(await file('t.csv', `${header}\nCowboy Bebop,Space\nCowboy Bebop,Jazz\n`));
    expect(ds.itemIds).toEqual(['Cowboy Bebop']);
    expect(ds.tags).toEqual(['Space', 'Jazz']);
  });

  it('without a header the first line is a pair', async () => {
    const ds = await loadTagsCsv(await file('t.csv', 'Moon Base,Sci-fi\nMoon Base,Indie\n'));
    expect(ds.itemIds).toEqual(['Moon Base']);
    expect(ds.tags).toEqual(['Sci-fi', 'Indie']);
  });

  it.each([
    ['three fields', 'item,tag\nA,x,y\n', 't.csv line 2: expected 2 comma-separated fields (item, tag), got 3: "A,x,y" (quote an item or tag that holds a comma)'],
    ['an empty tag', 'A,x\nB, \n', 't.csv line 2: tag is empty: "B, "'],
    ['only a header', 'item,tag\n', 't.csv: has a header line but no pairs (expected item,tag lines (one pair per line, header optional) after "item,tag")'],
  ])('%s is an error naming the line', async (_what, body, message) => {
    await expect(loadTagsCsv(await file('t.csv', body))).rejects.toThrow(message);
  });
});

describe('Steam store CSV', () => {
  it('reads CRLF rows with quoted names, ;-separated steamspy_tags and the probe properties', async () => {
    const ds = await loadSteamCsv(fixture('steam-mini.csv'));
    expect(ds.itemIds).toEqual(['101', '102', '103']);
    expect(ds.itemTitles).toEqual(['Hollow Orbit', 'Farms, Forks & Friends', 'Spy Cat "Whiskers" Returns']);
    expect(ds.tags).toEqual(['Action', 'Sci-fi', 'Shooter', 'Farming Sim', 'Casual', 'Adventure', 'Puzzle']);
    expect(pairs(ds)).toEqual([[0, 0, 0, 1, 1, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 4]]);
    const p = ds.properties;
    expect(Array.from(p.positive_ratio)).toEqual([0.9, 0.75, NaN]);
    expect(Array.from(p.log_ratings)).toEqual([Math.log10(1001), Math.log10(41), 0]);
    expect(Array.from(p.release_year)).toEqual([2001, 2015, 2018]);
    expect(Array.from(p.log_owners)).toEqual([Math.log10(75_001), Math.log10(10_001), Math.log10(35_001)]);
    expect(Array.from(p.price)).toEqual([4.99, 0, 9.99]);
    expect(Array.from(p.required_age)).toEqual([0, 0, 12]);
    expect(Array.from(p.achievements)).toEqual([12, 0, 25]);
  });

  it.each([
    ['a header without steamspy_tags', 'appid,name,genres\n1,A,Action\n', 's.csv line 1: the header lacks the column steamspy_tags: "appid,name,genres" (expected a Steam store CSV'],
    ['an unquoted comma in a name', 'appid,name,steamspy_tags\n1,Dawn, Dusk,Action\n', 's.csv line 2: expected 3 comma-separated fields like the header, got 4: "1,Dawn, Dusk,Action" (a name holding a comma must be in double quotes)'],
    ['a repeated appid', 'appid,name,steamspy_tags\n1,A,Action\n1,B,RPG\n', 's.csv line 3: appid 1 appears again (first on line 2): "1,B,RPG" (keep one line per game)'],
    ['a price that is not a number', 'appid,name,steamspy_tags,price\n1,A,Action,free\n', 's.csv line 2: price "free" is not a number: "1,A,Action,free"'],
  ])('%s is an error naming the line', async (_what, body, message) => {
    await expect(loadSteamCsv(await file('s.csv', body))).rejects.toThrow(message);
  });
});

describe('links NDJSON (003)', () => {
  it('reads [title, infobox, links, ...] lines; percentages become rotten_tomatoes, numbers field_<j>', async () => {
    const ds = await loadLinksNdjson(fixture('links-mini.ndjson'));
    expect(ds.itemIds).toEqual(['Harbour Lights (1999 film)', 'The Glass Orchard', 'Night Ferry (2004 film)']);
    expect(ds.tags).toEqual(['Ana Vidal', 'Lisbon', 'Rotten Tomatoes']);
    expect(pairs(ds)).toEqual([[0, 0, 0, 1, 1], [0, 1, 2, 0, 2]]);
    expect(Array.from(ds.properties.rotten_tomatoes)).toEqual([0.81, NaN, 0.45]);
    expect(Array.from(ds.properties.field_4)).toEqual([1520, 310, 77]);
  });

  it.each([
    ['a line that is not JSON', '["A", {}, ["x"]]\n["B", {}, [\n', /^l\.ndjson line 2: is not valid JSON \(.*\): "\[\\"B\\", \{\}, \[" \(expected one JSON array per line/],
    ['links that are not a list', '["A", {}, "x"]\n', /^l\.ndjson line 1: element 2 \(the links\) is not a list: /],
    ['a repeated title', '["A", {}, ["x"]]\n["A", {}, ["y"]]\n', /^l\.ndjson line 2: title "A" appears again \(first on line 1\)/],
  ])('%s is an error naming the line', async (_what, body, message) => {
    await expect(loadLinksNdjson(await file('l.ndjson', body))).rejects.toThrow(message);
  });
});

describe('item-tag helpers', () => {
  it('filterTags keeps tags on >= n items (003: links seen 3+ times) and drops items left bare', async () => {
    const ds = await loadTagsJson(fixture('tags-mini.json'));
    const { dataset, droppedTags, droppedItems } = filterTags(ds, 2);
    expect([droppedTags, droppedItems]).toEqual([5, 1]);
    expect(dataset.tags).toEqual(['Casual', 'Action']);
    expect(dataset.itemIds).toEqual(['Star Gardener', 'Rust Knights', 'Cloud Courier']);
    expect(pairs(dataset)).toEqual([[0, 1, 2, 2], [0, 1, 0, 1]]);
    expect(filterTags(ds, 1).dataset).toBe(ds);
  });

  it('splitPairs holds out about the share asked, seeded, never an item\'s or a tag\'s last pair', () => {
    const nItems = 200, nTags = 12;
    const item: number[] = [], tag: number[] = [];
    for (let i = 0; i < nItems; i++) for (let t = 0; t < 1 + (i % 4); t++) item.push(i), tag.push((i + t * 5) % nTags);
    const I = Int32Array.from(item), T = Int32Array.from(tag);
    const s = splitPairs(nItems, nTags, I, T, 0.2, 3, 'random-80-20');
    expect(s.test.length).toBe(Math.round(item.length * 0.2));
    expect(s.train.length + s.test.length).toBe(item.length);
    const trainItems = new Set(Array.from(s.train, (p) => I[p]));
    const trainTags = new Set(Array.from(s.train, (p) => T[p]));
    expect(trainItems.size).toBe(nItems);
    expect(trainTags.size).toBe(nTags);
    expect(splitPairs(nItems, nTags, I, T, 0.2, 3, 'x')).toEqual({ ...s, name: 'x' });
    expect(splitPairs(nItems, nTags, I, T, 0.2, 4, 'x').test).not.toEqual(s.test);
  });

  it('a ratings dataset becomes items with genre tags and rating properties', async () => {
    const ds = itemTagsFromRatings(await loadMovieLensCsv(fixture('ml-csv-mini')));
    expect(ds.itemIds).toEqual(['1', '2', '5', '10']);
    expect(ds.itemTitles[1]).toBe('Quiet Harbour, The (1996)');
    expect(tagNamesOf(ds)).toEqual([['Animation', 'Children', 'Comedy'], ['Drama', 'Romance'], [], ['Comedy']]);
    expect(Array.from(ds.properties.mean_rating)).toEqual([2.25, 4, 5, 2]);
    expect(Array.from(ds.properties.release_year)).toEqual([1994, 1996, 2001, 2003]);
    expect(Array.from(ds.properties.log_ratings)).toEqual([Math.log10(3), Math.log10(3), Math.log10(2), Math.log10(2)]);
  });
});
