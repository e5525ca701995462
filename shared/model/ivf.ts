import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError } from '../errors.js';
import type { DecodedTensor } from '../artifact/decode.js';

/**
 * A coarse index for similar items in large catalogues (IVF): items are grouped into k-means partitions of their
 * unit vectors when the artifact is built; a query scores the partition centroids and then only the items of the
 * best `probe` partitions. Exact search streams the whole [d, N] matrix per query, which at 250k x 64 is memory
 * bandwidth bound (3-4 ms measured by npm run bench); the probed items are a few hundred to a few thousand.
 *
 * The probed items are scored in plain TypeScript over int8 codes kept in partition order: tfjs-wasm's Gather
 * costs ~1.6 ms for 600 columns of a [64, 250k] matrix (more than exact search saves), while a dot product over
 * contiguous rows costs nanoseconds. For q8 artifacts the codes are the stored int8 values (N x d bytes), so the
 * scores are the served weights' cosines to float rounding; f16/f32 artifacts keep f32 rows (N x d x 4 bytes).
 *
 * Artifact tensors (optional, f32): ivf_centroids [C, d] (unit rows) and ivf_assign [N] (each item's partition,
 * an integer < 2^24 stored exactly as f32); the manifest's model.hyper.ivfProbe says how many partitions a query
 * probes (chosen when the index is built, for a recall target).
 */
export const IVF_TENSORS = { centroids: 'ivf_centroids', assign: 'ivf_assign' } as const;

export interface IvfIndex {
  /** [C, d] unit centroids, row-major. */
  centroids: Float32Array;
  parts: number;
  dim: number;
  /** Item index at each position; positions are grouped by partition: p holds offsets[p] .. offsets[p + 1]. */
  order: Int32Array;
  offsets: Int32Array;
  /** Position of each item. */
  position: Int32Array;
  /** [N, d] codes of the unit vectors in position order: the stored int8 values (q8 artifacts) or f32 values. */
  codes: Int8Array | Float32Array;
  /** Per position: codes . codes' * factor * factor' is the cosine of two items. */
  factor: Float32Array;
  /** Partitions probed per query. */
  probe: number;
}

/**
 * The index from an artifact's tensors, or undefined when it has none; validated against the counts. `items` is
 * the item factor tensor and `norms` its row lengths (loadModel computes them).
 */
export function loadIvf(
  tensors: Map<string, DecodedTensor>,
  items: DecodedTensor,
  norms: Float32Array,
  probe: unknown,
): IvfIndex | undefined {
  const c = tensors.get(IVF_TENSORS.centroids);
  const a = tensors.get(IVF_TENSORS.assign);
  if (!c && !a) return undefined;
  if (!c || !a) throw new ArtifactError(`an IVF index needs both ${IVF_TENSORS.centroids} and ${IVF_TENSORS.assign}; the artifact has only one`);
  const [nItems, dim] = items.shape;
  const parts = c.shape[0];
  if (c.shape.length !== 2 || c.shape[1] !== dim) throw new ArtifactError(`tensor ${IVF_TENSORS.centroids} has shape [${c.shape}], expected [C, ${dim}]`);
  if (a.shape.length !== 1 || a.shape[0] !== nItems) throw new ArtifactError(`tensor ${IVF_TENSORS.assign} has shape [${a.shape}], expected [${nItems}]`);
  const p = Number(probe);
  if (!Number.isInteger(p) || p < 1 || p > parts) {
    throw new ArtifactError(`manifest model.hyper.ivfProbe is ${JSON.stringify(probe)}: it must be an integer in 1..${parts} (partitions probed per query)`);
  }
  const assign = a.data;
  const offsets = new Int32Array(parts + 1);
  for (let i = 0; i < nItems; i++) {
    const part = assign[i];
    if (!Number.isInteger(part) || part < 0 || part >= parts) {
      throw new ArtifactError(`tensor ${IVF_TENSORS.assign}: item ${i} is in partition ${part}, outside 0..${parts - 1}`);
    }
    offsets[part + 1]++;
  }
  for (let q = 0; q < parts; q++) offsets[q + 1] += offsets[q];
  const fill = offsets.slice(0, parts);
  const order = new Int32Array(nItems);
  const position = new Int32Array(nItems);
  for (let i = 0; i < nItems; i++) {
    position[i] = fill[assign[i]]++;
    order[position[i]] = i;
  }
  const factor = new Float32Array(nItems);
  const q8 = items.q8;
  const codes = q8 ? new Int8Array(nItems * dim) : new Float32Array(nItems * dim);
  const source = q8 ? q8.values : items.data;
  for (let i = 0; i < nItems; i++) {
    codes.set(source.subarray(i * dim, (i + 1) * dim), position[i] * dim);
    factor[position[i]] = norms[i] > 0 ? (q8 ? q8.scales[i] : 1) / norms[i] : 0;
  }
  // A copy: a view would keep the whole upload (tensors.bin) alive beside the codes copied above.
  return { centroids: c.data.slice(), parts, dim, order, offsets, position, codes, factor, probe: p };
}

/**
 * The k items with the highest cosine with item `i` among the probed partitions, best first, skipping `skip(j)`.
 */
export function ivfSimilar(ivf: IvfIndex, i: number, k: number, skip: (j: number) => boolean): { index: number; score: number }[] {
  const { dim: d, codes, factor, centroids } = ivf;
  const qAt = ivf.position[i] * d;
  const fq = factor[ivf.position[i]];
  const parts = new TopK(ivf.probe);
  for (let p = 0; p < ivf.parts; p++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += codes[qAt + c] * centroids[p * d + c];
    if (s > parts.floor) parts.push(p, s);
  }
  const top = new TopK(k);
  for (let r = 0; r < parts.size; r++) {
    const p = parts.idx[r];
    if (codes instanceof Int8Array) scan(codes, ivf, qAt, fq, ivf.offsets[p], ivf.offsets[p + 1], top, skip);
    else scan(codes, ivf, qAt, fq, ivf.offsets[p], ivf.offsets[p + 1], top, skip);
  }
  return Array.from({ length: top.size }, (_, r) => ({ index: top.idx[r], score: top.val[r] }));
}

/** Scores positions from..to against the query's row; one call site per code type keeps each loop monomorphic. */
function scan<A extends Int8Array | Float32Array>(codes: A, ivf: IvfIndex, qAt: number, fq: number, from: number, to: number, top: TopK, skip: (j: number) => boolean): void {
  const d = ivf.dim;
  for (let pos = from; pos < to; pos++) {
    let dot = 0;
    for (let c = 0, at = pos * d; c < d; c++) dot += codes[qAt + c] * codes[at + c];
    const s = dot * fq * ivf.factor[pos];
    if (s > top.floor) {
      const j = ivf.order[pos];
      if (!skip(j)) top.push(j, s);
    }
  }
}

/** The best k of a stream by insertion into a small sorted buffer (k is small: 10 results, a few partitions). */
class TopK {
  readonly idx: Int32Array;
  readonly val: Float64Array;
  size = 0;
  constructor(readonly k: number) {
    this.idx = new Int32Array(k);
    this.val = new Float64Array(k);
  }
  get floor(): number {
    return this.size < this.k ? -Infinity : this.val[this.k - 1];
  }
  push(j: number, s: number): void {
    let at = this.size < this.k ? this.size++ : this.k - 1;
    while (at > 0 && this.val[at - 1] < s) {
      this.val[at] = this.val[at - 1];
      this.idx[at] = this.idx[at - 1];
      at--;
    }
    this.val[at] = s;
    this.idx[at] = j;
  }
}

/**
 * Spherical k-means of unit rows [n, d] into `parts` partitions, for building an index when an artifact is written:
 * centroids are fitted on a seeded sample of rows (k-means++ start), then every row is assigned
 * to its nearest centroid. Runs on the active tfjs backend: assignments are chunked [rows, d] x [d, C] matMuls.
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
