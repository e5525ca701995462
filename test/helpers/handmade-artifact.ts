// The one artifact factory of the tests and the bench: models written from vectors chosen by hand (so query answers
// can be worked out on paper), a tiny preset of items on an arc, and a small model trained by the real pipeline.
// Built by the training artifact builder (the manifest every pipeline writes) and read back by the real decoder
// (writeArtifact + readArtifact); stored f32 unless `quantization: 'q8'` stores the factor tables as int8 (scored by
// the int8 engine).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodePacked, type TensorInput } from '../../shared/artifact/encode.js';
import type { FoldinSpec, HeadSpec, Manifest, RankerSpec } from '../../shared/artifact/schema.js';
import { loadModel, TENSOR_NAMES, type LoadedModel, type LoadOptions } from '../../shared/model/loaded.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import { buildArtifact, type BuiltArtifact } from '../../training/export/artifact-builder.js';
import { readArtifact, writeArtifact } from '../../training/export/artifact-files.js';
import type { TrainReport } from '../../training/pipeline/kinds.js';
import { trainMfPipeline } from '../../training/pipeline/train-mf.js';
import { useWasmBackend } from '../../training/tf-node.js';

export interface HandmadeModel {
  kind: string;
  items: { id: string; title: string; tags?: string[]; vector: number[]; bias?: number }[];
  /** With users, user_bias and item_bias are written (zeros where no bias is given) unless `rowBiases` is false. */
  users?: { id: string; vector: number[]; bias?: number; seen?: string[] }[];
  /** Tag embeddings (tag_factors), in the order of items.json's tag vocabulary. */
  tags?: { id: string; vector: number[] }[];
  /** global_bias (with users; 0 when absent). */
  globalBias?: number;
  /**
   * false: no user_bias / item_bias tensors (the loader's zeros), as a plain dot-product export writes, and global_bias
   * only when `globalBias` is given.
   */
  rowBiases?: boolean;
  ratingRange?: [number, number];
  foldin?: FoldinSpec;
  /** An implicit ranker beside the model: rank_item_factors / rank_user_factors rows in items' and users' order. */
  ranker?: { spec: Omit<RankerSpec, 'dim'>; items: number[][]; users: number[][] };
  /** A dense head (manifest.head) and the tensors it reads (head_* kernels and biases, item_features), f32. */
  head?: { spec: HeadSpec; tensors: TensorInput[] };
  /** Storage of item_factors, user_factors and the ranker's tables (biases stay f32, as the exporters write them). */
  quantization?: 'f32' | 'q8';
  /** manifest.metrics (default empty). */
  metrics?: Manifest['metrics'];
  /** manifest.dataset.name and fingerprint (default 'handmade'). */
  dataset?: string;
  /** Default 2026-11-01T00:00:00.000Z; the version name (time + checksum) follows it. */
  createdAt?: string;
}

/** The model's tensors, in the order the exporters write them. */
function handmadeTensors(m: HandmadeModel): TensorInput[] {
  const users = m.users ?? [];
  const dim = m.items[0].vector.length;
  const flat = (rows: { vector: number[] }[], d: number) => {
    for (const r of rows) if (r.vector.length !== d) throw new Error(`vector ${JSON.stringify(r.vector)} is not ${d}-d`);
    return Float32Array.from(rows.flatMap((r) => r.vector));
  };
  const q = m.quantization ?? 'f32';
  const inputs: TensorInput[] = [{ name: TENSOR_NAMES.itemFactors, data: flat(m.items, dim), shape: [m.items.length, dim], dtype: q }];
  if (users.length) {
    inputs.push({ name: TENSOR_NAMES.userFactors, data: flat(users, dim), shape: [users.length, dim], dtype: q });
    if (m.rowBiases !== false) {
      inputs.push(
        { name: TENSOR_NAMES.userBias, data: Float32Array.from(users, (u) => u.bias ?? 0), shape: [users.length], dtype: 'f32' },
        { name: TENSOR_NAMES.itemBias, data: Float32Array.from(m.items, (i) => i.bias ?? 0), shape: [m.items.length], dtype: 'f32' },
      );
    }
    if (m.rowBiases !== false || m.globalBias !== undefined) {
      inputs.push({ name: TENSOR_NAMES.globalBias, data: Float32Array.of(m.globalBias ?? 0), shape: [1], dtype: 'f32' });
    }
  }
  if (m.tags) {
    const tagDim = m.tags[0].vector.length;
    inputs.push({ name: TENSOR_NAMES.tagFactors, data: flat(m.tags, tagDim), shape: [m.tags.length, tagDim], dtype: 'f32' });
  }
  if (m.ranker) {
    const r = m.ranker.items[0].length;
    const rows = (vs: number[][]) => vs.map((vector) => ({ vector }));
    inputs.push(
      { name: TENSOR_NAMES.rankItemFactors, data: flat(rows(m.ranker.items), r), shape: [m.items.length, r], dtype: q },
      { name: TENSOR_NAMES.rankUserFactors, data: flat(rows(m.ranker.users), r), shape: [users.length, r], dtype: q },
    );
  }
  return [...inputs, ...(m.head?.tensors ?? [])];
}

/** The model encoded in memory by the training artifact builder. */
export function handmadeArtifact(m: HandmadeModel): Promise<BuiltArtifact> {
  const users = m.users ?? [];
  const itemIndex = new Map(m.items.map((it, i) => [it.id, i]));
  const indptr = [0];
  const indices: number[] = [];
  for (const u of users) {
    indices.push(...(u.seen ?? []).map((id) => itemIndex.get(id)!).sort((a, b) => a - b));
    indptr.push(indices.length);
  }
  const name = m.dataset ?? 'handmade';
  return buildArtifact({
    kind: m.kind,
    tensors: handmadeTensors(m),
    hyper: { dim: m.items[0].vector.length },
    quantization: m.quantization ?? 'f32',
    ratingRange: m.ratingRange,
    counts: { users: users.length, items: m.items.length, ...(m.tags ? { tags: m.tags.length } : {}) },
    dataset: { name, fingerprint: name, ratings: 0, split: 'none' },
    items: {
      items: m.items.map(({ id, title, tags }) => (tags?.length ? { id, title, tags } : { id, title })),
      users: users.map((u) => u.id),
      seen: { indptr: users.length ? indptr : [], indices },
      ...(m.tags ? { tags: m.tags.map((t) => t.id) } : {}),
    },
    head: m.head?.spec,
    ranker: m.ranker ? { ...m.ranker.spec, dim: m.ranker.items[0].length } : undefined,
    foldin: m.foldin,
    createdAt: m.createdAt ?? '2026-11-01T00:00:00.000Z',
  }).then((built) => {
    if (m.metrics) built.manifest.metrics = m.metrics;
    return built;
  });
}

/** Writes the model as an artifact folder (a fresh temp dir) and returns its path. */
export async function writeHandmadeArtifact(m: HandmadeModel): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'edgerec-handmade-'));
  await writeArtifact(dir, await handmadeArtifact(m));
  return dir;
}

/** Writes and reads back the model, then loads it on the tfjs wasm backend, as the Worker would. */
export async function loadHandmade(m: HandmadeModel, name = 'handmade', opts: LoadOptions = {}): Promise<LoadedModel> {
  await useWasmBackend();
  return loadModel(name, 'v1', await readArtifact(await writeHandmadeArtifact(m)), opts);
}

/** The model decoded in memory (no files) and loaded on the tfjs wasm backend. */
export async function loadHandmadeInMemory(m: HandmadeModel, name = 'handmade'): Promise<LoadedModel> {
  await useWasmBackend();
  const a = await handmadeArtifact(m);
  return loadModel(name, 'v1', await decodePacked(a.manifest, a.tensors, a.items));
}

export interface TinyArtifactOptions {
  titles: string[];
  /** Items' original ids (default '1', '2', ...). */
  ids?: string[];
  /** Users' original ids; user u points at item u. Default: ['u0', 'u1']. */
  users?: string[];
  /** Items each user rated in training (excluded from their recommendations). Default: none. */
  seen?: number[][];
  createdAt?: string;
  /** Headline metric written into the manifest. */
  rmse?: number;
  /** manifest.foldin.implicit: lets the artifact fold visitors in (absent: it cannot, as artifacts before it). */
  foldin?: { alpha: number; lambda: number };
}

/**
 * Item i sits at angle step * i^1.1 radians in the first two of 4 dimensions, on an arc shorter than a half turn,
 * with gaps that grow along it: item 0's neighbours are 1, 2, 3, ... in that order, and user u (pointing at item u)
 * gets u, u-1, u+1, ... with no ties. Global bias 3, no row biases, rating range 1..5.
 */
export function tinyModel(o: TinyArtifactOptions): HandmadeModel {
  const n = o.titles.length;
  const step = Math.min(0.35, 3 / n ** 1.1);
  const angle = (i: number) => step * i ** 1.1;
  const ids = o.titles.map((_, i) => o.ids?.[i] ?? String(i + 1));
  const rmse = o.rmse ?? 0.9;
  return {
    kind: 'mf',
    items: o.titles.map((title, i) => ({ id: ids[i], title, vector: [Math.cos(angle(i)), Math.sin(angle(i)), 0.05, 0] })),
    users: (o.users ?? ['u0', 'u1']).map((id, u) => ({
      id,
      vector: [2 * Math.cos(angle(u)), 2 * Math.sin(angle(u)), 0, 0],
      seen: (o.seen?.[u] ?? []).map((i) => ids[i]),
    })),
    globalBias: 3,
    rowBiases: false,
    ratingRange: [1, 5],
    ...(o.foldin ? { foldin: { implicit: o.foldin } } : {}),
    metrics: { float: { rmse }, quantized: { rmse }, baselines: { global_mean: { rmse: 1.1 } } },
    dataset: 'tiny',
    createdAt: o.createdAt,
  };
}

/** The tiny preset written to a fresh temp dir; the version name (time + checksum) changes with createdAt. */
export function writeTinyArtifact(o: TinyArtifactOptions): Promise<string> {
  return writeHandmadeArtifact(tinyModel(o));
}

export const SMALL = { users: 300, items: 240, ratingsPerUser: 30, seed: 5 } as const;

/** Trains a small mf model on synthetic data by the real pipeline and writes its artifact to a fresh temp folder. */
export async function trainSmallArtifact(over: { seed?: number; quantization?: 'q8' | 'f16' | 'f32' } = {}): Promise<TrainReport> {
  const dataset = generateSynthetic({ ...SMALL, seed: over.seed ?? SMALL.seed });
  const out = await mkdtemp(path.join(tmpdir(), 'edgerec-artifact-'));
  return trainMfPipeline({
    dataset,
    split: 'random-80-20',
    options: { dim: 16, epochs: 25, seed: 1 },
    quantization: over.quantization ?? 'q8',
    // The Worker tests compare answers on one artifact; refit (tested in ranker-pipeline.test.ts) would only double
    // the training every one of them waits for.
    refit: 'none',
    out,
  });
}

/**
 * Six games and three tags in one 4-d space (axes: strategy, fantasy, war, sport), as itemtag would learn them.
 * Worked answers (cosines of unit vectors):
 * - similar to Age of Myth: Fantasy Quest 0.832, Grand Strategy 0.706, War Command 0.5, Dragon Wars 0.476,
 *   Football Manager 0.203;
 * - Age of Myth - Fantasy = (0.924, -0.383, 0, 0) renormalised: Grand Strategy 0.923, War Command 0.653,
 *   Football Manager 0.265, Fantasy Quest -0.194, Dragon Wars -0.257;
 * - Age of Myth - Fantasy + War: War Command first (0.976), then Grand Strategy (0.697);
 * - tags similar to War: Strategy 0.470, Fantasy 0.
 * Two users and biases make ratings checkable by hand: 3 + user bias + item bias + u . v, clipped to 1..5.
 */
export const GAMES: HandmadeModel = {
  kind: 'handmade',
  items: [
    { id: 'aom', title: 'Age of Myth', tags: ['Strategy', 'Fantasy'], vector: [1, 1, 0, 0], bias: 0.2 },
    { id: 'fq', title: 'Fantasy Quest', tags: ['Fantasy'], vector: [0.2, 1, 0, 0], bias: -0.1 },
    { id: 'gs', title: 'Grand Strategy', tags: ['Strategy'], vector: [1, 0, 0.05, 0] },
    { id: 'wc', title: 'War Command', tags: ['Strategy', 'War'], vector: [1, 0, 1, 0], bias: 0.3 },
    { id: 'dw', title: 'Dragon Wars', tags: ['Fantasy', 'War'], vector: [0, 1, 1.1, 0] },
    { id: 'fm', title: 'Football Manager', tags: ['Sport'], vector: [0.3, 0, 0, 1], bias: -0.5 },
  ],
  tags: [
    { id: 'Strategy', vector: [1, 0, 0.3, 0] },
    { id: 'Fantasy', vector: [0, 1, 0, 0] },
    { id: 'War', vector: [0.2, 0, 1, 0] },
  ],
  users: [
    { id: 'u1', vector: [1, 0, 0.5, 0], bias: 0.5, seen: ['gs'] },
    { id: 'u2', vector: [0, 1.5, 0, 0.5], bias: -0.5 },
  ],
  globalBias: 3,
  ratingRange: [1, 5],
};

/** The same items with tags in their own 3-d space, no rating scale (as bpr exports): arithmetic must refuse it. */
export const GAMES_OWN_TAG_SPACE: HandmadeModel = {
  ...GAMES,
  kind: 'bpr',
  tags: GAMES.tags!.map((t) => ({ id: t.id, vector: t.vector.slice(0, 3) })),
  ratingRange: undefined,
};
