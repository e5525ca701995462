import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError } from '../errors.js';
import type { DecodedArtifact, DecodedTensor } from '../artifact/decode.js';
import { catalogBytes, itemMeta as catalogItem, ownCatalog, type Catalog } from '../artifact/catalog.js';
import type { ItemMeta, Manifest } from '../artifact/schema.js';
import { createEngineScorerSteps, defaultInt8Scan, type EngineScorer, type RowSource } from './engine-scorer.js';
import { loadHead, type LoadedHead } from './head.js';
import { IdIndex } from './ids.js';
import { loadIvf, type IvfIndex } from './ivf.js';
import { drain } from '../engine/int8-engine.js';

/**
 * A model resident in tfjs memory, laid out for fast queries (docs/recipes.md "Layout for fast scoring on tfjs"):
 * item matrices are stored transposed, [d, N], so a query is one matMul of [1, d] by [d, N] and an item's
 * vector is fetched with gather along axis 1 (slicing a row out of [N, d] copies the whole tensor).
 */
export interface LoadedModel {
  name: string;
  version: string;
  manifest: Manifest;
  /** The catalogue blocks (ids, titles, tags, seen lists), copied out of tensors.bin. */
  catalog: Catalog;
  items: IdIndex;
  users: IdIndex;
  /** Item i as answers show it (its id, title and tags decoded now). */
  item(i: number): ItemMeta;
  /** Every item as an object, materialised on first use and kept: for tools and tests, never on a request path. */
  readonly itemMeta: readonly ItemMeta[];
  /** Seen items per user index (CSR), for excluding them from recommendations. */
  seenIndptr: Int32Array;
  seenIndices: Int32Array;
  dim: number;
  /**
   * Unit-length item vectors, [d, N]: cosine similarity is one matMul. On the engine (scorer 'engine') it, and the
   * other tfjs tensors below, are built on first use by the queries the engine does not cover (from-examples,
   * arithmetic, batch evaluation) and then held until dispose; similar items, recommendations, ratings,
   * explanations and fold-in never build them.
   */
  readonly itemsUnitT: tf.Tensor2D;
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
  readonly popularity: Int32Array;
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
  /** Bytes of the catalogue blocks (ids, titles, tags, seen lists) this model keeps in JS. */
  catalogBytes: number;
  dispose(): void;
}

/**
 * What a loaded model holds against the Worker's memory budget (MODEL_MEMORY_BUDGET_MB), and what `npm run split`
 * checks a split against: its tfjs tensor bytes and the int8 engine's memory (its codes, factors and terms, and the
 * JS rows it reads queries from). The catalogue blocks (ids, titles, tags, seen lists: catalogBytes, 45 MB of the
 * 125 MB a 1M x 64 bench catalogue holds) are outside it, as the rest of the JS heap is: the budget is sized for
 * them (functions/model-budget.ts DEFAULT_BUDGET_MB).
 */
export function modelBytes(m: { residentBytes: number; engineBytes: number }): number {
  return m.residentBytes + m.engineBytes;
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
  /**
   * Whether tfjs has a backend ready (the Worker initialises tfjs-wasm only for models and queries that use it).
   * A tensor built on first use (see itemsUnitT) while it says false throws TfjsNotReadyError instead: the caller
   * initialises tfjs and asks again. Absent: tfjs is taken to be ready (Node, tests).
   */
  tfReady?: () => boolean;
}

/** A query needs a tfjs tensor of a model loaded without tfjs: initialise the backend, then run the query again. */
export class TfjsNotReadyError extends Error {
  constructor(what: string) {
    super(`${what} needs tfjs, which is not initialised in this isolate yet`);
    this.name = 'TfjsNotReadyError';
  }
}

/**
 * Whether loading `artifact` builds tfjs tensors at once: the tfjs scorer, float item tables, dense heads and a
 * float ranker do. A q8 model on the engine loads without tfjs (its tfjs tensors are built on first use, if ever).
 */
export function needsTfjsAtLoad(artifact: DecodedArtifact, opts: LoadOptions = {}): boolean {
  const t = artifact.tensors;
  const itemF = t.get(TENSOR_NAMES.itemFactors);
  const rankF = t.get(TENSOR_NAMES.rankItemFactors);
  return opts.scorer === 'tfjs' || !itemF?.q8 || artifact.manifest.head !== undefined || (rankF !== undefined && !rankF.q8);
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
  return drain(loadModelSteps(name, version, artifact, opts));
}

/**
 * loadModel in steps: the generator pauses between the long parts of a load (the catalogue copy, each chunk of the
 * codes copied into the kernel's memory), so the Worker's model store can answer requests in between; loadModel
 * runs it without pausing. Nothing is visible to queries before it returns the model.
 */
export function* loadModelSteps(name: string, version: string, artifact: DecodedArtifact, opts: LoadOptions = {}): Generator<void, LoadedModel, void> {
  const { manifest, tensors } = artifact;
  const { users: nUsers, items: nItems } = manifest.counts;
  const itemF = need(tensors, TENSOR_NAMES.itemFactors, 2);
  const dim = itemF.shape[1];
  expectShape(itemF, TENSOR_NAMES.itemFactors, [nItems, dim]);
  const userF = tensors.get(TENSOR_NAMES.userFactors) ?? { shape: [0, dim], dtype: 'f32', data: new Float32Array(0) };
  expectShape(userF, TENSOR_NAMES.userFactors, [nUsers, dim]);
  const tagF = tensors.get(TENSOR_NAMES.tagFactors);
  const tagIds = artifact.catalog.tags ?? [];
  if (tagF) expectShape(tagF, TENSOR_NAMES.tagFactors, [tagIds.length, tagF.shape[1] ?? 0]);
  const itemB = optional(tensors, TENSOR_NAMES.itemBias, [nItems]);
  const userB = optional(tensors, TENSOR_NAMES.userBias, [nUsers]);
  const globalB = optional(tensors, TENSOR_NAMES.globalBias, [1]);
  const rankItemF = tensors.get(TENSOR_NAMES.rankItemFactors);
  const rankDim = rankItemF?.shape[1] ?? 0;
  const rankUserF = rankItemF ? (tensors.get(TENSOR_NAMES.rankUserFactors) ?? { shape: [0, rankDim], dtype: 'f32' as const, data: new Float32Array(0) }) : undefined;
  if (rankItemF) {
    if (!manifest.ranker) throw new ArtifactError(`artifact has tensor ${TENSOR_NAMES.rankItemFactors} but its manifest has no ranker`);
    expectShape(rankItemF, TENSOR_NAMES.rankItemFactors, [nItems, manifest.ranker.dim]);
    expectShape(rankUserF!, TENSOR_NAMES.rankUserFactors, [nUsers, manifest.ranker.dim]);
  }

  // The engine scores q8 item tables from their codes; without a kernel that is an error, not a silent fallback.
  const useEngine = opts.scorer !== 'tfjs' && itemF.q8 !== undefined;
  const module = useEngine ? (opts.int8Scan ?? defaultInt8Scan()) : undefined;
  if (useEngine && !module) {
    throw new Error(
      'loadModel: a q8 artifact is scored by the int8 kernel, and no kernel was given: pass opts.int8Scan ' +
        "(shared/engine/int8-scan.wasm as a WebAssembly.Module), call useWasmBackend() from training/tf-node.ts in Node, or ask for scorer: 'tfjs'",
    );
  }
  // Nothing the model keeps may view tensors.bin: the codes live on in the kernel's memory (or tfjs), and a view would
  // keep the whole upload alive beside them. `own` copies what is kept (small next to the codes).
  const own = <T extends Float32Array | Int8Array>(a: T): T => a.slice() as T;
  const rowSource = (t: DecodedTensor): RowSource => (t.q8 ? { q8: { values: own(t.q8.values), scales: own(t.q8.scales) } } : { f32: own(t.data) });
  const catalog = ownCatalog(artifact.catalog);
  yield;
  // Built outside any caller's tidy (tf.tidy would dispose it with the caller's intermediates) and kept until dispose.
  const all: tf.Tensor[] = [];
  let disposed = false;
  const lazy = <T extends tf.Tensor>(make: () => T): (() => T) => {
    let t: T | undefined;
    return () => {
      if (disposed) throw new Error(`model ${name}/${version} is disposed`);
      if (!t) {
        if (opts.tfReady && !opts.tfReady()) throw new TfjsNotReadyError(`a query on ${name}/${version}`);
        tf.tidy(() => {
          t = tf.keep(make());
        });
        all.push(t!);
      }
      return t!;
    };
  };
  const held = <T extends tf.Tensor>(t: T): T => {
    all.push(t);
    return t;
  };
  const fail = (e: unknown): never => {
    all.forEach((t) => t.dispose());
    throw e;
  };

  let engine: EngineScorer | undefined;
  let itemNormsData: Float32Array;
  // On the engine the f32 tfjs tensors are built only if a query the engine does not cover asks for them (from-examples,
  // arithmetic, batch evaluation): similar items, recommendations, ratings, explanations and fold-in never do. On tfjs
  // they are uploaded now, as before. Transpose (and normalise) in JS before upload so that only one copy of each
  // matrix lands in the wasm heap.
  let unitT: () => tf.Tensor2D;
  let itemNorms: () => tf.Tensor1D;
  let itemBias: () => tf.Tensor1D;
  let userFactors: () => tf.Tensor2D;
  let userBias: () => tf.Tensor1D;
  const userBiasData = userB ? Float32Array.from(userB) : new Float32Array(nUsers);
  if (module && itemF.q8) {
    const q = itemF.q8;
    itemNormsData = own(q.norms);
    const rankQ8 = rankItemF?.q8;
    engine = yield* createEngineScorerSteps({
      module,
      items: q,
      rows: nItems,
      dim,
      norms: itemNormsData,
      itemBias: itemB ?? new Float32Array(nItems),
      users: rowSource(userF),
      userBias: userBiasData,
      ranker: rankQ8 && manifest.ranker ? { items: rankQ8, dim: rankDim, users: rowSource(rankUserF!) } : undefined,
    });
    const e = engine;
    const itemsF32 = () => {
      const out = new Float32Array(nItems * dim);
      for (let i = 0; i < nItems; i++) e.itemRow(i, out.subarray(i * dim, (i + 1) * dim));
      return out;
    };
    unitT = lazy(() => tf.tensor2d(unitTransposed({ shape: [nItems, dim], dtype: 'f32', data: itemsF32() }, nItems, dim).unit, [dim, nItems]));
    itemNorms = lazy(() => tf.tensor1d(itemNormsData));
    itemBias = lazy(() => tf.tensor1d(Float32Array.from({ length: nItems }, (_, i) => e.itemBias(i))));
    userFactors = lazy(() => {
      const out = new Float32Array(nUsers * dim);
      for (let u = 0; u < nUsers; u++) out.set(e.userRow(u), u * dim);
      return tf.tensor2d(out, [nUsers, dim]);
    });
    userBias = lazy(() => tf.tensor1d(userBiasData));
  } else {
    const eager = unitTransposed(itemF, nItems, dim);
    itemNormsData = eager.norms;
    const u = held(tf.tensor2d(eager.unit, [dim, nItems]));
    const n = held(tf.tensor1d(itemNormsData));
    const b = held(tf.tensor1d(itemB ?? new Float32Array(nItems)));
    const uf = held(tf.tensor2d(userF.data, [nUsers, dim]));
    const ub = held(tf.tensor1d(userBiasData));
    [unitT, itemNorms, itemBias, userFactors, userBias] = [() => u, () => n, () => b, () => uf, () => ub];
  }
  let tags: LoadedModel['tags'];
  if (tagF) {
    const [nTags, tagDim] = tagF.shape;
    // A copy: a view would keep all of tensors.bin alive until the first tag query.
    const tagData = own(tagF.data);
    const make = () => tf.tensor2d(transpose(normalizeRows(tagData, nTags, tagDim), nTags, tagDim), [tagDim, nTags]);
    // Built with the rest of the tfjs tensors: at load on tfjs, on the first tag query on the engine.
    const unitT = engine ? lazy(make) : ((t) => () => t)(held(make()));
    tags = {
      index: new IdIndex('tag', tagIds),
      get unitT() {
        return unitT();
      },
      dim: tagDim,
    };
  }
  // A head model scores through its network; loadHead validates the head against the tensors it names.
  let head: LoadedHead | undefined;
  try {
    head = manifest.head ? loadHead(manifest.head, tensors, dim, itemF.data, nItems, dim) : undefined;
  } catch (e) {
    engine?.dispose();
    fail(e);
  }
  if (head) all.push(...head.held);
  let ranker: LoadedModel['ranker'];
  if (rankItemF && rankUserF) {
    if (engine?.ranker) {
      const r = engine.ranker;
      const users = lazy(() => {
        const out = new Float32Array(nUsers * rankDim);
        for (let u = 0; u < nUsers; u++) out.set(r.userRow(u), u * rankDim);
        return tf.tensor2d(out, [nUsers, rankDim]);
      });
      const itemsT = lazy(() => {
        const out = new Float32Array(nItems * rankDim);
        for (let i = 0; i < nItems; i++) r.itemRow(i, out.subarray(i * rankDim, (i + 1) * rankDim));
        return tf.tensor2d(transpose(out, nItems, rankDim), [rankDim, nItems]);
      });
      ranker = {
        get userFactors() {
          return users();
        },
        get itemsT() {
          return itemsT();
        },
        dim: rankDim,
      };
    } else {
      const userFactors = held(tf.tensor2d(rankUserF.data, [nUsers, rankDim]));
      const itemsT = held(tf.tensor2d(transpose(rankItemF.data, nItems, rankDim), [rankDim, nItems]));
      ranker = { userFactors, itemsT, dim: rankDim };
    }
  }
  let ivf: IvfIndex | undefined;
  try {
    ivf = loadIvf(tensors, itemF, itemNormsData, manifest.model.hyper?.ivfProbe, module);
  } catch (e) {
    engine?.dispose();
    fail(e);
  }
  const seenIndptr = catalog.seenIndptr;
  const seenIndices = catalog.seenIndices;
  let itemMeta: ItemMeta[] | undefined;
  let popularity: Int32Array | undefined;
  return {
    name,
    version,
    manifest,
    catalog,
    items: new IdIndex('item', catalog.itemIds),
    users: new IdIndex('user', catalog.userIds),
    item: (i) => catalogItem(catalog, i),
    get itemMeta() {
      return (itemMeta ??= Array.from({ length: nItems }, (_, i) => catalogItem(catalog, i)));
    },
    seenIndptr,
    seenIndices,
    dim,
    get itemsUnitT() {
      return unitT();
    },
    get itemNorms() {
      return itemNorms();
    },
    get itemBias() {
      return itemBias();
    },
    get userFactors() {
      return userFactors();
    },
    get userBias() {
      return userBias();
    },
    globalBias: globalB ? globalB[0] : 0,
    ratingRange: manifest.ratingRange,
    tags,
    head,
    ranker,
    // Counted on first use (the popular list, the unknown-user fallback): not a pass over the seen lists at load.
    get popularity() {
      return (popularity ??= countItems(seenIndices, nItems));
    },
    hidden: new Set<number>(),
    ivf,
    scorer: engine ? 'engine' : 'tfjs',
    engine,
    // A getter: on the engine tfjs tensors may be built after load.
    get residentBytes(): number {
      return all.reduce((s, t) => s + t.size * 4, 0);
    },
    engineBytes: engine?.residentBytes ?? 0,
    catalogBytes: catalogBytes(catalog),
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
