import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { importArtifact } from '../../training/import/import-artifact.js';
import { readNdjsonTable } from '../../training/import/ndjson.js';
import { encodeNpy, npyMatrix, parseNpy } from '../../training/import/npy.js';
import { readNpyFactors, readNpzFactors } from '../../training/import/npz.js';
import { encodeSafetensors, parseSafetensors, readSafetensorsFactors, tensorMatrix } from '../../training/import/safetensors.js';
import { readSparkAls, readSparkFactors } from '../../training/import/spark-als.js';
import { checkTable } from '../../training/import/tables.js';
import { ITEMS, SPARK_ITEM_IDS, SPARK_USER_IDS, sparkItemVectors, sparkUserVectors, USERS, writeNpz } from '../helpers/import-files.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/import/${name}`, import.meta.url));
const rows = (values: Float32Array, dim: number) => Array.from({ length: values.length / dim }, (_, r) => Array.from(values.subarray(r * dim, (r + 1) * dim)));
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((d) => rm(d, { recursive: true, force: true }))));
async function tmpFile(name: string, body: string | Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgerec-import-'));
  roots.push(dir);
  await writeFile(join(dir, name), body);
  return join(dir, name);
}

describe('.npy (numpy.lib.format)', () => {
  it('writes the header the format spec gives, byte for byte', () => {
    // Spec: magic, version 1.0, u16 LE header length, the dict literal padded with spaces to a 64-byte boundary, "\n".
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const expected = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, 118, 0]), Buffer.from(dict + ' '.repeat(118 - dict.length - 1) + '\n')]);
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    expect(bytes.length).toBe(128 + 24);
    expect(Buffer.from(bytes.subarray(0, 128))).toEqual(expected);
  });

  it('reproduces numpy.save files exactly (floats and unicode ids)', async () => {
    expect(Buffer.from(encodeNpy(Float32Array.from(ITEMS.flat()), [5, 4]))).toEqual(await readFile(fixture('items.npy')));
    expect(Buffer.from(encodeNpy(['a', 'bb', 'cé', 'd', 'e'], [5]))).toEqual(await readFile(fixture('item-ids.npy')));
  });

  it.each(['items.npy', 'items-f8-fortran.npy', 'items-big-endian.npy', 'items-f16.npy'])('reads %s to the known vectors', async (name) => {
    const m = npyMatrix(parseNpy(await readFile(fixture(name)), name), name, 'the array');
    expect([m.rows, m.dim]).toEqual([5, 4]);
    expect(rows(m.values, 4)).toEqual(ITEMS);
  });

  it('npy + ids: item vectors keyed by the id file', async () => {
    const f = await readNpyFactors(fixture('items.npy'), fixture('item-ids.npy'));
    expect(f.items.ids).toEqual(['a', 'bb', 'cé', 'd', 'e']);
    expect(rows(f.items.values, 4)).toEqual(ITEMS);
  });

  it.each([
    ['pickled.npy', /pickled\.npy: has dtype "\|O", which this reader cannot read \(an object array is a pickle, which is never loaded here/],
    ['items-3d.npy', /items-3d\.npy: the item array has shape \(5, 2, 2\) and dtype <f4 \(expected a 2-D float array \[rows, dimensions\]\)/],
  ])('refuses %s', async (name, message) => {
    await expect(readNpyFactors(fixture(name), fixture('item-ids.npy'))).rejects.toThrow(message);
  });

  it('refuses a truncated file, a bad magic and a missing --ids, saying where', async () => {
    const bytes = await readFile(fixture('items.npy'));
    expect(() => parseNpy(bytes.subarray(0, 140), 'cut.npy')).toThrow('cut.npy: holds 12 data bytes after its header (byte 128), but shape (5, 4) of <f4 needs 80 (the file is truncated or its header is wrong)');
    expect(() => parseNpy(new Uint8Array(32), 'zero.npy')).toThrow('zero.npy: does not start with the .npy magic "\\x93NUMPY" (bytes 0-5 are 00 00 00 00 00 00)');
    await expect(readNpyFactors(fixture('items.npy'), undefined)).rejects.toThrow('items.npy: is a bare .npy of vectors: its rows have no ids (pass --ids <file>');
    const short = await tmpFile('ids.txt', 'a\nb\n');
    await expect(readNpyFactors(fixture('items.npy'), short)).rejects.toThrow('ids.txt: lists 2 item ids for 5 item vectors (expected one id per row, in row order)');
  });

  it('a NaN is refused with its row, column and id', async () => {
    const f = await readNpyFactors(fixture('items-nan.npy'), fixture('item-ids.npy'));
    expect(() => checkTable(f.items, 'items-nan.npy', 'item')).toThrow('items-nan.npy: item row 3 (id "d") has NaN at column 2 (every value must be a finite number: a diverged or corrupt export)');
  });
});

describe('.npz (implicit model.save, numpy.savez)', () => {
  it("reads implicit's file: user and item factors, rows as ids", async () => {
    const f = await readNpzFactors(fixture('implicit-als.npz'), {});
    expect(f.items.ids).toEqual(['0', '1', '2', '3', '4']);
    expect(rows(f.items.values, 4)).toEqual(ITEMS);
    expect(f.users!.ids).toEqual(['0', '1', '2']);
    expect(rows(f.users!.values, 4)).toEqual(USERS);
    expect(f.globalBias).toBeUndefined();
  });

  it('reads ids and biases from a compressed npz', async () => {
    const f = await readNpzFactors(fixture('biased.npz'), {});
    expect(f.items.ids).toEqual(['10', '20', '30', '40', '50']);
    expect(f.users!.ids).toEqual(['u7', 'u8', 'u9']);
    expect(Array.from(f.items.bias!)).toEqual([0.25, 0, -0.25, 1, 0.125]);
    expect(Array.from(f.users!.bias!)).toEqual([0.5, -0.5, 0]);
    expect(f.globalBias).toBe(3.5);
  });

  it('names the arrays it has when item_factors is missing, and refuses a file that is not a zip', async () => {
    const usersOnly = await tmpFile('users.npz', writeNpz({ user_factors: encodeNpy(Float32Array.from(USERS.flat()), [3, 4]), factors: encodeNpy(new Float32Array(1), []) }));
    await expect(readNpzFactors(usersOnly, {})).rejects.toThrow("users.npz: has no array item_factors (it has: user_factors, factors) (implicit's model.save() writes user_factors and item_factors)");
    await expect(readNpzFactors(fixture('items.npy'), {})).rejects.toThrow(/items\.npy: is not a readable \.npz: not a zip archive/);
  });
});

describe('safetensors', () => {
  const st = encodeSafetensors([{ name: 'item_embedding.weight', shape: [5, 4], data: Float32Array.from(ITEMS.flat()) }, { name: 'user_embedding.weight', shape: [3, 4], data: Float32Array.from(USERS.flat()) }]);

  it('lays out the documented header: u64 LE length, JSON padded to 8 bytes, then the data', () => {
    const n = Number(new DataView(st.buffer).getBigUint64(0, true));
    const json = new TextDecoder().decode(st.subarray(8, 8 + n));
    expect(json.trimEnd()).toBe('{"item_embedding.weight":{"dtype":"F32","shape":[5,4],"data_offsets":[0,80]},"user_embedding.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[80,128]}}');
    expect(n % 8).toBe(0);
    expect(st.length).toBe(8 + n + 128);
  });

  it('reads the named tensors, rows as ids', async () => {
    const file = await tmpFile('model.safetensors', st);
    const f = await readSafetensorsFactors(file, { tensor: 'item_embedding.weight', userTensor: 'user_embedding.weight' });
    expect(rows(f.items.values, 4)).toEqual(ITEMS);
    expect(rows(f.users!.values, 4)).toEqual(USERS);
    expect(f.items.ids).toEqual(['0', '1', '2', '3', '4']);
  });

  it('refuses a missing tensor (naming those it has), a wrong dtype, offsets that disagree with the shape, a truncated file', async () => {
    const file = await tmpFile('model.safetensors', st);
    await expect(readSafetensorsFactors(file, { tensor: 'items' })).rejects.toThrow('model.safetensors: has no tensor "items" (it has: "item_embedding.weight", "user_embedding.weight") (pass its name with --tensor)');
    const header = (h: object) => {
      const json = Buffer.from(JSON.stringify(h));
      const b = Buffer.alloc(8 + json.length + 16);
      b.writeBigUInt64LE(BigInt(json.length), 0);
      json.copy(b, 8);
      return new Uint8Array(b);
    };
    const ints = parseSafetensors(header({ ids: { dtype: 'I64', shape: [2, 1], data_offsets: [0, 16] } }), 'i.safetensors');
    expect(() => tensorMatrix(ints, 'ids', 'i.safetensors')).toThrow('i.safetensors: tensor "ids" has dtype I64, which this reader cannot read (expected F32, F16, BF16 or F64)');
    expect(() => parseSafetensors(header({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }), 'o.safetensors')).toThrow('o.safetensors: tensor "w" has shape [2,2] of F32 (16 bytes) but data_offsets [0, 12] span 12');
    expect(() => parseSafetensors(st.subarray(0, st.length - 10), 't.safetensors')).toThrow(`t.safetensors: tensor "user_embedding.weight" spans bytes ${st.length - 48}..${st.length} of a ${st.length - 10}-byte file (the file is truncated)`);
    expect(() => parseSafetensors(st.subarray(0, 100), 'h.safetensors')).toThrow(/h\.safetensors: declares a \d+-byte JSON header at byte 8, past the end of the file \(100 bytes\)/);
  });
});

describe('NDJSON vectors', () => {
  it('reads ids, values, titles, tags and biases', async () => {
    const file = await tmpFile('v.ndjson', '{"id":"a","values":[1,0],"metadata":{"title":"A","tags":["x","y"]},"bias":0.5}\n\n{"id":7,"values":[0,1],"metadata":{"tags":"p|q"},"bias":-1}\n');
    const { table, meta } = await readNdjsonTable(file);
    expect(table.ids).toEqual(['a', '7']);
    expect(rows(table.values, 2)).toEqual([[1, 0], [0, 1]]);
    expect(Array.from(table.bias!)).toEqual([0.5, -1]);
    expect(meta).toEqual([{ title: 'A', tags: ['x', 'y'] }, { tags: ['p', 'q'] }]);
  });

  it.each([
    ['{"id":"a","values":[1,0]}\n{"id":"b","values":[1]}\n', 'v.ndjson line 2: has 1 values, expected 2 like the first line: "{\\"id\\":\\"b\\",\\"values\\":[1]}"'],
    ['{"id":"a","values":[1,"NaN"]}\n', 'v.ndjson line 1: value 1 is "NaN": "{\\"id\\":\\"a\\",\\"values\\":[1,\\"NaN\\"]}" (every value must be a finite number)'],
    ['{"values":[1]}\n', 'v.ndjson line 1: id is undefined: "{\\"values\\":[1]}" (expected a string (or an integer) id)'],
    ['{"id":"a","values":[1]\n', /^v\.ndjson line 1: is not JSON/],
  ])('refuses %j', async (body, message) => {
    await expect(readNdjsonTable(await tmpFile('v.ndjson', body))).rejects.toThrow(message);
  });

  it('a repeated id is refused naming both rows', async () => {
    const { table } = await readNdjsonTable(await tmpFile('v.ndjson', '{"id":"a","values":[1]}\n{"id":"b","values":[2]}\n{"id":"a","values":[3]}\n'));
    expect(() => checkTable(table, 'v.ndjson', 'item')).toThrow('v.ndjson: item id "a" appears twice (rows 0 and 2) (expected one vector per id)');
  });
});

describe('Spark ALS Parquet (written by DuckDB in ALSModel.save layout)', () => {
  it('reads both part files in order, the users, and checks the rank in metadata/', async () => {
    const f = await readSparkAls(fixture('spark-als'));
    expect(f.items.ids).toEqual(SPARK_ITEM_IDS);
    expect(rows(f.items.values, 4)).toEqual(sparkItemVectors());
    expect(f.users!.ids).toEqual(SPARK_USER_IDS);
    expect(rows(f.users!.values, 4)).toEqual(sparkUserVectors());
  });

  it('a rank that disagrees with the features is refused', async () => {
    await expect(readSparkFactors(fixture('spark-als/itemFactors'), 8)).rejects.toThrow('part-00000-duckdb.snappy.parquet: row 0 (id 30) has 4 features, expected 8 (the rank in metadata/)');
  });

  it.each([
    ['ragged', 'part-00000.parquet: row 1 (id 2) has 3 features, expected 4 like the first row'],
    ['null-features', 'part-00000.parquet: row 1 (id 2) has null features (every row needs a vector)'],
    ['null-element', 'part-00000.parquet: row 1 (id 2) has null at feature 1 (every value must be a finite number)'],
    ['wrong-columns', 'part-00000.parquet: has the columns item (INT32), vector (LIST) (expected Spark ALS factors: id (int) and features (array<float>))'],
  ])('refuses %s', async (name, message) => {
    await expect(readSparkFactors(fixture(`spark-bad/${name}`), undefined)).rejects.toThrow(message);
  });

  it('a duplicate id is refused naming both rows; a missing folder says what Spark writes', async () => {
    const t = await readSparkFactors(fixture('spark-bad/duplicate-id'), undefined);
    expect(() => checkTable(t, 'part-00000.parquet', 'item')).toThrow('part-00000.parquet: item id "1" appears twice (rows 0 and 1)');
    await expect(readSparkAls(fixture('spark-bad'))).rejects.toThrow(/itemFactors: is missing \(ALSModel\.save writes userFactors\/ and itemFactors\/ beside metadata\/: pass the folder it was saved to\)/);
  });
});

describe('manifest.source', () => {
  it('is checked at load like the rest of the manifest', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'edgerec-import-src-')), 'a');
    roots.push(out);
    await importArtifact({ factors: await readNpzFactors(fixture('implicit-als.npz'), {}), seed: 1, quantization: 'q8', foldin: { alpha: 3, lambda: 30 }, index: 'none', out, log: () => {} });
    const [manifest, tensors, items] = await Promise.all(['manifest.json', 'tensors.bin', 'items.json'].map((f) => readFile(join(out, f))));
    const m = JSON.parse(manifest.toString());
    expect(m.source).toEqual({ format: 'npz', files: [fixture('implicit-als.npz')] });
    const decode = (source: unknown) => decodeArtifact(JSON.stringify({ ...m, source }), new Uint8Array(tensors), items.toString());
    expect((await decode(m.source)).manifest.source).toEqual(m.source);
    await expect(decode({ format: 'pickle', files: [] })).rejects.toThrow('manifest.json source {"format":"pickle","files":[]} is not {format: one of spark-als, npz, npy, safetensors, ndjson, files: [strings]}');
  });
});
