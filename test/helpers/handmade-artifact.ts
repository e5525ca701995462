// Artifacts written from vectors chosen by hand, so query answers can be worked out on paper. Built with the real
// encoder and read back by the real decoder (writeArtifact + readArtifact), stored f32 so no quantisation blurs them
// (the scorer is then tfjs); `quantization: 'q8'` stores the factor tables as int8, scored by the int8 engine.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeTensors, type TensorInput } from '../../shared/artifact/encode.js';
import { FORMAT_NAME, FORMAT_VERSION, type FoldinSpec, type Manifest, type RankerSpec } from '../../shared/artifact/schema.js';
import { loadModel, TENSOR_NAMES, type LoadedModel, type LoadOptions } from '../../shared/model/loaded.js';
import { readArtifact, writeArtifact } from '../../training/export/artifact-files.js';
import { useWasmBackend } from '../../training/tf-node.js';

export interface HandmadeModel {
  kind: string;
  items: { id: string; title: string; tags?: string[]; vector: number[]; bias?: number }[];
  users?: { id: string; vector: number[]; bias?: number; seen?: string[] }[];
  /** Tag embeddings (tag_factors), in the order of items.json's tag vocabulary. */
  tags?: { id: string; vector: number[] }[];
  globalBias?: number;
  ratingRange?: [number, number];
  foldin?: FoldinSpec;
  /** An implicit ranker beside the model: rank_item_factors / rank_user_factors rows in items' and users' order. */
  ranker?: { spec: Omit<RankerSpec, 'dim'>; items: number[][]; users: number[][] };
  /** Storage of item_factors, user_factors and the ranker's tables (biases stay f32, as the exporters write them). */
  quantization?: 'f32' | 'q8';
}

/** Writes the model as an artifact folder (a fresh temp dir) and returns its path. */
export async function writeHandmadeArtifact(m: HandmadeModel): Promise<string> {
  const users = m.users ?? [];
  const dim = m.items[0].vector.length;
  const flat = (rows: { vector: number[] }[], d: number) => {
    for (const r of rows) if (r.vector.length !== d) throw new Error(`vector ${JSON.stringify(r.vector)} is not ${d}-d`);
    return Float32Array.from(rows.flatMap((r) => r.vector));
  };
  const q = m.quantization ?? 'f32';
  const inputs: TensorInput[] = [{ name: TENSOR_NAMES.itemFactors, data: flat(m.items, dim), shape: [m.items.length, dim], dtype: q }];
  if (users.length) {
    inputs.push(
      { name: TENSOR_NAMES.userFactors, data: flat(users, dim), shape: [users.length, dim], dtype: q },
      { name: TENSOR_NAMES.userBias, data: Float32Array.from(users, (u) => u.bias ?? 0), shape: [users.length], dtype: 'f32' },
      { name: TENSOR_NAMES.itemBias, data: Float32Array.from(m.items, (i) => i.bias ?? 0), shape: [m.items.length], dtype: 'f32' },
      { name: TENSOR_NAMES.globalBias, data: Float32Array.of(m.globalBias ?? 0), shape: [1], dtype: 'f32' },
    );
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
  const enc = await encodeTensors(inputs);
  const itemIndex = new Map(m.items.map((it, i) => [it.id, i]));
  const indptr = [0];
  const indices: number[] = [];
  for (const u of users) {
    indices.push(...(u.seen ?? []).map((id) => itemIndex.get(id)!).sort((a, b) => a - b));
    indptr.push(indices.length);
  }
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: m.kind, hyper: { dim } },
    ...(m.ratingRange ? { ratingRange: m.ratingRange } : {}),
    counts: { users: users.length, items: m.items.length, ...(m.tags ? { tags: m.tags.length } : {}) },
    ...(m.foldin ? { foldin: m.foldin } : {}),
    ...(m.ranker ? { ranker: { ...m.ranker.spec, dim: m.ranker.items[0].length } } : {}),
    tensors: enc.entries,
    tensorsSha256: enc.sha256,
    tensorsBytes: enc.bytes.byteLength,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: { name: 'handmade', fingerprint: 'handmade', ratings: 0, split: 'none' },
    createdAt: '2026-11-01T00:00:00.000Z',
  };
  const dir = await mkdtemp(path.join(tmpdir(), 'edgerec-handmade-'));
  await writeArtifact(dir, {
    manifest,
    tensors: enc.bytes,
    items: {
      items: m.items.map(({ id, title, tags }) => (tags?.length ? { id, title, tags } : { id, title })),
      users: users.map((u) => u.id),
      seen: { indptr: users.length ? indptr : [], indices },
      ...(m.tags ? { tags: m.tags.map((t) => t.id) } : {}),
    },
  });
  return dir;
}

/** Writes and reads back the model, then loads it on the tfjs wasm backend, as the Worker would. */
export async function loadHandmade(m: HandmadeModel, name = 'handmade', opts: LoadOptions = {}): Promise<LoadedModel> {
  await useWasmBackend();
  return loadModel(name, 'v1', await readArtifact(await writeHandmadeArtifact(m)), opts);
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
