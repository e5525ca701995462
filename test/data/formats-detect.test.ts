import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAny, loadDataset } from '../../training/data/load.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((d) => rm(d, { recursive: true, force: true }))));

async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgerec-detect-'));
  roots.push(dir);
  return dir;
}

describe('loadAny --format auto', () => {
  it.each([
    ['ml-100k-mini', 'ratings', 'ml-100k'],
    ['ml-100k-mini/u.data', 'ratings', 'ml-100k'],
    ['ml-csv-mini', 'ratings', 'ml-csv'],
    ['ml-csv-mini/ratings.csv', 'ratings', 'ml-csv'],
    ['ml-dat-mini', 'ratings', 'ml-dat'],
    ['ml-dat-mini/ratings.dat', 'ratings', 'ml-dat'],
    ['ratings-header.csv', 'ratings', 'ratings-csv'],
    ['ratings-noheader.csv', 'ratings', 'ratings-csv'],
    ['tags-mini.json', 'itemtag', 'tags-json'],
    ['tags-mini.csv', 'itemtag', 'tags-csv'],
    ['steam-mini.csv', 'itemtag', 'steam-csv'],
    ['links-mini.ndjson', 'itemtag', 'links-ndjson'],
  ])('%s -> %s via %s', async (path, kind, format) => {
    const loaded = await loadAny(fixture(path));
    expect([loaded.kind, loaded.format]).toEqual([kind, format]);
  });

  it('looks into one ml-* folder inside the folder given, and refuses to pick among several', async () => {
    const root = await tmp();
    await cp(fixture('ml-csv-mini'), join(root, 'ml-latest-small'), { recursive: true });
    expect((await loadAny(root)).format).toBe('ml-csv');
    await cp(fixture('ml-dat-mini'), join(root, 'ml-1m'), { recursive: true });
    await expect(loadAny(root)).rejects.toThrow(/holds several MovieLens folders \(ml-1m, ml-latest-small\): pass the one to read/);
  });

  it('a file no reader fits lists what each reader tried and why it failed', async () => {
    const file = join(await tmp(), 'odd.csv');
    await writeFile(file, 'a,b\n1,2,3\n');
    await expect(loadAny(file)).rejects.toThrow(
      'odd.csv: could not be read by any reader that fits it; tried as tags-csv: odd.csv line 2: expected 2 comma-separated fields (item, tag), got 3: "1,2,3" ' +
        '(quote an item or tag that holds a comma); as ratings-csv: odd.csv line 1: expected 3 or 4 comma-separated fields (user,item,rating[,timestamp]), got 2: "a,b" ' +
        '(pass --format <name> to read it with one reader and see only that error)',
    );
  });

  it('with one fitting reader its own error comes through unchanged', async () => {
    const file = join(await tmp(), 'bad.json');
    await writeFile(file, '[1]');
    await expect(loadAny(file)).rejects.toThrow(/^bad\.json: holds an array at the top level/);
  });

  it('says what it expected for unknown shapes', async () => {
    const root = await tmp();
    await writeFile(join(root, 'x.parquet'), 'PAR1');
    await expect(loadAny(join(root, 'x.parquet'))).rejects.toThrow(/x\.parquet is neither u\.data nor a \.csv file \(nor \.dat, \.json or \.ndjson\); .*or name a reader with --format \(ml-100k, ml-csv, ml-dat, ratings-csv, tags-json, tags-csv, steam-csv, links-ndjson\)$/);
    await expect(loadAny(root)).rejects.toThrow(/has no u\.data \(looked in it and in its ml-100k\/ subfolder\); expected .*ratings\.csv \+ movies\.csv/);
  });
});

describe('loadAny with a named format', () => {
  it('reads with that reader whatever the file is called', async () => {
    const root = await tmp();
    await cp(fixture('tags-mini.csv'), join(root, 'game-tags.txt'));
    const loaded = await loadAny(join(root, 'game-tags.txt'), 'tags-csv');
    expect(loaded.kind).toBe('itemtag');
    expect(loaded.dataset.itemIds).toHaveLength(4);
  });

  it('ml-csv takes a ratings file of any name, movies.csv beside it', async () => {
    const root = await tmp();
    await cp(fixture('ml-csv-mini/movies.csv'), join(root, 'movies.csv'));
    await cp(fixture('ml-csv-mini/ratings.csv'), join(root, 'ratings-2024.csv'));
    const loaded = await loadAny(join(root, 'ratings-2024.csv'), 'ml-csv');
    expect(loaded.kind === 'ratings' && loaded.dataset.itemMeta[1].title).toBe('Quiet Harbour, The (1996)');
  });

  it('looks into a folder holding one folder of that format', async () => {
    const root = await tmp();
    await mkdir(join(root, 'ml-100k'));
    await cp(fixture('ml-100k-mini'), join(root, 'ml-100k'), { recursive: true });
    expect((await loadAny(root, 'ml-100k')).dataset.itemIds.length).toBeGreaterThan(0);
  });

  it.each([
    ['tags-json', 'ml-csv-mini', /--format tags-json reads a file \(item -> tags JSON .*\), but .*ml-csv-mini is a folder/],
    ['parquet', 'tags-mini.json', /--format "parquet" is not a reader; choose auto or one of ml-100k, ml-csv, ml-dat, ratings-csv, tags-json, tags-csv, steam-csv, links-ndjson/],
    ['ratings-csv', 'tags-mini.csv', /^tags-mini\.csv line 1: expected 3 or 4 comma-separated fields/],
  ])('--format %s on %s fails clearly', async (format, path, message) => {
    await expect(loadAny(fixture(path), format)).rejects.toThrow(message);
  });
});

describe('loadDataset (ratings only)', () => {
  it('reads the MovieLens CSV and :: folders too', async () => {
    expect((await loadDataset(fixture('ml-csv-mini'))).itemIds).toEqual(['1', '2', '5', '10']);
    expect((await loadDataset(fixture('ml-dat-mini'), 'ml-dat')).userIds).toEqual(['1', '2', '10']);
  });

  it('points item-tag data at --model itemtag', async () => {
    await expect(loadDataset(fixture('tags-mini.json'))).rejects.toThrow(/tags-mini\.json looks like item-tag data \(tags-json\), but this model needs ratings: train --model itemtag on it/);
    await expect(loadDataset(fixture('steam-mini.csv'), 'steam-csv')).rejects.toThrow(/--format steam-csv reads item-tag pairs, but this model needs ratings \(ml-100k, ml-csv, ml-dat, ratings-csv\)/);
  });
});
