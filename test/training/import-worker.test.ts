import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../training/data/synthetic.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { exportVectorize } from '../../training/export/vectorize-ndjson.js';
import { importArtifact } from '../../training/import/import-artifact.js';
import { encodeNpy } from '../../training/import/npy.js';
import { readSource, type SourceOptions } from '../../training/import/read-source.js';
import { encodeSafetensors } from '../../training/import/safetensors.js';
import type { ImportFormat } from '../../shared/artifact/schema.js';
import type { TrainReport } from '../../training/pipeline/kinds.js';
import { trainMfPipeline } from '../../training/pipeline/train-mf.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { bucketOf } from '../helpers/artifact.js';
import { sparkParquet, writeNpz } from '../helpers/import-files.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

interface Scored { id: string; score: number; rating?: number }

const dataset = generateSynthetic({ users: 120, items: 90, ratingsPerUser: 20, seed: 3 });
const QUERY_ITEMS = ['1', '17', '60'];
const QUERY_USERS = ['1', '44', '120'];

let worker: StartedWorker;
let root: string;
let trained: TrainReport;
let V: { dim: number; users: string[]; items: string[]; u: Float32Array; v: Float32Array; bu: Float32Array; bi: Float32Array; mu: number; range: [number, number] };

const get = async (path: string) => {
  const res = await worker.fetch(path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as { results: Scored[]; rating?: number };
};
const similar = (model: string, item: string) => get(`/v1/models/${model}/items/${item}/similar?k=10`).then((b) => b.results);
const recs = (model: string, user: string) => get(`/v1/models/${model}/users/${user}/recommendations?k=10&exclude_seen=false`).then((b) => b.results);
const row = (m: Float32Array, r: number) => m.subarray(r * V.dim, (r + 1) * V.dim);
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k], 0);

/** The edgerec-trained vectors written in one format: [--from, path, reader options]. */
async function writeFormat(format: ImportFormat): Promise<[string, SourceOptions]> {
  const dir = join(root, format);
  await mkdir(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const ids = (xs: string[]) => xs.join('\n') + '\n';
  switch (format) {
    case 'npz':
      await writeFile(f('model.npz'), writeNpz({
        user_factors: encodeNpy(V.u, [V.users.length, V.dim]), item_factors: encodeNpy(V.v, [V.items.length, V.dim]),
        user_ids: encodeNpy(V.users, [V.users.length]), item_ids: encodeNpy(V.items, [V.items.length]),
        user_bias: encodeNpy(V.bu, [V.users.length]), item_bias: encodeNpy(V.bi, [V.items.length]), global_bias: encodeNpy(Float32Array.of(V.mu), []),
      }));
      return [f('model.npz'), {}];
    case 'npy':
      await writeFile(f('items.npy'), encodeNpy(V.v, [V.items.length, V.dim]));
      await writeFile(f('users.npy'), encodeNpy(V.u, [V.users.length, V.dim]));
      await writeFile(f('item-ids.txt'), ids(V.items));
      await writeFile(f('user-ids.npy'), encodeNpy(V.users, [V.users.length]));
      return [f('items.npy'), { ids: f('item-ids.txt'), users: f('users.npy'), userIds: f('user-ids.npy') }];
    case 'safetensors':
      await writeFile(f('model.safetensors'), encodeSafetensors([{ name: 'item.weight', shape: [V.items.length, V.dim], data: V.v }, { name: 'user.weight', shape: [V.users.length, V.dim], data: V.u }]));
      await writeFile(f('item-ids.txt'), ids(V.items));
      await writeFile(f('user-ids.txt'), ids(V.users));
      return [f('model.safetensors'), { tensor: 'item.weight', userTensor: 'user.weight', ids: f('item-ids.txt'), userIds: f('user-ids.txt') }];
    case 'spark-als':
      await mkdir(f('itemFactors'));
      await mkdir(f('userFactors'));
      await writeFile(f('itemFactors/part-00000.snappy.parquet'), sparkParquet(V.items.map(Number), V.v, V.dim));
      await writeFile(f('userFactors/part-00000.snappy.parquet'), sparkParquet(V.users.map(Number), V.u, V.dim));
      return [dir, {}];
    case 'ndjson': {
      const lines = (xs: string[], m: Float32Array, b: Float32Array) => xs.map((id, r) => JSON.stringify({ id, values: Array.from(row(m, r)), bias: b[r] }) + '\n').join('');
      await writeFile(f('items.ndjson'), lines(V.items, V.v, V.bi));
      await writeFile(f('users.ndjson'), lines(V.users, V.u, V.bu));
      return [f('items.ndjson'), { users: f('users.ndjson') }];
    }
  }
}

const catalogue = () => new Map(dataset.itemIds.map((id, i) => [id, { title: dataset.itemMeta[i].title, tags: dataset.itemMeta[i].tags }]));

async function importAs(format: ImportFormat, name: string, quantization: 'f32' | 'q8' = 'f32'): Promise<string> {
  const [path, opts] = await writeFormat(format);
  const factors = await readSource(format, path, opts);
  // npz and ndjson carry the biases (mu goes with npz only; ndjson's biased model gets mu 0 unless given).
  if (format === 'ndjson') factors.globalBias = V.mu;
  const out = join(root, `${name}-artifact`);
  await importArtifact({ factors, catalogue: catalogue(), seed: 1, quantization, ...(factors.items.bias ? { ratingRange: V.range } : {}), foldin: { alpha: 3, lambda: 30 }, index: 'none', out, log: () => {} });
  await publishArtifact(bucketOf(worker.bucket), out, name);
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgerec-import-worker-'));
  const original = join(root, 'original');
  [trained, worker] = await Promise.all([
    trainMfPipeline({ dataset, split: 'random-80-20', options: { dim: 8, epochs: 10, seed: 1 }, quantization: 'f32', ranker: 'none', refit: 'none', out: original }),
    startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
  ]);
  const a = await readArtifact(original);
  const t = (name: string) => a.tensors.get(name)!.data;
  V = {
    dim: a.tensors.get('item_factors')!.shape[1], users: a.items.users, items: a.items.items.map((i) => i.id),
    u: t('user_factors'), v: t('item_factors'), bu: t('user_bias'), bi: t('item_bias'), mu: t('global_bias')[0], range: a.manifest.ratingRange!,
  };
  await publishArtifact(bucketOf(worker.bucket), original, 'original');
  for (const format of ['npz', 'npy', 'safetensors', 'spark-als', 'ndjson'] as const) await importAs(format, format);
}, 120_000);
afterAll(async () => {
  await worker?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('vectors trained by edgerec, exported to each format and imported, answer as the original', () => {
  it.each(['npz', 'npy', 'safetensors', 'spark-als', 'ndjson'])('%s: similar items are identical (ids, titles, scores)', async (model) => {
    for (const item of QUERY_ITEMS) expect(await similar(model, item)).toEqual(await similar('original', item));
  });

  it.each(['npz', 'ndjson'])('%s (with biases): recommendations and ratings are identical', async (model) => {
    for (const user of QUERY_USERS) {
      expect(await recs(model, user)).toEqual(await recs('original', user));
      const path = (m: string) => `/v1/models/${m}/users/${user}/items/17/rating`;
      expect((await get(path(model))).rating).toBe((await get(path('original'))).rating);
    }
  });

  it.each(['npy', 'safetensors', 'spark-als'])('%s (no biases): recommendations are the top 10 of the vectors\' own dot products', async (model) => {
    for (const user of QUERY_USERS) {
      const u = V.users.indexOf(user);
      const truth = V.items.map((id, i) => ({ id, score: dot(row(V.u, u), row(V.v, i)) })).sort((a, b) => b.score - a.score).slice(0, 10);
      const got = await recs(model, user);
      expect(got.map((r) => r.id)).toEqual(truth.map((r) => r.id));
      got.forEach((r, j) => expect(Math.abs(r.score - truth[j].score)).toBeLessThan(1e-5));
      expect(got[0].rating).toBeUndefined();
    }
  });

  it('the manifest records the source and the kind', async () => {
    const m = JSON.parse(await readFile(join(root, 'spark-als-artifact', 'manifest.json'), 'utf8'));
    expect(m.source).toEqual({ format: 'spark-als', files: [join(root, 'spark-als')] });
    expect([m.model.kind, m.ratingRange]).toEqual(['bpr', undefined]);
    const n = JSON.parse(await readFile(join(root, 'npz-artifact', 'manifest.json'), 'utf8'));
    expect([n.model.kind, n.ratingRange, n.source.format]).toEqual(['mf', V.range, 'npz']);
  });
});

describe('an int8 import is served from its codes', () => {
  it('similar-item scores are the float vectors\' cosines within the q8 error, and the top result agrees', async () => {
    await importAs('npz', 'npz-q8', 'q8');
    const unit = (i: number) => {
      const r = row(V.v, i);
      const n = Math.hypot(...r);
      return Float32Array.from(r, (x) => x / n);
    };
    for (const item of QUERY_ITEMS) {
      const q = V.items.indexOf(item);
      const truth = V.items.map((id, i) => ({ id, score: dot(unit(q), unit(i)) })).filter((r) => r.id !== item).sort((a, b) => b.score - a.score);
      const got = await similar('npz-q8', item);
      expect(got[0].id).toBe(truth[0].id);
      for (const r of got) expect(Math.abs(r.score - truth.find((t) => t.id === r.id)!.score)).toBeLessThan(0.02);
    }
  });
});

describe('the Vectorize export of an imported artifact', () => {
  it('re-imports to the same answers (the NDJSON carries ids, values, titles and tags)', async () => {
    const file = join(root, 'vectorize.ndjson');
    const r = await exportVectorize(await readArtifact(join(root, 'npy-artifact')), file, 'recs', 'cosine');
    expect(r.commands[0]).toBe(`npx wrangler vectorize create recs --dimensions=${V.dim} --metric=cosine`);
    const factors = await readSource('ndjson', file, {});
    const out = join(root, 'from-vectorize');
    await importArtifact({ factors, seed: 1, quantization: 'f32', foldin: { alpha: 3, lambda: 30 }, index: 'none', out, log: () => {} });
    await publishArtifact(bucketOf(worker.bucket), out, 'from-vectorize');
    for (const item of QUERY_ITEMS) expect(await similar('from-vectorize', item)).toEqual(await similar('original', item));
  });
});

describe('--ratings: an imported model is evaluated as train evaluates it', () => {
  it('on the split the vectors were trained on, RMSE, MAE, baselines and the served figures are train\'s own', async () => {
    const [path] = await writeFormat('npz');
    const out = join(root, 'evaluated');
    const r = await importArtifact({ factors: await readSource('npz', path, {}), ratings: dataset, split: 'random-80-20', seed: 1, quantization: 'f32', foldin: { alpha: 3, lambda: 30 }, index: 'none', out, log: () => {} });
    const e = r.evaluation!;
    expect(e.metrics.rmse).toBeCloseTo(trained.metrics.rmse as number, 6);
    expect(e.metrics.mae).toBeCloseTo(trained.metrics.mae as number, 6);
    expect(e.baselines).toEqual(trained.baselines);
    expect(e.quantized.rmse).toBeCloseTo(trained.quantized.rmse as number, 6);
    const m = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect([m.dataset.split, m.dataset.ratings, m.metrics.float.rmse]).toEqual(['random-80-20', dataset.ratings.rating.length, e.metrics.rmse]);
  });

  it('a dot model gets ranking metrics against most-popular, and its seen lists leave rated items out', async () => {
    const [path, opts] = await writeFormat('safetensors');
    const out = join(root, 'ranked');
    const r = await importArtifact({ factors: await readSource('safetensors', path, opts), ratings: dataset, seed: 1, quantization: 'q8', foldin: { alpha: 3, lambda: 30 }, index: 'none', out, log: () => {} });
    expect(r.split).toBe('ranking-75-25');
    expect(Object.keys(r.evaluation!.metrics).sort()).toEqual(Object.keys(r.evaluation!.baselines.most_popular).sort());
    expect(r.evaluation!.metrics.ndcg_at_10).toBeGreaterThan(0);
    expect(Math.abs(r.evaluation!.quantized.ndcg_at_10 - r.evaluation!.metrics.ndcg_at_10)).toBeLessThan(0.02);
    await publishArtifact(bucketOf(worker.bucket), out, 'ranked');
    const rated = new Set(Array.from(dataset.ratings.user.keys()).filter((row) => dataset.userIds[dataset.ratings.user[row]] === '44').map((row) => dataset.itemIds[dataset.ratings.item[row]]));
    const res = (await get('/v1/models/ranked/users/44/recommendations?k=20')).results;
    expect(res).toHaveLength(20);
    expect(res.filter((x) => rated.has(x.id))).toEqual([]);
  });

  it('ratings of ids the model has no vector for are refused, naming the first', async () => {
    const [path] = await writeFormat('npz');
    const other = { ...dataset, userIds: dataset.userIds.map((u) => (u === '7' ? 'stranger' : u)) };
    await expect(importArtifact({ factors: await readSource('npz', path, {}), ratings: other, seed: 1, quantization: 'f32', foldin: { alpha: 3, lambda: 30 }, index: 'none', out: join(root, 'x'), log: () => {} }))
      .rejects.toThrow(/has \d+ ratings the imported model cannot score: 1 user it has no vector for \(first: "stranger"\).*or pass --drop-unknown/);
    const logs: string[] = [];
    const out = join(root, 'dropped');
    await importArtifact({ factors: await readSource('npz', path, {}), ratings: other, dropUnknown: true, seed: 1, quantization: 'f32', foldin: { alpha: 3, lambda: 30 }, index: 'none', out, log: (l) => logs.push(l) });
    const strangerRows = Array.from(dataset.ratings.user).filter((u) => dataset.userIds[u] === '7').length;
    expect(strangerRows).toBeGreaterThan(0);
    expect(logs[0]).toBe(`--drop-unknown: left out ${strangerRows} of ${dataset.ratings.rating.length} ratings whose user or item has no vector`);
    expect(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')).dataset.ratings).toBe(dataset.ratings.rating.length - strangerRows);
  });
});
