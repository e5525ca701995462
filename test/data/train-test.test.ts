import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataOption } from '../../training/cli/data-option.js';
import { loadDataset } from '../../training/data/load.js';
import { chooseSplit } from '../../training/data/split.js';
import { FILES_SPLIT } from '../../training/data/train-test.js';
import { mfPipeline } from '../../training/pipeline/train-mf.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { ML100K } from '../helpers/datasets.js';


async function files(train: string, test: string): Promise<{ train: string; test: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'edgerec-train-test-'));
  const paths = { train: path.join(dir, 'train.csv'), test: path.join(dir, 'test.csv') };
  await writeFile(paths.train, train);
  await writeFile(paths.test, test);
  return paths;
}

describe('--train <file> --test <file>: your own split', () => {
  it('joins the files: the training ids first, then the test-only ones; split "files" is the pair', async () => {
    const f = await files('user,item,rating\na,x,4\na,y,3\nb,x,5\n', 'user,item,rating\nb,y,2\nc,z,1\n');
    const ds = await loadDataset(f.train, 'auto', { test: f.test });
    expect(ds.userIds).toEqual(['a', 'b', 'c']);
    expect(ds.itemIds).toEqual(['x', 'y', 'z']);
    expect([...ds.ratings.user]).toEqual([0, 0, 1, 1, 2]);
    expect([...ds.ratings.item]).toEqual([0, 1, 0, 1, 2]);
    expect([...ds.ratings.rating]).toEqual([4, 3, 5, 2, 1]);
    expect(ds.ratingRange).toEqual([1, 5]);
    expect(ds.itemMeta.map((m) => m.title)).toEqual(['x', 'y', 'z']);
    const split = chooseSplit(ds, FILES_SPLIT, 42);
    expect([[...split.train], [...split.test]]).toEqual([[0, 1, 2], [3, 4]]);
  });

  it('refuses a test rating that is also a training rating, naming the first pair and the count', async () => {
    const f = await files('user,item,rating\na,x,4\nb,y,3\n', 'user,item,rating\nb,y,2\na,x,1\nc,x,5\n');
    await expect(loadDataset(f.train, 'auto', { test: f.test })).rejects.toThrow(
      `test.csv: 2 of its ratings are also in the training file ${f.train} (the first: user "b", item "y") (a test rating must not be trained on: remove those pairs from one of the files)`,
    );
  });

  it('the options: both files or neither, not with --data, --split or --cv, and only for kinds that read ratings', () => {
    expect(dataOption({ data: 'd' }, 'ratings')).toBe('d');
    expect(dataOption({ train: 'a.csv', test: 'b.csv', cv: false }, 'ratings')).toBe('a.csv');
    expect(() => dataOption({}, 'ratings')).toThrow('--data is required');
    expect(() => dataOption({ test: 'b.csv' }, 'ratings')).toThrow('--train and --test come together (your own split: the training file and the test file); got only --test');
    expect(() => dataOption({ train: 'a.csv', test: 'b.csv', data: 'd' }, 'ratings')).toThrow('--data does not go with --train/--test');
    expect(() => dataOption({ train: 'a.csv', test: 'b.csv', split: 'u1' }, 'ratings')).toThrow('--split does not go with --train/--test');
    expect(() => dataOption({ train: 'a.csv', test: 'b.csv', cv: true }, 'ratings')).toThrow('--cv does not go with --train/--test');
    expect(() => dataOption({ train: 'a.csv', test: 'b.csv', model: 'itemtag' }, 'item-tags')).toThrow('--train/--test split ratings; --model itemtag reads item-tags from --data');
  });
});

describe.skipIf(!existsSync(ML100K))('u1 as two CSV files grades the same rows as --split u1 (real data, skipped when absent)', () => {
  beforeAll(useWasmBackend);

  /** u1.base / u1.test (tab-separated) rewritten as the CSV a user would export from another library's split. */
  async function u1Csv(): Promise<{ train: string; test: string }> {
    const csv = async (name: string) => 'user,item,rating,timestamp\n' + (await readFile(path.join(ML100K, name), 'latin1')).trim().split('\n').map((l) => l.split('\t').join(',')).join('\n') + '\n';
    return files(await csv('u1.base'), await csv('u1.test'));
  }

  it('the same 80,000 / 20,000 rows, and the bias baselines to 1e-6', async () => {
    const f = await u1Csv();
    const options = { dim: '4', epochs: '1', ranker: 'none', refit: 'none', index: 'none' };
    const common = { format: 'auto', seed: 42, quantization: 'f32' as const, log: () => {} };
    const out = () => mkdtemp(path.join(tmpdir(), 'edgerec-train-test-out-'));
    const pair = await mfPipeline.run({ ...common, data: f.train, split: FILES_SPLIT, out: await out(), options: { ...options, test: f.test } });
    const fold = await mfPipeline.run({ ...common, data: ML100K, split: 'u1', out: await out(), options });
    expect(pair.split).toBe(FILES_SPLIT);
    const rows = (r: typeof pair) => [r.dataset.train, r.dataset.test, r.dataset.ratings];
    expect(rows(pair)).toEqual([80_000, 20_000, 100_000]);
    expect(rows(pair)).toEqual(rows(fold));
    // u1's bias-only RMSE over all 20,000 test rows (deterministic: the baseline has no seed); 0.9595 without the 32
    // ratings of items u1.base never saw.
    expect(pair.baselines.bias.rmse).toBeCloseTo(0.95994, 4);
    expect(Object.keys(fold.baselines).sort()).toEqual(Object.keys(pair.baselines).sort());
    for (const [name, m] of Object.entries(fold.baselines)) {
      for (const [metric, x] of Object.entries(m)) expect(pair.baselines[name][metric], `${name} ${metric}`).toBeCloseTo(x as number, 6);
    }
  });
});
