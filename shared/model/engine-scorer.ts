// The int8 scorer behind LoadedModel: the dot-product queries (similar items, recommendations, fold-in visitors, the
// ranker) answered by the wasm SIMD kernel (shared/engine/int8-engine.ts) straight from the artifact's int8 codes,
// exclusions in the kernel's bitmap. The kernel's memory holds the only copy of the item codes, scales and biases a
// loaded model keeps: item rows for predicted ratings, explanations and fold-in are read back from it (itemRow,
// unitRow), so no f32 [d, N] matrix is built for a q8 dot-product model. tfjs keeps what this does not cover: dense
// heads, tags, batch evaluation (score-all.ts), from-examples and embedding arithmetic.
//
// Runtime-neutral: the kernel arrives as a WebAssembly.Module from the caller (the Worker imports
// shared/engine/int8-scan.wasm; Node compiles the bytes in training/engine-node.ts and registers it with
// setDefaultInt8Scan from useWasmBackend()).
import type { Q8Matrix } from '../artifact/q8.js';
import { drain, Int8Engine } from '../engine/int8-engine.js';

let defaultModule: WebAssembly.Module | undefined;

/** The kernel loadModel uses when its caller passes none (Node registers one per process; the Worker passes its own). */
export function setDefaultInt8Scan(module: WebAssembly.Module | undefined): void {
  defaultModule = module;
}

export function defaultInt8Scan(): WebAssembly.Module | undefined {
  return defaultModule;
}

/** The scorings of the item table (topK's `terms`): one copy of the codes, three per-row factor/add pairs. */
export const ITEM_TERMS = {
  /** factor = scale / |row|: with a unit query, the cosine (similar items). */
  cosine: 0,
  /** factor = scale: the raw dot product u . v (fold-in visitors without a ranker: rankingScores). */
  dot: 1,
  /** factor = scale, add = item bias: u . v + b_i (recommendations; user bias and global mean added after). */
  dotBias: 2,
} as const;

/** A table of row vectors as the artifact stores it: f32 values, or q8 codes with one scale per row. */
export type RowSource = { f32: Float32Array } | { q8: Q8Matrix };

/** Row r of a RowSource, as f32 (q8: each element f32(code * scale), exactly as dequantisation stores it). */
export function sourceRow(src: RowSource, r: number, dim: number, out = new Float32Array(dim)): Float32Array {
  if ('f32' in src) {
    out.set(src.f32.subarray(r * dim, (r + 1) * dim));
  } else {
    const s = src.q8.scales[r];
    for (let c = 0, at = r * dim; c < dim; c++, at++) out[c] = Math.fround(src.q8.values[at] * s);
  }
  return out;
}

function sourceBytes(src: RowSource): number {
  return 'f32' in src ? src.f32.byteLength : src.q8.values.byteLength + src.q8.scales.byteLength;
}

export interface EngineScorer {
  /** item_factors' codes with the ITEM_TERMS scorings. */
  items: Int8Engine;
  dim: number;
  /** [N] |row| of the item vectors (the artifact's `item_factors.norm`). */
  itemNorms: Float32Array;
  /** Item i's vector as dequantised (f32(code * scale)), from the kernel's memory. */
  itemRow(i: number, out?: Float32Array): Float32Array;
  /** Item i's bias, from the kernel's memory. */
  itemBias(i: number): number;
  /** User u's factors as f32 (q8 users dequantised per row, on demand). */
  userRow(u: number): Float32Array;
  /** [U] user biases. */
  userBias: Float32Array;
  /** The ranker's item codes (factor = scale) and its user factors, when the artifact has a q8 ranker. */
  ranker?: { engine: Int8Engine; dim: number; userRow(u: number): Float32Array; itemRow(i: number, out?: Float32Array): Float32Array };
  /** Bytes this scorer holds: the kernels' linear memories plus the JS tables it reads queries from. */
  residentBytes: number;
  dispose(): void;
}

export interface EngineInput {
  module: WebAssembly.Module;
  /** The item table's codes and scales (copied into the kernel's memory; not retained). */
  items: Q8Matrix;
  rows: number;
  dim: number;
  /** Retained as given: pass arrays that do not view a large buffer the model should not keep alive. */
  norms: Float32Array;
  itemBias: Float32Array;
  users: RowSource;
  userBias: Float32Array;
  ranker?: { items: Q8Matrix; dim: number; users: RowSource };
}

/**
 * The cosine scoring's factor per row, f32(scale / |row|) (0 for an all-zero row), from the stored norms: one
 * division per row, no pass over the codes (kernel-inputs.ts cosineFactors computes the same from the codes).
 */
export function cosineFromNorms(scales: Float32Array, norms: Float32Array): Float32Array {
  const out = new Float32Array(scales.length);
  for (let r = 0; r < scales.length; r++) out[r] = norms[r] > 0 ? scales[r] / norms[r] : 0;
  return out;
}

/** One kernel instance per matrix, created once per loaded model (instantiating a compiled module takes microseconds). */
export function createEngineScorer(x: EngineInput): EngineScorer {
  return drain(createEngineScorerSteps(x));
}

/** createEngineScorer in steps (Int8Engine.loadSteps): pauses between chunks of the codes. */
export function* createEngineScorerSteps(x: EngineInput): Generator<void, EngineScorer, void> {
  const items = new Int8Engine(x.module);
  yield* items.loadSteps({
    codes: x.items.values,
    rows: x.rows,
    cols: x.dim,
    factor: cosineFromNorms(x.items.scales, x.norms),
    more: [{ factor: x.items.scales }, { factor: x.items.scales, add: x.itemBias }],
  });
  const rowOf = (engine: Int8Engine, terms: number, dim: number) => (i: number, out = new Float32Array(dim)) => {
    const codes = engine.row(i);
    const s = engine.termValues(terms, 'factor')![i];
    for (let c = 0; c < dim; c++) out[c] = Math.fround(codes[c] * s);
    return out;
  };
  // Closures below capture only what they read: `x` holds views of the upload (codes, scales, biases), which must
  // not stay reachable once they are copied into the kernel's memory.
  let ranker: EngineScorer['ranker'];
  if (x.ranker) {
    const engine = new Int8Engine(x.module);
    const { items: rankItems, dim: rankDim, users: rankUsers } = x.ranker;
    yield* engine.loadSteps({ codes: rankItems.values, rows: x.rows, cols: rankDim, factor: rankItems.scales });
    ranker = { engine, dim: rankDim, userRow: (u) => sourceRow(rankUsers, u, rankDim), itemRow: rowOf(engine, 0, rankDim) };
  }
  const { users, dim, norms, userBias } = x;
  const jsBytes = norms.byteLength + sourceBytes(users) + userBias.byteLength + (x.ranker ? sourceBytes(x.ranker.users) : 0);
  return {
    items,
    dim,
    itemNorms: norms,
    itemRow: rowOf(items, ITEM_TERMS.dot, dim),
    itemBias: (i) => items.termValues(ITEM_TERMS.dotBias, 'add')![i],
    userRow: (u) => sourceRow(users, u, dim),
    userBias,
    ranker,
    residentBytes: items.memoryBytes + (ranker?.engine.memoryBytes ?? 0) + jsBytes,
    dispose() {
      items.dispose();
      ranker?.engine.dispose();
    },
  };
}

/**
 * Item i's unit vector exactly as loading lays it out in itemsUnitT (row-math.ts unitTransposed) (each element rounded to f32 as dequantised,
 * times 1 / |row|, stored as f32): the similar-items query, bit-identical to the tfjs path's gathered column.
 */
export function unitRow(e: EngineScorer, i: number, dim: number): Float32Array {
  const out = e.itemRow(i, new Float32Array(dim));
  const inv = e.itemNorms[i] > 0 ? 1 / e.itemNorms[i] : 0;
  for (let c = 0; c < dim; c++) out[c] = out[c] * inv;
  return out;
}

/**
 * A unit row from its int8 codes, scale and norm, rounded exactly as unitRow rounds it (f32 dequantised value, then
 * times 1 / |row|): the coarse index builds its queries this way from the codes its own kernel holds.
 */
export function unitRowFrom(codes: ArrayLike<number>, scale: number, norm: number, dim: number): Float32Array {
  const inv = norm > 0 ? 1 / norm : 0;
  const out = new Float32Array(dim);
  for (let c = 0; c < dim; c++) out[c] = Math.fround(codes[c] * scale) * inv;
  return out;
}
