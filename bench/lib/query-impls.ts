// The four ways the bench answers "similar items" and "recommendations for a user": the production path (shared/
// model/queries.ts on the int8 engine), the previous production path (the same code with scorer 'tfjs': matMul +
// topk on tfjs wasm), that on the tfjs cpu backend, and a plain TypeScript loop over typed arrays. Runtime-neutral:
// Node and the bench Worker run exactly this code.
import * as tf from '@tensorflow/tfjs-core';
import type { DecodedArtifact } from '../../shared/artifact/decode.js';
import { loadModel, TENSOR_NAMES, type LoadedModel } from '../../shared/model/loaded.js';
import { rowNorms } from '../../shared/model/row-math.js';
import { recommendForUser, seenItems, similarItems, type Scored } from '../../shared/model/queries.js';

export const IMPLS = ['engine', 'wasm', 'cpu', 'loop'] as const;
export type ImplName = (typeof IMPLS)[number];
export const OPS = ['similar', 'recommend'] as const;
export type OpName = (typeof OPS)[number];

export interface QueryImpl {
  name: ImplName;
  items: number;
  users: number;
  /** Makes the impl's backend the active one (tfjs runs every op on the active backend). */
  activate(): Promise<void>;
  similar(i: number, k: number): Scored[];
  recommend(u: number, k: number): Scored[];
  dispose(): void;
}

/** The production code on a tfjs backend. `model` must have been loaded while `backend` was active. */
export function tfImpl(name: 'engine' | 'wasm' | 'cpu', model: LoadedModel, backend: string): QueryImpl {
  const want = name === 'engine' ? 'engine' : 'tfjs';
  if (model.scorer !== want) throw new Error(`bench impl ${name} needs a model scored by ${want}, got ${model.scorer}`);
  return {
    name,
    items: model.items.size,
    users: model.users.size,
    activate: async () => {
      if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
    },
    similar: (i, k) => similarItems(model, i, k),
    recommend: (u, k) => recommendForUser(model, u, k, true),
    dispose: () => model.dispose(),
  };
}

/**
 * Loads `artifact` on the tfjs `backend` (switching to it first) and wraps it as a QueryImpl: 'engine' with the int8
 * kernel (`int8Scan`, or the process default in Node), 'wasm' and 'cpu' with scorer 'tfjs'.
 */
export async function loadTfImpl(name: 'engine' | 'wasm' | 'cpu', artifact: DecodedArtifact, backend: string, int8Scan?: WebAssembly.Module): Promise<QueryImpl> {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
  return tfImpl(name, loadModel('bench', backend, artifact, name === 'engine' ? { int8Scan } : { scorer: 'tfjs' }), backend);
}

/** Top-k by insertion into a small sorted buffer: for k << N this beats any full sort. */
class TopK {
  readonly idx: Int32Array;
  readonly val: Float32Array;
  size = 0;
  constructor(readonly k: number) {
    this.idx = new Int32Array(k);
    this.val = new Float32Array(k);
  }
  /** Lowest kept score once full (a candidate must beat it). */
  get floor(): number {
    return this.size < this.k ? -Infinity : this.val[this.k - 1];
  }
  push(j: number, s: number): void {
    let p = this.size < this.k ? this.size++ : this.k - 1;
    while (p > 0 && this.val[p - 1] < s) {
      this.val[p] = this.val[p - 1];
      this.idx[p] = this.idx[p - 1];
      p--;
    }
    this.val[p] = s;
    this.idx[p] = j;
  }
  result(): Scored[] {
    return Array.from({ length: this.size }, (_, r) => ({ index: this.idx[r], score: this.val[r] }));
  }
}

/** Plain TypeScript over the dequantised f32 tables, row-major [N, d] so that each dot product reads one run of memory. */
export function loopImpl(artifact: DecodedArtifact, model: Pick<LoadedModel, 'seenIndptr' | 'seenIndices'>): QueryImpl {
  const f = artifact.tensors.get(TENSOR_NAMES.itemFactors)!;
  const [n, d] = f.shape;
  const norms = rowNorms(f.data, n, d);
  const unit = new Float32Array(f.data.length);
  for (let r = 0; r < n; r++) {
    const inv = norms[r] > 0 ? 1 / norms[r] : 0;
    for (let c = r * d; c < (r + 1) * d; c++) unit[c] = f.data[c] * inv;
  }
  const users = artifact.tensors.get(TENSOR_NAMES.userFactors)?.data ?? new Float32Array(0);
  const itemBias = artifact.tensors.get(TENSOR_NAMES.itemBias)?.data ?? new Float32Array(n);
  const userBias = artifact.tensors.get(TENSOR_NAMES.userBias)?.data ?? new Float32Array(users.length / d);
  const global = artifact.tensors.get(TENSOR_NAMES.globalBias)?.data[0] ?? 0;
  const mask = new Uint8Array(n);
  return {
    name: 'loop',
    items: n,
    users: users.length / d,
    activate: async () => {},
    similar(i, k) {
      const top = new TopK(k);
      const q = i * d;
      for (let j = 0, base = 0; j < n; j++, base += d) {
        let s = 0;
        for (let c = 0; c < d; c++) s += unit[q + c] * unit[base + c];
        if (j !== i && s > top.floor) top.push(j, s);
      }
      return top.result();
    },
    recommend(u, k) {
      const seen = seenItems(model as LoadedModel, u);
      for (const j of seen) mask[j] = 1;
      const top = new TopK(k);
      const q = u * d;
      const offset = global + userBias[u];
      for (let j = 0, base = 0; j < n; j++, base += d) {
        let s = 0;
        for (let c = 0; c < d; c++) s += users[q + c] * unit[base + c];
        s = s * norms[j] + itemBias[j] + offset;
        if (mask[j] === 0 && s > top.floor) top.push(j, s);
      }
      for (const j of seen) mask[j] = 0;
      return top.result();
    },
    dispose() {},
  };
}

export interface BatchTiming {
  /** Queries per measurement (chosen so a measurement spans at least minBatchMs on a coarse clock). */
  batch: number;
  /** Mean milliseconds per query of each measurement. */
  perQueryMs: number[];
  /** Queries run in all, warm-up and calibration included (for CPU time per query measured around the whole call). */
  queries: number;
}

export interface TimingOptions {
  batches: number;
  minBatchMs: number;
  maxBatch: number;
  warmup: number;
  /** Stop after this long even if fewer than `batches` measurements were taken (at least 3 are). */
  budgetMs: number;
  now: () => number;
}

/**
 * Times `run(n)` (query number n) in batches: workerd's clock has 1 ms resolution locally (and advances only on
 * I/O when deployed), so each measurement times many queries and reports their mean.
 */
export function timeBatches(run: (n: number) => void, o: TimingOptions): BatchTiming {
  const start = o.now();
  let n = 0;
  for (let w = 0; w < o.warmup; w++) run(n++);
  let batch = 1;
  for (;;) {
    const t0 = o.now();
    for (let b = 0; b < batch; b++) run(n++);
    if (o.now() - t0 >= o.minBatchMs || batch >= o.maxBatch) break;
    batch = Math.min(o.maxBatch, batch * 2);
  }
  const perQueryMs: number[] = [];
  for (let m = 0; m < o.batches && (m < 3 || o.now() - start < o.budgetMs); m++) {
    const t0 = o.now();
    for (let b = 0; b < batch; b++) run(n++);
    perQueryMs.push((o.now() - t0) / batch);
  }
  return { batch, perQueryMs, queries: n };
}

/** Query number n -> an item or user index, spread over the whole table (a multiplicative hash, deterministic). */
export function pickIndex(n: number, size: number): number {
  return (Math.imul(n + 1, 0x9e3779b1) >>> 0) % size;
}

export function queryRunner(impl: QueryImpl, op: OpName, k: number): (n: number) => void {
  return op === 'similar'
    ? (n) => void impl.similar(pickIndex(n, impl.items), k)
    : (n) => void impl.recommend(pickIndex(n, impl.users), k);
}

/**
 * Cost of each tfjs op of the production similar-items and recommendation queries, on the active backend, timed
 * the same batched way: where the time goes (docs/recipes.md "Layout for fast scoring on tfjs" lists the figures).
 */
export function opBreakdown(model: LoadedModel, o: TimingOptions): Record<string, number[]> {
  const n = model.items.size;
  const out: Record<string, number[]> = {};
  const time = (name: string, f: (q: number) => void) => {
    out[name] = timeBatches((q) => tf.tidy(() => f(q)), o).perQueryMs;
  };
  const scores = tf.keep(tf.reshape(tf.matMul(tf.gather(model.itemsUnitT, [0], 1), model.itemsUnitT, true, false), [n]));
  const seenCount = Math.round(model.seenIndices.length / Math.max(1, model.users.size));
  try {
    time('gather column', (q) => void tf.gather(model.itemsUnitT, [pickIndex(q, n)], 1));
    time('matMul [d,1]^T x [d,N] (similar)', (q) => void tf.matMul(tf.gather(model.itemsUnitT, [pickIndex(q, n)], 1), model.itemsUnitT, true, false));
    time('matMul [1,d] x [d,N] (recommend)', (q) => void tf.matMul(tf.gather(model.userFactors, [pickIndex(q, model.users.size)]), model.itemsUnitT));
    time('topk k=11 over N', () => void tf.topk(scores, 11));
    time(`topk k=${10 + seenCount} over N (exclude seen)`, () => void tf.topk(scores, Math.min(n, 10 + seenCount)));
    time('elementwise mul+add+add over N', () => void tf.add(tf.add(tf.mul(scores, model.itemNorms), model.itemBias), 1));
    time('dataSync of 11 values', () => void tf.slice(scores, 0, 11).dataSync());
  } finally {
    scores.dispose();
  }
  return out;
}
