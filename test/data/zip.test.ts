import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { downloadMovieLens100K, installMovieLens100KZip } from '../../training/data/download.js';
import { DataError } from '../../training/data/errors.js';
import { loadMovieLens100K } from '../../training/data/movielens100k.js';
import { extractZip, readZip, ZipError } from '../../training/data/zip.js';
import { buildZip, type ZipEntry } from '../helpers/zip-writer.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/ml-100k-mini', import.meta.url));
const tmpRoots: string[] = [];
afterAll(() => Promise.all(tmpRoots.map((d) => rm(d, { recursive: true, force: true }))));

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'edgerec-zip-'));
  tmpRoots.push(d);
  return d;
}

/** A spec-shaped zip with a comment, which readers must skip. */
const zipOf = (entries: ZipEntry[], comment = 'test archive') => buildZip(entries, { comment });

async function fixtureZip(dir = FIXTURE, edit?: (name: string, data: Buffer) => Buffer): Promise<Buffer> {
  const names = (await readdir(dir)).sort();
  const entries: ZipEntry[] = [{ name: 'ml-100k/' }];
  for (const n of names) {
    const data = await readFile(join(dir, n));
    entries.push({ name: `ml-100k/${n}`, data: edit ? edit(n, data) : data, store: n === 'u.genre' });
  }
  return zipOf(entries);
}

describe('readZip / extractZip', () => {
  it('reads stored, deflated and directory entries', () => {
    const text = Buffer.from('hello zip '.repeat(100));
    const entries = readZip(zipOf([{ name: 'd/' }, { name: 'd/a.txt', data: text }, { name: 'b.bin', data: Buffer.from([0, 1, 2, 255]), store: true }]));
    expect(entries.map((e) => [e.name, e.isDirectory])).toEqual([['d/', true], ['d/a.txt', false], ['b.bin', false]]);
    expect(entries[1].data.equals(text)).toBe(true);
    expect([...entries[2].data]).toEqual([0, 1, 2, 255]);
  });

  it('extracts into a folder', async () => {
    const dir = await tmp();
    const written = await extractZip(zipOf([{ name: 'x/y/z.txt', data: Buffer.from('deep') }]), dir);
    expect(written).toEqual([join(dir, 'x/y/z.txt')]);
    expect(await readFile(join(dir, 'x/y/z.txt'), 'utf8')).toBe('deep');
  });

  it('rejects damaged and hostile archives', async () => {
    expect(() => readZip(Buffer.from('not a zip at all, just some text that is long enough'))).toThrow(/no end-of-central-directory record/);
    expect(() => readZip(Buffer.alloc(5))).toThrow(ZipError);
    const good = zipOf([{ name: 'a.txt', data: Buffer.from('abcdefgh'), store: true }], '');
    const flipped = Buffer.from(good);
    flipped[30 + 5 + 2] ^= 0xff; // a byte of the stored data
    expect(() => readZip(flipped)).toThrow(/CRC-32 mismatch in a.txt/);
    expect(() => readZip(good.subarray(0, good.length - 10))).toThrow(/no end-of-central-directory record .*\(truncated download\?\)/);
    const shifted = Buffer.concat([good.subarray(0, 20), good.subarray(good.length - 22 - 46 - 5)]);
    expect(() => readZip(shifted)).toThrow(/corrupt zip: central directory entry 0 not found/);
    expect(() => readZip(zipOf([{ name: '../evil.txt', data: Buffer.from('x') }]))).toThrow(/refusing entry "..\/evil.txt"/);
    expect(() => readZip(zipOf([{ name: '/etc/evil', data: Buffer.from('x') }]))).toThrow(/points outside/);
  });
});

describe('installMovieLens100KZip', () => {
  it('unpacks an ml-100k-shaped archive to <dest>/ml-100k and loads it', async () => {
    const dest = await tmp();
    const { dir, dataset } = await installMovieLens100KZip(await fixtureZip(), dest);
    expect(dir).toBe(join(dest, 'ml-100k'));
    const direct = await loadMovieLens100K(FIXTURE);
    expect({ ...dataset, name: direct.name }).toEqual(direct);
    expect((await readdir(dest)).sort()).toEqual(['ml-100k']); // no temporary folder left behind
    expect(dataset.itemMeta[1].title).toBe('Café Noël (1996)');
  });

  it('leaves an existing copy untouched when the new archive is bad', async () => {
    const dest = await tmp();
    await installMovieLens100KZip(await fixtureZip(), dest);
    const bad = await fixtureZip(FIXTURE, (n, d) => (n === 'u.data' ? Buffer.from('1\t2\t3\n') : d));
    const err = await installMovieLens100KZip(bad, dest).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain('u.data line 1: expected 4 tab-separated fields');
    expect((await readdir(dest)).sort()).toEqual(['ml-100k']);
    expect((await loadMovieLens100K(join(dest, 'ml-100k'))).ratings.rating.length).toBe(10);
  });

  it('says what the archive held when it has no u.data', async () => {
    const err = await installMovieLens100KZip(zipOf([{ name: 'readme.txt', data: Buffer.from('hi') }]), await tmp()).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toBe('the archive has no u.data (it holds readme.txt)');
  });
});

describe('downloadMovieLens100K (no network needed)', () => {
  it('does not download when the data is already there', async () => {
    const dest = await tmp();
    await mkdir(join(dest, 'ml-100k'));
    await cp(FIXTURE, join(dest, 'ml-100k'), { recursive: true });
    const lines: string[] = [];
    const res = await downloadMovieLens100K(dest, { url: 'http://127.0.0.1:9/never', log: (l) => lines.push(l) });
    expect(res.downloaded).toBe(false);
    expect(res.dataset.ratings.rating.length).toBe(10);
    expect(lines[0]).toContain('already has u.data');
  });

  it('reports an unreachable URL with the URL in the message', async () => {
    const dest = await tmp();
    await writeFile(join(dest, 'keep.txt'), 'x');
    await expect(downloadMovieLens100K(dest, { url: 'http://127.0.0.1:9/ml-100k.zip' })).rejects.toThrow(
      /^could not download http:\/\/127\.0\.0\.1:9\/ml-100k\.zip: fetch failed/,
    );
    expect(await readdir(dest)).toEqual(['keep.txt']);
  });
});
