import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError } from '../errors.js';
import type { DecodedArtifact, DecodedTensor } from '../artifact/decode.js';
import type { ItemMeta, Manifest } from '../artifact/schema.js';
import { createEngineScorer, defaultInt8Scan, type EngineScorer } from './engine-scorer.js';
import { loadHead, type LoadedHead } from './head.js';
import { IdIndex } from './ids.js';
import { loadIvf, type IvfIndex } from './ivf.js';

/**
 * A model resident in tfjs memory, laid out for fast queries (RECIPES.md "Layout for fast scoring"):
 * item matrices are stored transposed, [d, N], so a query is one matMul of [1, d] by [d, N] and an item's
 * vector is fetched with gather along axis 1 (slicing a row out of [N, d] copies the whole tensor).
 */
export interface LoadedModel {
  name: string;
  version: string;
  manifest: Manifest;
  items: IdIndex;
  users: IdIndex;
  itemMeta: ItemMeta[];
  /** Seen items per user index (CSR), for excluding them from recommendations. */
  seenIndptr: Int32Array;
  seenIndices: Int32Array;
  dim: number;
  /**
   * Unit-length item vectors, [d, N]: cosine similarity is one matMul. On the engine (scorer 'engine') it is built on
   * first use by the queries the engine does not cover (ratings, explanations, fold-in, from-examples, arithmetic)
   * and then held until dispose; similar items and recommendations never build it.
   */
  itemsUnitT: tf.Tensor2D;
  /** [N] item vector lengths: u . v = |v| (u . v/|v|), so one matrix serves cosine and preference scores. */
  itemNorms: tf.Tensor1D;
  /** [N] item biases (zeros for models without biases). */
  itemBias: tf.Tensor1D;
  /** [U, d] user factors (a model without users, such as itemtag, has U = 0). */
  userFactors: tf.Tensor2D;
  /** [U] user biases. */
  userBias: tf.Tensor1D;
  globalBias: number;
  ratingRange: [number, number] | undefined;
  /** Tag embeddings (itemtag, bpr): unit length, [dt, T]; absent when the model has none. */
  tags?: { index: IdIndex; unitT: tf.Tensor2D; dim: number };
  /** A dense head over user/item vectors (deep, hybrid, classify): ratings and recommendations come from it. */
  head?: LoadedHead;
  /**
   * The implicit model a rating kind ships beside its rating model (manifest.ranker): recommendations rank by
   * rankUser . rankItem. Item vectors raw (not unit), [r, N]; absent when the model ranks by its own scores.
   */
  ranker?: { userFactors: tf.Tensor2D; itemsT: tf.Tensor2D; dim: number };
  /** Training interactions per item (from the seen lists): the popular list and the unknown-user fallback. */
  popularity: Int32Array;
  /**
   * Items to leave out of every answer without retraining (`npm run hide`; <model>/HIDDEN beside CURRENT). The model
   * store replaces the set when it re-reads the registry; queries only read it.
   */
  hidden: ReadonlySet<number>;
  /** Coarse index for similar items in large catalogues (optional ivf_* tensors; shared/model/ivf.ts). */
  ivf?: IvfIndex;
  /**
   * Who answers the dot-product queries (similar items, recommendations, visitors, the ranker): 'engine' = the int8
   * kernel over the artifact's codes (`engine` below; q8 artifacts), 'tfjs' = matMul + topk on the wasm backend
   * over itemsUnitT (f32/f16 artifacts, or when asked for: the bench's comparator, EDGEREC_SCORER=tfjs).
   */
  scorer: 'engine' | 'tfjs';
  engine?: EngineScorer;
  /** Bytes of tensor data held in the tfjs backend for this model (what /healthz memory.numBytes sums). */
  residentBytes: number;
  /** Bytes the engine holds besides (its kernels' linear memories and the JS tables it reads queries from); 0 on tfjs. */
  engineBytes: number;
  dispose(): void;
}

export interface LoadOptions {
  /**
   * The int8 kernel, shared/engine/int8-scan.wasm as a compiled module (the Worker imports it). Default: the one
   * registered with setDefaultInt8Scan (Node: useWasmBackend() in training/tf-node.ts registers it).
   */
  int8Scan?: WebAssembly.Module;
  /**
   * 'engine' (default): q8 item tables are scored by the kernel; f32/f16 ones stay on tfjs (they are published
   * as float to be answered as float; quantising them at load would change their answers). 'tfjs': today's path
   * for every artifact.
   */
  scorer?: 'engine' | 'tfjs';
}

/** Standard tensor names: every kind stores its final item (and user, tag) representations under these. */
export const TENSOR_NAMES = {
  userFactors: 'user_factors',
  itemFactors: 'item_factors',
  userBias: 'user_bias',
  itemBias: 'item_bias',
  globalBias: 'global_bias',
  tagFactors: 'tag_factors',
  rankUserFactors: 'rank_user_factors',
  rankItemFactors: 'rank_item_factors',
} as const;

export function loadModel(name: string, version: string, artifact: DecodedArtifact, opts: LoadOptions = {}): LoadedModel {
  const { manifest, items, tensors } = artifact;
  const { users: nUsers, items: nItems } = manifest.counts;
  const itemF = need(tensors, TENSOR_NAMES.itemFactors, 2);
  const dim = itemF.shape[1];
  expectShape(itemF, TENSOR_NAMES.itemFactors, [nItems, dim]);
  const userF = tensors.get(TENSOR_NAMES.userFactors) ?? { shape: [0, dim], dtype: 'f32', data: new Float32Array(0) };
  expectShape(userF, TENSOR_NAMES.userFactors, [nUsers, dim]);
  const tagF = tensors.get(TENSOR_NAMES.tagFactors);
  const tagIds = items.tags ?? [];
  if (tagF) expectShape(tagF, TENSOR_NAMES.tagFactors, [tagIds.length, tagF.shape[1] ?? 0]);
  const itemB = optional(tensors, TENSOR_NAMES.itemBias, [nItems]);
  const userB = optional(tensors, TENSOR_NAMES.userBias, [nUsers]);
  const globalB = optional(tensors, TENSOR_NAMES.globalBias, [1]);

  // The engine scores q8 item tables from their codes; without a kernel that is an error, not a silent fallback.
  const useEngine = opts.scorer !== 'tfjs' && itemF.q8 !== undefined;
  const module = useEngine ? (opts.int8Scan ?? defaultInt8Scan()) : undefined;
  if (useEngine && !module) {
    throw new Error(
      'loadModel: a q8 artifact is scored by the int8 kernel, and no kernel was given: pass opts.int8Scan ' +
        "(shared/engine/int8-scan.wasm as a WebAssembly.Module), call useWasmBackend() from training/tf-node.ts in Node, or ask for scorer: 'tfjs'",
    );
  }
  // Transpose (and normalise) in JS before upload so that only one copy of each matrix lands in the wasm heap. On
  // the engine the [d, N] f32 copy is built only when a query the engine does not cover first needs it (ratings,
  // explanations, fold-in, from-examples, arithmetic): similar items and recommendations never do.
  const norms = useEngine ? rowNormsQ8(itemF.q8!.values, itemF.q8!.scales, nItems, dim) : undefined;
  const eager = useEngine ? undefined : unitTransposed(itemF, nItems, dim);
  let unitT: tf.Tensor2D | undefined = eager ? tf.tensor2d(eager.unit, [dim, nItems]) : undefined;
  const itemNormsData = norms ?? eager!.norms;
  const buildUnitT = () => {
    // Built outside any caller's tidy (tf.tidy would dispose it with the caller's intermediates).
    let t!: tf.Tensor2D;
    tf.tidy(() => {
      t = tf.keep(tf.tensor2d(unitTransposed(itemF, nItems, dim).unit, [dim, nItems]));
    });
    return t;
  };
  const held = [
    tf.tensor1d(itemNormsData),
    tf.tensor1d(itemB ?? new Float32Array(nItems)),
    tf.tensor2d(userF.data, [nUsers, dim]),
    tf.tensor1d(userB ?? new Float32Array(nUsers)),
  ] as const;
  const [itemNorms, itemBias, userFactors, userBias] = held;
  const all: tf.Tensor[] = [...held];
  if (unitT) all.push(unitT);
  let tags: LoadedModel['tags'];
  if (tagF) {
    const [nTags, tagDim] = tagF.shape;
    const unitT = tf.tensor2d(transpose(normalizeRows(tagF.data, nTags, tagDim), nTags, tagDim), [tagDim, nTags]);
    all.push(unitT);
    tags = { index: new IdIndex('tag', tagIds), unitT, dim: tagDim };
  }
  // A head model scores through its network; loadHead validates the head against the tensors it names.
  let head: LoadedHead | undefined;
  try {
    head = manifest.head ? loadHead(manifest.head, tensors, dim, itemF.data, nItems, dim) : undefined;
  } catch (e) {
    all.forEach((t) => t.dispose());
    throw e;
  }
  if (head) all.push(...head.held);
  let ranker: LoadedModel['ranker'];
  const rankItemF = tensors.get(TENSOR_NAMES.rankItemFactors);
  if (rankItemF) {
    const rankDim = rankItemF.shape[1] ?? 0;
    const rankUserF = tensors.get(TENSOR_NAMES.rankUserFactors) ?? { shape: [0, rankDim], dtype: 'f32', data: new Float32Array(0) };
    try {
      if (!manifest.ranker) throw new ArtifactError(`artifact has tensor ${TENSOR_NAMES.rankItemFactors} but its manifest has no ranker`);
      expectShape(rankItemF, TENSOR_NAMES.rankItemFactors, [nItems, manifest.ranker.dim]);
      expectShape(rankUserF, TENSOR_NAMES.rankUserFactors, [nUsers, manifest.ranker.dim]);
    } catch (e) {
      all.forEach((t) => t.dispose());
      throw e;
    }
    const userFactors = tf.tensor2d(rankUserF.data, [nUsers, rankDim]);
    const itemsT = tf.tensor2d(transpose(rankItemF.data, nItems, rankDim), [rankDim, nItems]);
    all.push(userFactors, itemsT);
    ranker = { userFactors, itemsT, dim: rankDim };
  }
  let ivf: IvfIndex | undefined;
  try {
    ivf = loadIvf(tensors, itemF, itemNormsData, manifest.model.hyper?.ivfProbe, module);
  } catch (e) {
    all.forEach((t) => t.dispose());
    throw e;
  }
  let engine: EngineScorer | undefined;
  if (module && itemF.q8) {
    const rankQ8 = rankItemF?.q8 && ranker ? rankItemF.q8 : undefined;
    engine = createEngineScorer({
      module,
      items: itemF.q8,
      rows: nItems,
      dim,
      norms: itemNormsData,
      itemBias: itemB ?? new Float32Array(nItems),
      userFactors: userF.data,
      userBias: userB ?? new Float32Array(nUsers),
      ranker: rankQ8 && ranker ? { items: rankQ8, dim: ranker.dim, userFactors: tensors.get(TENSOR_NAMES.rankUserFactors)?.data ?? new Float32Array(0) } : undefined,
    });
  }
  const seenIndptr = Int32Array.from(items.seen.indptr);
  const seenIndices = Int32Array.from(items.seen.indices);
  let disposed = false;
  return {
    name,
    version,
    manifest,
    items: new IdIndex('item', items.items.map((m) => m.id)),
    users: new IdIndex('user', items.users),
    itemMeta: items.items,
    seenIndptr,
    seenIndices,
    dim,
    get itemsUnitT(): tf.Tensor2D {
      if (disposed) throw new Error(`model ${name}/${version} is disposed`);
      if (!unitT) all.push((unitT = buildUnitT()));
      return unitT;
    },
    itemNorms,
    itemBias,
    userFactors,
    userBias,
    globalBias: globalB ? globalB[0] : 0,
    ratingRange: manifest.ratingRange,
    tags,
    head,
    ranker,
    popularity: countItems(seenIndices, nItems),
    hidden: new Set<number>(),
    ivf,
    scorer: engine ? 'engine' : 'tfjs',
    engine,
    // A getter: on the engine the [d, N] copy may be built after load.
    get residentBytes(): number {
      return all.reduce((s, t) => s + t.size * 4, 0);
    },
    engineBytes: engine?.residentBytes ?? 0,
    dispose: () => {
      disposed = true;
      all.forEach((t) => t.dispose());
      engine?.dispose();
    },
  };
}

function countItems(indices: Int32Array, nItems: number): Int32Array {
  const counts = new Int32Array(nItems);
  for (const i of indices) counts[i]++;
  return counts;
}

function need(tensors: Map<string, DecodedTensor>, name: string, rank: number): DecodedTensor {
  const t = tensors.get(name);
  if (!t) throw new ArtifactError(`artifact has no tensor ${name}: it is not an embedding-factor model`);
  if (t.shape.length !== rank) throw new ArtifactError(`tensor ${name} has rank ${t.shape.length}, expected ${rank}`);
  return t;
}

function optional(tensors: Map<string, DecodedTensor>, name: string, shape: number[]): Float32Array | undefined {
  const t = tensors.get(name);
  if (!t) return undefined;
  expectShape(t, name, shape);
  return t.data;
}

function expectShape(t: DecodedTensor, name: string, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ArtifactError(`tensor ${name} has shape [${t.shape}], the manifest's counts need [${shape}]`);
  }
}

/** |row| of a q8 table as unitTransposedQ8 computes it (each element rounded to f32, summed in double). */
function rowNormsQ8(values: Int8Array, scales: Float32Array, rows: number, cols: number): Float32Array {
  const norms = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const s = scales[r];
    let ss = 0;
    for (let c = r * cols, end = c + cols; c < end; c++) {
      const x = Math.fround(values[c] * s);
      ss += x * x;
    }
    norms[r] = Math.sqrt(ss);
  }
  return norms;
}

/** Rows per block of unitTransposed: a block's source rows stay in cache while its columns are written. */
const BLOCK_ROWS = 64;

/**
 * normalizeRows + transpose in one pass, reading q8 tensors straight from their int8 values: no dequantised or
 * normalised [N, d] copy is made (at 250k x 64 those were two 64 MB transients). Values are bit-identical to the
 * two-step path: each element is rounded to f32 as dequantisation stores it, norms are summed in double.
 */
function unitTransposed(t: DecodedTensor, rows: number, cols: number): { unit: Float32Array; norms: Float32Array } {
  const unit = new Float32Array(rows * cols);
  const norms = new Float32Array(rows);
  if (t.q8) unitTransposedQ8(t.q8.values, t.q8.scales, rows, cols, unit, norms);
  else unitTransposedF32(t.data, rows, cols, unit, norms);
  return { unit, norms };
}

// Two monomorphic loops rather than one with a format branch inside: measured faster in a cold isolate.
function unitTransposedQ8(values: Int8Array, scales: Float32Array, rows: number, cols: number, unit: Float32Array, norms: Float32Array): void {
  const inv = new Float64Array(BLOCK_ROWS);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const r1 = Math.min(rows, r0 + BLOCK_ROWS);
    for (let r = r0; r < r1; r++) {
      const s = scales[r];
      let ss = 0;
      for (let c = r * cols, end = c + cols; c < end; c++) {
        const x = Math.fround(values[c] * s);
        ss += x * x;
      }
      norms[r] = Math.sqrt(ss);
      inv[r - r0] = norms[r] > 0 ? 1 / norms[r] : 0;
    }
    for (let c = 0; c < cols; c++) {
      for (let r = r0, out = c * rows + r0; r < r1; r++, out++) unit[out] = Math.fround(values[r * cols + c] * scales[r]) * inv[r - r0];
    }
  }
}

function unitTransposedF32(data: Float32Array, rows: number, cols: number, unit: Float32Array, norms: Float32Array): void {
  const inv = new Float64Array(BLOCK_ROWS);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const r1 = Math.min(rows, r0 + BLOCK_ROWS);
    for (let r = r0; r < r1; r++) {
      let ss = 0;
      for (let c = r * cols, end = c + cols; c < end; c++) ss += data[c] * data[c];
      norms[r] = Math.sqrt(ss);
      inv[r - r0] = norms[r] > 0 ? 1 / norms[r] : 0;
    }
    for (let c = 0; c < cols; c++) {
      for (let r = r0, out = c * rows + r0; r < r1; r++, out++) unit[out] = data[r * cols + c] * inv[r - r0];
    }
  }
}

export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}

/** Rows scaled to unit length; an all-zero row stays zero (it is similar to nothing). */
export function normalizeRows(
  data: Float32Array,
  rows: number,
  cols: number,
  norms = rowNorms(data, rows, cols),
): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const inv = norms[r] > 0 ? 1 / norms[r] : 0;
    for (let c = 0; c < cols; c++) out[base + c] = data[base + c] * inv;
  }
  return out;
}

export function rowNorms(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = r * cols, end = c + cols; c < end; c++) ss += data[c] * data[c];
    out[r] = Math.sqrt(ss);
  }
  return out;
}
