// The tensors a loaded model scores with, built from an artifact's checked factor tensors: on the engine (q8 item
// tables) the tfjs ones are built on first use; on tfjs they are uploaded at load.
import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError } from '../errors.js';
import type { DecodedTensor } from '../artifact/decode.js';
import type { Manifest } from '../artifact/schema.js';
import { createEngineScorerSteps, type EngineScorer, type RowSource } from './engine-scorer.js';
import { IdIndex } from './ids.js';
import { normalizeRows, transpose, unitTransposed } from './row-math.js';
import type { TensorHold } from './tensor-hold.js';

/** An artifact's factor tensors, checked against its manifest's counts. */
export interface FactorTensors {
  nUsers: number;
  nItems: number;
  dim: number;
  itemF: DecodedTensor;
  userF: DecodedTensor;
  tagF?: DecodedTensor;
  tagIds: string[];
  itemB?: Float32Array;
  userB?: Float32Array;
  globalB?: Float32Array;
  rankItemF?: DecodedTensor;
  rankUserF?: DecodedTensor;
  rankDim: number;
}

/** The item and user tensors every model has, behind getters (on the engine built on first use). */
export interface CoreTensors {
  engine?: EngineScorer;
  itemNormsData: Float32Array;
  unitT: () => tf.Tensor2D;
  itemNorms: () => tf.Tensor1D;
  itemBias: () => tf.Tensor1D;
  userFactors: () => tf.Tensor2D;
  userBias: () => tf.Tensor1D;
}

/**
 * A copy. Nothing the model keeps may view tensors.bin: the codes live on in the kernel's memory (or tfjs), and a
 * view would keep the whole upload alive beside them (what is copied is small next to the codes).
 */
const own = <T extends Float32Array | Int8Array>(a: T): T => a.slice() as T;
const rowSource = (t: DecodedTensor): RowSource => (t.q8 ? { q8: { values: own(t.q8.values), scales: own(t.q8.scales) } } : { f32: own(t.data) });
const userBiasOf = (t: FactorTensors) => (t.userB ? Float32Array.from(t.userB) : new Float32Array(t.nUsers));

/**
 * The engine scores the q8 item table from its codes. The f32 tfjs tensors are built only if a query the engine does
 * not cover asks for them (from-examples, arithmetic, batch evaluation): similar items, recommendations, ratings,
 * explanations and fold-in never do.
 */
export function* engineTensors(t: FactorTensors, module: WebAssembly.Module, ranker: Manifest['ranker'], hold: TensorHold): Generator<void, CoreTensors, void> {
  const { nItems, nUsers, dim } = t;
  const q = t.itemF.q8!;
  const itemNormsData = own(q.norms);
  const userBiasData = userBiasOf(t);
  const rankQ8 = t.rankItemF?.q8;
  const engine = yield* createEngineScorerSteps({
    module,
    items: q,
    rows: nItems,
    dim,
    norms: itemNormsData,
    itemBias: t.itemB ?? new Float32Array(nItems),
    users: rowSource(t.userF),
    userBias: userBiasData,
    ranker: rankQ8 && ranker ? { items: rankQ8, dim: t.rankDim, users: rowSource(t.rankUserF!) } : undefined,
  });
  const itemsF32 = () => {
    const out = new Float32Array(nItems * dim);
    for (let i = 0; i < nItems; i++) engine.itemRow(i, out.subarray(i * dim, (i + 1) * dim));
    return out;
  };
  return {
    engine,
    itemNormsData,
    unitT: hold.lazy(() => tf.tensor2d(unitTransposed({ shape: [nItems, dim], dtype: 'f32', data: itemsF32() }, nItems, dim).unit, [dim, nItems])),
    itemNorms: hold.lazy(() => tf.tensor1d(itemNormsData)),
    itemBias: hold.lazy(() => tf.tensor1d(Float32Array.from({ length: nItems }, (_, i) => engine.itemBias(i)))),
    userFactors: hold.lazy(() => {
      const out = new Float32Array(nUsers * dim);
      for (let u = 0; u < nUsers; u++) out.set(engine.userRow(u), u * dim);
      return tf.tensor2d(out, [nUsers, dim]);
    }),
    userBias: hold.lazy(() => tf.tensor1d(userBiasData)),
  };
}

/** On tfjs every tensor is uploaded now, transposed (and normalised) in JS first so one copy lands in the wasm heap. */
export function tfjsTensors(t: FactorTensors, hold: TensorHold): CoreTensors {
  const { nItems, nUsers, dim } = t;
  const eager = unitTransposed(t.itemF, nItems, dim);
  const u = hold.held(tf.tensor2d(eager.unit, [dim, nItems]));
  const n = hold.held(tf.tensor1d(eager.norms));
  const b = hold.held(tf.tensor1d(t.itemB ?? new Float32Array(nItems)));
  const uf = hold.held(tf.tensor2d(t.userF.data, [nUsers, dim]));
  const ub = hold.held(tf.tensor1d(userBiasOf(t)));
  return { itemNormsData: eager.norms, unitT: () => u, itemNorms: () => n, itemBias: () => b, userFactors: () => uf, userBias: () => ub };
}

/** Tag embeddings, unit length and transposed: built at load on tfjs, on the first tag query on the engine. */
export function loadTags(tagF: DecodedTensor, tagIds: string[], hold: TensorHold, onFirstUse: boolean) {
  const [nTags, tagDim] = tagF.shape;
  // A copy: a view would keep all of tensors.bin alive until the first tag query.
  const tagData = own(tagF.data);
  const make = () => tf.tensor2d(transpose(normalizeRows(tagData, nTags, tagDim), nTags, tagDim), [tagDim, nTags]);
  const unitT = onFirstUse ? hold.lazy(make) : ((t) => () => t)(hold.held(make()));
  return {
    index: new IdIndex('tag', tagIds),
    get unitT() {
      return unitT();
    },
    dim: tagDim,
  };
}

/** The ranker's tensors: read back from the engine on first use, or uploaded now on tfjs. */
export function loadRanker(t: FactorTensors & { rankItemF: DecodedTensor; rankUserF: DecodedTensor }, engine: EngineScorer | undefined, hold: TensorHold) {
  const { nItems, nUsers, rankDim } = t;
  if (!engine?.ranker) {
    const userFactors = hold.held(tf.tensor2d(t.rankUserF.data, [nUsers, rankDim]));
    const itemsT = hold.held(tf.tensor2d(transpose(t.rankItemF.data, nItems, rankDim), [rankDim, nItems]));
    return { userFactors, itemsT, dim: rankDim };
  }
  const r = engine.ranker;
  const users = hold.lazy(() => {
    const out = new Float32Array(nUsers * rankDim);
    for (let u = 0; u < nUsers; u++) out.set(r.userRow(u), u * rankDim);
    return tf.tensor2d(out, [nUsers, rankDim]);
  });
  const itemsT = hold.lazy(() => {
    const out = new Float32Array(nItems * rankDim);
    for (let i = 0; i < nItems; i++) r.itemRow(i, out.subarray(i * rankDim, (i + 1) * rankDim));
    return tf.tensor2d(transpose(out, nItems, rankDim), [rankDim, nItems]);
  });
  return {
    get userFactors() {
      return users();
    },
    get itemsT() {
      return itemsT();
    },
    dim: rankDim,
  };
}

export function need(tensors: Map<string, DecodedTensor>, name: string, rank: number): DecodedTensor {
  const t = tensors.get(name);
  if (!t) throw new ArtifactError(`artifact has no tensor ${name}: it is not an embedding-factor model`);
  if (t.shape.length !== rank) throw new ArtifactError(`tensor ${name} has rank ${t.shape.length}, expected ${rank}`);
  return t;
}

export function optional(tensors: Map<string, DecodedTensor>, name: string, shape: number[]): Float32Array | undefined {
  const t = tensors.get(name);
  if (!t) return undefined;
  expectShape(t, name, shape);
  return t.data;
}

export function expectShape(t: DecodedTensor, name: string, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ArtifactError(`tensor ${name} has shape [${t.shape}], the manifest's counts need [${shape}]`);
  }
}
