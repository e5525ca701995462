import type * as tf from '@tensorflow/tfjs-core';
import { ArtifactError } from '../errors.js';
import type { DecodedArtifact, DecodedTensor } from '../artifact/decode.js';
import { catalogBytes, itemMeta as catalogItem, ownCatalog, type Catalog } from '../artifact/catalog.js';
import type { ItemMeta, Manifest } from '../artifact/schema.js';
import { defaultInt8Scan, type EngineScorer } from './engine-scorer.js';
import { engineTensors, expectShape, loadRanker, loadTags, need, optional, tfjsTensors, type CoreTensors, type FactorTensors } from './factor-tensors.js';
import { loadHead, type LoadedHead } from './head.js';
import { IdIndex } from './ids.js';
import { loadIvf, type IvfIndex } from './ivf.js';
import { TensorHold } from './tensor-hold.js';
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
  const t = readFactorTensors(artifact);
  const module = int8Kernel(t.itemF, opts);
  const catalog = ownCatalog(artifact.catalog);
  yield;
  const hold = new TensorHold(`${name}/${version}`, opts.tfReady);
  const core = module && t.itemF.q8 ? yield* engineTensors(t, module, manifest.ranker, hold) : tfjsTensors(t, hold);
  const { engine } = core;
  const tags = t.tagF ? loadTags(t.tagF, t.tagIds, hold, engine !== undefined) : undefined;
  // What fails after tensors were built frees them (and the engine's kernel memory) before it throws.
  const orRelease = <T>(load: () => T): T => {
    try {
      return load();
    } catch (e) {
      engine?.dispose();
      hold.release();
      throw e;
    }
  };
  // A head model scores through its network; loadHead validates the head against the tensors it names.
  const head = orRelease(() => (manifest.head ? loadHead(manifest.head, tensors, t.dim, t.itemF.data, t.nItems, t.dim) : undefined));
  head?.held.forEach((h) => hold.held(h));
  const ranker = t.rankItemF && t.rankUserF ? loadRanker({ ...t, rankItemF: t.rankItemF, rankUserF: t.rankUserF }, engine, hold) : undefined;
  const ivf = orRelease(() => loadIvf(tensors, t.itemF, core.itemNormsData, manifest.model.hyper?.ivfProbe, module));
  return assembleModel(name, version, manifest, catalog, t, core, hold, { tags, head, ranker, ivf });
}

/** The factor tensors of `artifact`, each checked against the manifest's counts. */
function readFactorTensors(artifact: DecodedArtifact): FactorTensors {
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
  return { nUsers, nItems, dim, itemF, userF, tagF, tagIds, itemB, userB, globalB, rankItemF, rankUserF, rankDim };
}

/** The int8 kernel when the engine scores this item table; without a kernel that is an error, not a silent fallback. */
function int8Kernel(itemF: DecodedTensor, opts: LoadOptions): WebAssembly.Module | undefined {
  const useEngine = opts.scorer !== 'tfjs' && itemF.q8 !== undefined;
  const module = useEngine ? (opts.int8Scan ?? defaultInt8Scan()) : undefined;
  if (useEngine && !module) {
    throw new Error(
      'loadModel: a q8 artifact is scored by the int8 kernel, and no kernel was given: pass opts.int8Scan ' +
        "(shared/engine/int8-scan.wasm as a WebAssembly.Module), call useWasmBackend() from training/tf-node.ts in Node, or ask for scorer: 'tfjs'",
    );
  }
  return module;
}

type Parts = Pick<LoadedModel, 'tags' | 'head' | 'ranker' | 'ivf'>;

function assembleModel(name: string, version: string, manifest: Manifest, catalog: Catalog, t: FactorTensors, core: CoreTensors, hold: TensorHold, parts: Parts): LoadedModel {
  const { nItems } = t;
  const { engine, unitT, itemNorms, itemBias, userFactors, userBias } = core;
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
    seenIndptr: catalog.seenIndptr,
    seenIndices,
    dim: t.dim,
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
    globalBias: t.globalB ? t.globalB[0] : 0,
    ratingRange: manifest.ratingRange,
    tags: parts.tags,
    head: parts.head,
    ranker: parts.ranker,
    // Counted on first use (the popular list, the unknown-user fallback): not a pass over the seen lists at load.
    get popularity() {
      return (popularity ??= countItems(seenIndices, nItems));
    },
    hidden: new Set<number>(),
    ivf: parts.ivf,
    scorer: engine ? 'engine' : 'tfjs',
    engine,
    // A getter: on the engine tfjs tensors may be built after load.
    get residentBytes(): number {
      return hold.bytes;
    },
    engineBytes: engine?.residentBytes ?? 0,
    catalogBytes: catalogBytes(catalog),
    dispose: () => {
      hold.dispose();
      engine?.dispose();
    },
  };
}

function countItems(indices: Int32Array, nItems: number): Int32Array {
  const counts = new Int32Array(nItems);
  for (const i of indices) counts[i]++;
  return counts;
}

// Still imported from here by training/report/build.ts and training/export/ivf-index.ts; row-math.ts is their home.
export { normalizeRows, rowNorms, transpose } from './row-math.js';
