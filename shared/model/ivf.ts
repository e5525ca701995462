import { ArtifactError } from '../errors.js';
import type { DecodedTensor } from '../artifact/decode.js';
import { quantizeQ8, type Q8Matrix } from '../artifact/q8.js';
import { Int8Engine } from '../engine/int8-engine.js';
import { cosineFromNorms, unitRowFrom } from './engine-scorer.js';

/**
 * A coarse index for similar items in large catalogues (IVF): items are grouped into k-means partitions of their
 * unit vectors when the artifact is built; a query scores the partition centroids and then only the items of the
 * best `probe` partitions. Exact search streams the whole [d, N] matrix per query, which at 250k x 64 is memory
 * bandwidth bound (3-4 ms measured by npm run bench); the probed items are a few hundred to a few thousand.
 *
 * q8 artifacts with a kernel (shared/engine/int8-scan.wasm, as loadModel's engine uses) keep their int8 codes in
 * partition order in a kernel instance of their own, and a query is one topk_range call per probed partition: the
 * query (the item's served unit vector), its i16 rounding, the integer dot products and the cosine factors are the
 * exact engine's, so a probed item scores bit for bit what exact search gives it and the index loses only the items
 * of partitions it does not probe. Without a kernel (scorer 'tfjs') or for f16/f32 artifacts the probed rows are
 * scored in plain TypeScript over codes kept in partition order (the stored int8 values, N x d bytes, or f32 rows,
 * N x d x 4 bytes): tfjs-wasm's Gather costs ~1.6 ms for 600 columns of a [64, 250k] matrix, more than exact search
 * saves. Either way the copy is N x d codes (+ 16-byte row padding and 4 bytes per row on the kernel).
 *
 * The index is built by training/export/ivf-index.ts (`npm run train -- --index`).
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
  /**
   * The kernel scan (q8 artifacts with a kernel): the codes in position order, factor = cosine factors; `q8` and
   * `norms` (the artifact's own arrays, item order, not copied) build the query as exact search does.
   */
  engine?: { scan: Int8Engine; scales: Float32Array; norms: Float32Array; centroids: Int8Engine };
  /** The TS scan otherwise: [N, d] codes of the unit vectors in position order (int8 values or f32 values). */
  codes?: Int8Array | Float32Array;
  /** TS scan, per position: codes . codes' * factor * factor' is the cosine of two items. */
  factor?: Float32Array;
  /** Partitions probed per query (the index builder's tuner sets it per trial). */
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
  kernel?: WebAssembly.Module,
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
  const base = { centroids: c.data, parts, dim, order, offsets, position, probe: p };
  const q8 = items.q8;
  if (q8 && kernel) {
    const codes = new Int8Array(nItems * dim);
    // From the stored norms: loading an index makes no pass over the codes either.
    const cos = cosineFromNorms(q8.scales, norms);
    const factor = new Float32Array(nItems);
    for (let i = 0; i < nItems; i++) {
      codes.set(q8.values.subarray(i * dim, (i + 1) * dim), position[i] * dim);
      factor[position[i]] = cos[i];
    }
    const scan = new Int8Engine(kernel);
    scan.load({ codes, rows: nItems, cols: dim, factor });
    // The centroids too, int8 per row (factor = scale: q . centroid to int8 rounding): ranking 1,000 x 64 centroids
    // in JS took ~0.07 ms, more than scanning the probed items; the probe is chosen through this same ranking.
    const cq = quantizeQ8(c.data, parts, dim);
    const centroids = new Int8Engine(kernel);
    centroids.load({ codes: cq.values, rows: parts, cols: dim, factor: cq.scales });
    // Per position, the scale and norm that rebuild a unit query row from the scan kernel's codes (no view of the
    // upload is kept).
    const scales = new Float32Array(nItems);
    const rowNorms = new Float32Array(nItems);
    for (let i = 0; i < nItems; i++) {
      scales[position[i]] = q8.scales[i];
      rowNorms[position[i]] = norms[i];
    }
    return { ...base, centroids: c.data.slice(), engine: { scan, scales, norms: rowNorms, centroids } };
  }
  const factor = new Float32Array(nItems);
  const codes = q8 ? new Int8Array(nItems * dim) : new Float32Array(nItems * dim);
  const source = q8 ? q8.values : items.data;
  for (let i = 0; i < nItems; i++) {
    codes.set(source.subarray(i * dim, (i + 1) * dim), position[i] * dim);
    factor[position[i]] = norms[i] > 0 ? (q8 ? q8.scales[i] : 1) / norms[i] : 0;
  }
  // A copy of the centroids: a view would keep the whole upload (tensors.bin) alive.
  return { ...base, centroids: c.data.slice(), codes, factor };
}

/** The best `probe` partitions for a query vector q (any positive multiple of the item's unit vector), best first. */
function rankCentroids(ivf: IvfIndex, q: ArrayLike<number>, at = 0): Int32Array {
  const { dim: d, centroids } = ivf;
  const parts = new TopK(ivf.probe);
  for (let p = 0; p < ivf.parts; p++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += q[at + c] * centroids[p * d + c];
    if (s > parts.floor) parts.push(p, s);
  }
  return parts.idx.subarray(0, parts.size);
}

/** The partitions a similar-items query for item i probes, best first (what ivfSimilar scans). */
export function ivfProbed(ivf: IvfIndex, i: number): Int32Array {
  if (ivf.engine) return ivf.engine.centroids.topK(ivfQuery(ivf, i), ivf.probe).indices;
  return rankCentroids(ivf, ivf.codes!, ivf.position[i] * ivf.dim);
}

/**
 * The k items with the highest cosine with item `i` among the probed partitions, best first, never item i nor an
 * item of `exclude` (item indices).
 */
export function ivfSimilar(ivf: IvfIndex, i: number, k: number, exclude: Iterable<number>): { index: number; score: number }[] {
  if (ivf.engine) {
    const { scan } = ivf.engine;
    const q = ivfQuery(ivf, i);
    const probed = ivf.engine.centroids.topK(q, ivf.probe).indices;
    const ranges = new Int32Array(probed.length * 2);
    probed.forEach((p, r) => {
      ranges[2 * r] = ivf.offsets[p];
      ranges[2 * r + 1] = ivf.offsets[p + 1];
    });
    const r = scan.topK(q, k, { ranges, exclude: positionsOf(ivf, i, exclude) });
    return Array.from(r.indices, (pos, j) => ({ index: ivf.order[pos], score: r.scores[j] }));
  }
  const codes = ivf.codes!;
  const qAt = ivf.position[i] * ivf.dim;
  const fq = ivf.factor![ivf.position[i]];
  const skip = new Set(exclude);
  skip.add(i);
  const top = new TopK(k);
  for (const p of rankCentroids(ivf, codes, qAt)) {
    if (codes instanceof Int8Array) scan(codes, ivf, qAt, fq, ivf.offsets[p], ivf.offsets[p + 1], top, skip);
    else scan(codes, ivf, qAt, fq, ivf.offsets[p], ivf.offsets[p + 1], top, skip);
  }
  return Array.from({ length: top.size }, (_, r) => ({ index: top.idx[r], score: top.val[r] }));
}

/** Item i's unit vector, from the codes in the scan kernel (position order), rounded as exact search rounds it. */
function ivfQuery(ivf: IvfIndex, i: number): Float32Array {
  const e = ivf.engine!;
  const pos = ivf.position[i];
  return unitRowFrom(e.scan.row(pos), e.scales[pos], e.norms[pos], ivf.dim);
}

function* positionsOf(ivf: IvfIndex, i: number, exclude: Iterable<number>): Iterable<number> {
  yield ivf.position[i];
  for (const j of exclude) yield ivf.position[j];
}

/** Scores positions from..to against the query's row; one call site per code type keeps each loop monomorphic. */
function scan<A extends Int8Array | Float32Array>(codes: A, ivf: IvfIndex, qAt: number, fq: number, from: number, to: number, top: TopK, skip: ReadonlySet<number>): void {
  const d = ivf.dim;
  const factor = ivf.factor!;
  for (let pos = from; pos < to; pos++) {
    let dot = 0;
    for (let c = 0, at = pos * d; c < d; c++) dot += codes[qAt + c] * codes[at + c];
    const s = dot * fq * factor[pos];
    if (s > top.floor) {
      const j = ivf.order[pos];
      if (!skip.has(j)) top.push(j, s);
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
