import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../training/data/load.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const tmpRoots: string[] = [];
afterAll(() => Promise.all(tmpRoots.map((d) => rm(d, { recursive: true, force: true }))));

describe('loadDataset', () => {
  it('reads a MovieLens folder, its u.data, and a folder holding ml-100k/', async () => {
    const direct = await loadDataset(fixture('ml-100k-mini'));
    expect(direct.ratings.rating.length).toBe(10);
    expect(await loadDataset(fixture('ml-100k-mini/u.data'))).toEqual(direct);
    const root = await mkdtemp(join(tmpdir(), 'edgerec-load-'));
    tmpRoots.push(root);
    await mkdir(join(root, 'ml-100k'));
    await cp(fixture('ml-100k-mini'), join(root, 'ml-100k'), { recursive: true });
    expect({ ...(await loadDataset(root)), name: direct.name }).toEqual(direct);
  });

  it('reads a CSV file', async () => {
    const ds = await loadDataset(fixture('ratings-header.csv'));
    expect(ds.name).toBe('ratings-header.csv');
    expect(ds.ratings.rating.length).toBe(4);
  });

  it('says what it looked for', async () => {
    const root = await mkdtemp(join(tmpdir(), 'edgerec-load-'));
    tmpRoots.push(root);
    await writeFile(join(root, 'ratings.tsv'), '1\t2\t3\n');
    await expect(loadDataset(join(root, 'missing'))).rejects.toThrow(/missing does not exist; expected a MovieLens 100K folder/);
    await expect(loadDataset(root)).rejects.toThrow(/has no u\.data \(looked in it and in its ml-100k\/ subfolder\); expected .* or a \.csv file of user,item,rating\[,timestamp\]/);
    await expect(loadDataset(join(root, 'ratings.tsv'))).rejects.toThrow(/ratings\.tsv is neither u\.data nor a \.csv file/);
  });
});
