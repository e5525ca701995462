// The int8 scorer behind LoadedModel: the dot-product queries (similar items, recommendations, fold-in visitors, the
// ranker) answered by the wasm SIMD kernel (shared/engine/int8-engine.ts) straight from the artifact's int8 codes,
// exclusions in the kernel's bitmap. tfjs keeps what this does not cover: dense heads, tags, predicted ratings,
// explanations, batch evaluation (score-all.ts), from-examples and embedding arithmetic.
//
// Runtime-neutral: the kernel arrives as a WebAssembly.Module from the caller (the Worker imports
// shared/engine/int8-scan.wasm; Node compiles the bytes in training/engine-node.ts and registers it with
// setDefaultInt8Scan from useWasmBackend()).
import type { Q8Matrix } from '../artifact/q8.js';
import { cosineFactors, Int8Engine } from '../engine/int8-engine.js';

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

export interface EngineScorer {
  /** item_factors' codes with the ITEM_TERMS scorings. */
  items: Int8Engine;
  /** The codes and scales as decoded (queries for similar items are built from them) and the row norms loaded.ts computed. */
  itemQ8: Q8Matrix;
  itemNorms: Float32Array;
  /** [U, d] user factors and [U] user biases, row-major, read in JS per query (no tfjs round trip). */
  userFactors: Float32Array;
  userBias: Float32Array;
  /** The ranker's item codes (factor = scale) and its user factors, when the artifact has a q8 ranker. */
  ranker?: { engine: Int8Engine; userFactors: Float32Array };
  /** Bytes this scorer holds: the kernels' linear memories plus the JS copies it reads queries from. */
  residentBytes: number;
  dispose(): void;
}

export interface EngineInput {
  module: WebAssembly.Module;
  items: Q8Matrix;
  rows: number;
  dim: number;
  norms: Float32Array;
  itemBias: Float32Array;
  userFactors: Float32Array;
  userBias: Float32Array;
  ranker?: { items: Q8Matrix; dim: number; userFactors: Float32Array };
}

/** One kernel instance per matrix, created once per loaded model (instantiating a compiled module takes microseconds). */
export function createEngineScorer(x: EngineInput): EngineScorer {
  const items = new Int8Engine(x.module);
  items.load({
    codes: x.items.values,
    rows: x.rows,
    cols: x.dim,
    factor: cosineFactors(x.items.values, x.items.scales, x.rows, x.dim),
    more: [{ factor: x.items.scales }, { factor: x.items.scales, add: x.itemBias }],
  });
  let ranker: EngineScorer['ranker'];
  if (x.ranker) {
    const engine = new Int8Engine(x.module);
    engine.load({ codes: x.ranker.items.values, rows: x.rows, cols: x.ranker.dim, factor: x.ranker.items.scales });
    ranker = { engine, userFactors: x.ranker.userFactors };
  }
  const jsBytes = x.userFactors.byteLength + x.userBias.byteLength + (ranker ? ranker.userFactors.byteLength : 0);
  return {
    items,
    itemQ8: x.items,
    itemNorms: x.norms,
    userFactors: x.userFactors,
    userBias: x.userBias,
    ranker,
    residentBytes: items.memoryBytes + (ranker?.engine.memoryBytes ?? 0) + jsBytes,
    dispose() {
      items.dispose();
      ranker?.engine.dispose();
    },
  };
}

/**
 * Item i's unit vector exactly as loaded.ts lays it out in itemsUnitT (each element rounded to f32 as dequantised,
 * times 1 / |row|, stored as f32): the similar-items query, bit-identical to the tfjs path's gathered column.
 */
export function unitRow(e: EngineScorer, i: number, dim: number): Float32Array {
  return unitRowOf(e.itemQ8, e.itemNorms, i, dim);
}

/** unitRow from the codes and row norms themselves (the coarse index builds its queries the same way). */
export function unitRowOf(q8: Q8Matrix, norms: Float32Array, i: number, dim: number): Float32Array {
  const { values, scales } = q8;
  const s = scales[i];
  const inv = norms[i] > 0 ? 1 / norms[i] : 0;
  const out = new Float32Array(dim);
  for (let c = 0, at = i * dim; c < dim; c++, at++) out[c] = Math.fround(values[at] * s) * inv;
  return out;
}
