// The one way an IVF index (shared/model/ivf.ts) is built: spherical k-means over the float model's unit item
// vectors (seeded, deterministic), then the fewest probed partitions whose recall@10 against exact search on the
// served weights reaches the target, measured through the serving code (loadModel + similarItems) on a seeded sample
// of query items. `npm run train -- --index` (indexArtifact below) and the bench (bench/lib/ivf-catalog.ts) use it.
import * as tf from '@tensorflow/tfjs-core';
import type { DecodedArtifact } from '../../shared/artifact/decode.js';
import { decodePacked, encodeTensors, type TensorInput } from '../../shared/artifact/encode.js';
import { DType } from '../../shared/artifact/schema.js';
import { IVF_TENSORS, ivfProbed } from '../../shared/model/ivf.js';
import { loadModel, normalizeRows, TENSOR_NAMES } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { UsageError } from '../options.js';
import { createRng } from '../data/random.js';
import { useWasmBackend } from '../tf-node.js';
import type { ArtifactParts } from './artifact-files.js';

export const INDEX_MODES = ['auto', 'ivf', 'none'] as const;
export type IndexMode = (typeof INDEX_MODES)[number];

/**
 * `--index auto` builds an index from this many items up. Exact similar items on the int8 kernel cost ~3.6 us per
 * 1,000 items x 64 dims in workerd (bench/results/queries.json: 0.035 ms at 10k, 0.219 ms at 60k), i.e. ~0.36 ms at
 * 100k: from there the scan is more than the rest of a similar-items request (0.16 ms inside the Worker,
 * BENCHMARKS.md) and grows linearly, while the index answers in ~0.05-0.09 ms at 60k-250k (bench/results/ivf.json).
 * Below it the index would trade recall (>= 0.95 instead of 1) and N x d bytes of memory for < 0.3 ms per query.
 */
export const AUTO_INDEX_ITEMS = 100_000;

/** recall@10 the probe count is chosen for, against exact search on the same served weights. */
export const TARGET_RECALL = 0.95;

/** Partitions for n items: round(2 sqrt n) (~2 sqrt n items each), at least 2 and at most n. */
export function ivfPartitions(n: number): number {
  return Math.max(1, Math.min(n, Math.max(2, Math.round(2 * Math.sqrt(n)))));
}

export function isIndexMode(v: unknown): v is IndexMode {
  return (INDEX_MODES as readonly unknown[]).includes(v);
}

/** The --index value as a mode (absent: auto); anything else is a usage error naming the value. */
export function indexOption(v: unknown): IndexMode {
  if (v === undefined) return 'auto';
  if (!isIndexMode(v)) throw new UsageError(`--index must be one of ${INDEX_MODES.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** Whether `mode` builds an index for a catalogue of n items. */
export function wantsIndex(mode: IndexMode, n: number): boolean {
  return mode === 'ivf' || (mode === 'auto' && n >= AUTO_INDEX_ITEMS);
}

/**
 * Spherical k-means of unit rows [n, d] into `parts` partitions: centroids are fitted on a seeded sample of rows
 * (k-means++ start), then every row is assigned to its nearest centroid. Deterministic for a seed. Runs on the
 * active tfjs backend: assignments are chunked [rows, d] x [d, C] matMuls.
 */
export function buildIvf(
  unit: Float32Array,
  n: number,
  d: number,
  opts: { parts: number; iterations?: number; sample?: number; seed?: number },
): { centroids: Float32Array; assign: Int32Array } {
  const parts = Math.max(1, Math.min(opts.parts, n));
  let state = (opts.seed ?? 1) >>> 0 || 1;
  const rand = () => {
    // xorshift32: enough to pick sample rows reproducibly.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const sampleSize = Math.min(n, Math.max(parts, opts.sample ?? Math.max(parts * 40, 20_000)));
  const rows = new Float32Array(sampleSize * d);
  for (let s = 0; s < sampleSize; s++) {
    const r = sampleSize === n ? s : Math.floor(rand() * n);
    rows.set(unit.subarray(r * d, (r + 1) * d), s * d);
  }
  // k-means++ start on (a subsample of) the sample: each next centroid is drawn with probability proportional to
  // its distance 1 - cos from the nearest one chosen so far, so that no cluster starts without a centroid.
  const seedRows = Math.min(sampleSize, parts * 20);
  const dist = new Float64Array(seedRows).fill(Infinity);
  const centroids = new Float32Array(parts * d);
  let chosen = Math.floor(rand() * seedRows);
  for (let p = 0; p < parts; p++) {
    centroids.set(rows.subarray(chosen * d, (chosen + 1) * d), p * d);
    let total = 0;
    for (let s = 0; s < seedRows; s++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += rows[s * d + k] * centroids[p * d + k];
      dist[s] = Math.min(dist[s], Math.max(0, 1 - dot));
      total += dist[s];
    }
    let x = rand() * total;
    chosen = seedRows - 1;
    for (let s = 0; s < seedRows; s++) {
      x -= dist[s];
      if (x < 0) {
        chosen = s;
        break;
      }
    }
  }
  const sums = new Float64Array(parts * d);
  for (let it = 0; it < (opts.iterations ?? 10); it++) {
    const assign = nearest(rows, sampleSize, d, centroids, parts);
    sums.fill(0);
    const counts = new Int32Array(parts);
    for (let s = 0; s < sampleSize; s++) {
      const p = assign[s];
      counts[p]++;
      for (let k = 0; k < d; k++) sums[p * d + k] += rows[s * d + k];
    }
    for (let p = 0; p < parts; p++) {
      let norm = 0;
      for (let k = 0; k < d; k++) norm += sums[p * d + k] ** 2;
      norm = Math.sqrt(norm);
      if (counts[p] === 0 || norm === 0) {
        // An empty partition restarts at a random sample row.
        const s = Math.floor(rand() * sampleSize);
        centroids.set(rows.subarray(s * d, (s + 1) * d), p * d);
      } else {
        for (let k = 0; k < d; k++) centroids[p * d + k] = sums[p * d + k] / norm;
      }
    }
  }
  return { centroids, assign: nearest(unit, n, d, centroids, parts) };
}

/** Index of the centroid with the highest dot product, per row. */
function nearest(rows: Float32Array, count: number, d: number, centroids: Float32Array, parts: number): Int32Array {
  const out = new Int32Array(count);
  const chunk = 8192;
  tf.tidy(() => {
    const cT = tf.transpose(tf.tensor2d(centroids, [parts, d]));
    for (let r0 = 0; r0 < count; r0 += chunk) {
      const r1 = Math.min(count, r0 + chunk);
      tf.tidy(() => {
        const x = tf.tensor2d(rows.subarray(r0 * d, r1 * d), [r1 - r0, d]);
        out.set(tf.argMax(tf.matMul(x, cT), 1).dataSync() as Int32Array, r0);
      });
    }
  });
  return out;
}

export interface IvfTuning {
  parts: number;
  probe: number;
  /** recall@10 against exact search on the same served weights, at the chosen probe. */
  recall: number;
  /** Mean candidates (items in the probed partitions) per query at that probe. */
  candidates: number;
  /** Query items the recall was measured on. */
  queries: number;
  /** Seconds of k-means (fit + assigning every item). */
  buildSeconds: number;
  /** Seconds of choosing the probe (exact answers + one pass per probe count tried). */
  tuneSeconds: number;
  curve: { probe: number; recall: number; candidates: number }[];
  centroids: Float32Array;
  assign: Int32Array;
}

/** Probe counts tried, in order, up to the partition count (which is always tried last: it probes everything). */
function probeSteps(parts: number): number[] {
  const steps = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512].filter((p) => p < parts);
  return [...steps, parts];
}

/** `count` distinct item indices of 0..n-1, seeded (partial Fisher-Yates). */
function sampleItems(n: number, count: number, seed: number): number[] {
  const rng = createRng(seed);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  const m = Math.min(n, count);
  for (let j = 0; j < m; j++) {
    const r = j + Math.floor(rng() * (n - j));
    [pool[j], pool[r]] = [pool[r], pool[j]];
  }
  return Array.from(pool.subarray(0, m));
}

/** The served artifact plus an index, as loadModel sees it. */
export function withIndexTensors(a: DecodedArtifact, centroids: Float32Array, assign: Int32Array, parts: number, probe: number): DecodedArtifact {
  const d = centroids.length / parts;
  const tensors = new Map(a.tensors);
  tensors.set(IVF_TENSORS.centroids, { shape: [parts, d], dtype: DType.f32, data: centroids });
  tensors.set(IVF_TENSORS.assign, { shape: [assign.length], dtype: DType.f32, data: Float32Array.from(assign) });
  const manifest = { ...a.manifest, model: { ...a.manifest.model, hyper: { ...a.manifest.model.hyper, ivfProbe: probe, ivfPartitions: parts } } };
  return { ...a, manifest, tensors };
}

/**
 * Fits the index on `floatItems` ([n, d] row-major, the float model) and picks the probe count for `targetRecall`
 * on `served` (the decoded artifact the Worker will load): recall@10 of similarItems with the index against
 * similarItems without it, both through loadModel, over `queries` seeded distinct query items.
 */
export async function tuneIvf(
  served: DecodedArtifact,
  floatItems: Float32Array,
  n: number,
  d: number,
  opts: { targetRecall?: number; queries?: number; seed?: number; parts?: number } = {},
): Promise<IvfTuning> {
  await useWasmBackend();
  const target = opts.targetRecall ?? TARGET_RECALL;
  const seed = opts.seed ?? 7;
  const t0 = performance.now();
  const parts = opts.parts ?? ivfPartitions(n);
  const { centroids, assign } = buildIvf(normalizeRows(floatItems, n, d), n, d, { parts, iterations: 8, seed });
  const t1 = performance.now();
  const queries = sampleItems(n, opts.queries ?? 1000, seed + 1);
  const exact = loadModel('exact', 'v', served);
  let truth: Set<number>[];
  try {
    truth = queries.map((i) => new Set(similarItems(exact, i, 10).map((s) => s.index)));
  } finally {
    exact.dispose();
  }
  // One load; the probe count is the index's field, set per trial (what a manifest's ivfProbe would load as).
  const m = loadModel('ivf', 'v', withIndexTensors(served, centroids, assign, parts, parts));
  const curve: IvfTuning['curve'] = [];
  try {
    const ivf = m.ivf!;
    for (const probe of probeSteps(parts)) {
      ivf.probe = probe;
      let hits = 0;
      let cands = 0;
      queries.forEach((i, q) => {
        const want = truth[q];
        if (want.size) hits += similarItems(m, i, 10).filter((s) => want.has(s.index)).length / want.size;
        else hits += 1;
        for (const p of ivfProbed(ivf, i)) cands += ivf.offsets[p + 1] - ivf.offsets[p];
      });
      curve.push({ probe, recall: hits / queries.length, candidates: Math.round(cands / queries.length) });
      if (curve[curve.length - 1].recall >= target) break;
    }
  } finally {
    m.dispose();
  }
  const chosen = curve[curve.length - 1];
  return {
    parts,
    probe: chosen.probe,
    recall: chosen.recall,
    candidates: chosen.candidates,
    queries: queries.length,
    buildSeconds: (t1 - t0) / 1000,
    tuneSeconds: (performance.now() - t1) / 1000,
    curve,
    centroids,
    assign,
  };
}

/** What train reports of an index: the tuning without its arrays and curve. */
export type IndexSummary = Omit<IvfTuning, 'curve' | 'centroids' | 'assign'>;

/**
 * The artifact with an IVF index when `mode` asks for one at this catalogue size (else unchanged, `index` null):
 * `inputs` are the tensors `parts` was encoded from (item_factors among them, float); they are encoded again with
 * ivf_centroids [C, d] and ivf_assign [N] (f32) after them. The manifest gets model.hyper.ivfProbe and ivfPartitions
 * and metrics.quantized.ivf_recall_at_10 (measured on the served weights, see tuneIvf). Call it last, once the
 * manifest's metrics are final.
 */
export async function indexArtifact(
  parts: ArtifactParts,
  inputs: TensorInput[],
  opts: { mode: IndexMode; seed: number; log?: (line: string) => void },
): Promise<{ parts: ArtifactParts; index: IndexSummary | null }> {
  const items = inputs.find((t) => t.name === TENSOR_NAMES.itemFactors);
  if (!items) throw new Error(`indexArtifact: no ${TENSOR_NAMES.itemFactors} among the tensors`);
  const [n, d] = items.shape;
  if (!wantsIndex(opts.mode, n)) return { parts, index: null };
  const served = await decodePacked(parts.manifest, parts.tensors, parts.items);
  const t = await tuneIvf(served, items.data, n, d, { seed: opts.seed });
  const encoded = await encodeTensors([
    ...inputs,
    { name: IVF_TENSORS.centroids, data: t.centroids, shape: [t.parts, d], dtype: DType.f32 },
    { name: IVF_TENSORS.assign, data: Float32Array.from(t.assign), shape: [n], dtype: DType.f32 },
  ]);
  const m = parts.manifest;
  const manifest = {
    ...m,
    model: { ...m.model, hyper: { ...m.model.hyper, ivfProbe: t.probe, ivfPartitions: t.parts } },
    tensors: encoded.entries,
    tensorsSha256: encoded.sha256,
    tensorsBytes: encoded.bytes.byteLength,
    metrics: { ...m.metrics, quantized: { ...m.metrics.quantized, ivf_recall_at_10: t.recall } },
  };
  const { centroids: _c, assign: _a, curve: _curve, ...summary } = t;
  opts.log?.(
    `ivf index: ${t.parts} partitions over ${n} items, probe ${t.probe} (${t.candidates} candidates per query), ` +
      `recall@10 ${t.recall.toFixed(3)} vs exact on ${t.queries} items; k-means ${t.buildSeconds.toFixed(2)}s, probe choice ${t.tuneSeconds.toFixed(2)}s`,
  );
  return { parts: { ...parts, manifest, tensors: encoded.bytes }, index: summary };
}
