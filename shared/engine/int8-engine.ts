// Top-k scoring straight from int8 codes with a small WebAssembly SIMD kernel (int8-scan.wat).
//
// Runtime-neutral: the caller hands over the kernel as a WebAssembly.Module (the Worker imports int8-scan.wasm, which
// wrangler's CompiledWasm rule turns into one; Node compiles the file's bytes) or as an Instance. Nothing here
// compiles wasm bytes: Workers forbid it.
//
//   score_i = factor_i * (q16 . codes_i) * qScale + add_i
//
// codes_i are the artifact's int8 values as they are (one row per item), factor_i one f32 per row (scale / |row| for
// cosine, the q8 scale for a raw dot product), add_i an optional f32 per row (item biases). The query is quantised
// per call to i16 (kernel-inputs.ts quantizeQuery). The integer dot product is exact; the f32 operations are, in this order,
// ((f32(dot) * factor) * qScale) + add, each rounded to f32 (reference-topk.ts does exactly the same).
//
// Ties: equal scores are ordered by ascending index, as tfjs topk orders them; the k-th place goes to the lower index.

import { quantizeQuery } from './kernel-inputs.js';

/** The kernel's exports (int8-scan.wat documents the layout). */
interface Int8ScanExports {
  memory: WebAssembly.Memory;
  topk(
    codes: number, dPad: number, n: number, factor: number, add: number,
    query: number, qScale: number, excl: number, heapS: number, heapI: number, k: number,
  ): void;
  /** Rows [start, end) into the heap as it is (int8-scan.wat). */
  topk_range(
    codes: number, dPad: number, start: number, end: number, factor: number, add: number,
    query: number, qScale: number, excl: number, heapS: number, heapI: number, k: number,
  ): void;
}

/** One way of scoring the rows: one factor (and optionally one additive term) per row. */
export interface RowTerms {
  factor: Float32Array;
  add?: Float32Array;
}

/**
 * The matrix to score: row-major int8 [rows, cols] plus one factor (and optionally one additive term) per row.
 * `more` are further scorings of the same codes (e.g. cosine and raw dot product of one item table): the codes are
 * held once, each scoring costs 4 or 8 bytes per row. topK's `terms` picks one: 0 = factor/add, i = more[i - 1].
 */
export interface Int8Matrix extends RowTerms {
  codes: Int8Array;
  rows: number;
  cols: number;
  more?: RowTerms[];
}

export interface TopKOptions {
  /** Row indices never answered (seen items, the query item, hidden items). Each must be an integer in 0..rows-1. */
  exclude?: Iterable<number>;
  /**
   * When given, only these rows may be answered (a tag filter's allow-list); `exclude` still applies on top. The
   * bitmap is set in bulk (rows / 8 bytes) and the allowed rows cleared, so a small allow-list costs O(rows / 8).
   */
  allow?: Iterable<number>;
  /** Which scoring of the matrix: 0 (default) = its factor/add, i = more[i - 1]. */
  terms?: number;
  /**
   * When given, only rows in these ranges are scanned: [start0, end0, start1, end1, ...], each 0 <= start <= end <=
   * rows, scanned in this order (one kernel call each, into one heap; a coarse index's probed partitions). Rows are
   * still reported by their index in the whole matrix. An exact tie at the k-th place across two ranges goes to the
   * row of the range scanned first (within a range, to the lower index).
   */
  ranges?: ArrayLike<number>;
}

export interface TopKResult {
  /** Best first; ties by ascending index. Length min(k, rows - excluded rows). */
  indices: Int32Array;
  scores: Float32Array;
}

const EMPTY_INDEX = 0x7fffffff;
const PAGE = 65536;

/** Row width in the kernel's memory: cols rounded up to a multiple of 16 bytes (one SIMD chunk). */
export function paddedWidth(cols: number): number {
  return Math.ceil(cols / 16) * 16;
}

interface Layout {
  rows: number;
  cols: number;
  dPad: number;
  codes: number;
  /** Per scoring: byte offsets of its factor and additive term (0 = none). */
  terms: { factor: number; add: number }[];
  excl: number;
  query: number;
  /** First free byte: the heap of a query goes here. */
  end: number;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

const disposedError = () => {
  throw new Error('Int8Engine: used after dispose()');
};
/** Stands in for the kernel after dispose(): every use throws. */
const DISPOSED: Int8ScanExports = {
  get memory(): WebAssembly.Memory {
    return disposedError();
  },
  topk: disposedError,
  topk_range: disposedError,
};

/**
 * One matrix resident in one kernel instance's memory. load() copies the matrix in (memory grows as needed and never
 * shrinks: drop the engine to give it back); topK() answers queries. Not re-entrant (one query at a time per engine,
 * which is how a Worker isolate runs synchronous code).
 */
export class Int8Engine {
  private kernel: Int8ScanExports;
  private layout: Layout | undefined;
  /** Whether load() ever wrote into the memory (a fresh instance's memory is zeros). */
  private written = false;

  constructor(wasm: WebAssembly.Module | WebAssembly.Instance) {
    // new WebAssembly.Instance on a compiled module is allowed in Workers (only compiling from bytes is not).
    const instance = wasm instanceof WebAssembly.Instance ? wasm : new WebAssembly.Instance(wasm, {});
    const ex = instance.exports as unknown as Partial<Int8ScanExports>;
    if (!(ex.memory instanceof WebAssembly.Memory) || typeof ex.topk !== 'function' || typeof ex.topk_range !== 'function') {
      throw new TypeError('Int8Engine: the module does not export memory, topk and topk_range: is it shared/engine/int8-scan.wasm?');
    }
    this.kernel = ex as Int8ScanExports;
  }

  /**
   * Drops this engine's hold on its kernel instance: the instance and its linear memory (which cannot shrink) are
   * garbage once nothing else references them. Any later call throws.
   */
  dispose(): void {
    this.layout = undefined;
    this.kernel = DISPOSED;
  }

  get rows(): number {
    return this.layout?.rows ?? 0;
  }

  get cols(): number {
    return this.layout?.cols ?? 0;
  }

  /** Bytes of the kernel's linear memory (what this engine holds in the isolate). */
  get memoryBytes(): number {
    return this.kernel.memory.buffer.byteLength;
  }

  /** Bytes the loaded matrix occupies in that memory (codes, factors, additive terms, exclusion bitmap, query). */
  get residentBytes(): number {
    return this.layout ? this.layout.end : 0;
  }

  /** Row i's codes in the kernel's memory (a fresh view: memory growth detaches older ones). */
  row(i: number): Int8Array {
    const L = this.layout;
    if (!L) throw new Error('Int8Engine.row: no matrix loaded');
    if (!(i >= 0 && i < L.rows)) throw new RangeError(`Int8Engine.row: row ${i} is not in 0..${L.rows - 1}`);
    return new Int8Array(this.kernel.memory.buffer, L.codes + i * L.dPad, L.cols);
  }

  /**
   * The per-row factors (or additive terms) of scoring `terms` as loaded, a fresh view into the kernel's memory:
   * the engine's copy is the only one a loaded model needs to keep.
   */
  termValues(terms: number, which: 'factor' | 'add'): Float32Array | undefined {
    const L = this.layout;
    if (!L) throw new Error('Int8Engine.termValues: no matrix loaded');
    const t = L.terms[terms];
    if (!t) throw new RangeError(`Int8Engine.termValues: no scoring ${terms}`);
    const off = which === 'factor' ? t.factor : t.add;
    return off ? new Float32Array(this.kernel.memory.buffer, off, L.rows) : undefined;
  }

  /** Copies the matrix into the kernel's memory (rows padded with zeros to a multiple of 16 bytes). */
  load(m: Int8Matrix): void {
    drain(this.loadSteps(m));
  }

  /**
   * load() in steps: the generator pauses after every LOAD_CHUNK_BYTES of codes copied, so that a caller (the
   * Worker's model store) can let requests run between chunks of a large load. The matrix is usable once it ends.
   */
  *loadSteps(m: Int8Matrix): Generator<void, void, void> {
    const { rows, cols } = m;
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1) {
      throw new RangeError(`Int8Engine.load: bad shape [${rows}, ${cols}]`);
    }
    if (m.codes.length !== rows * cols) throw new RangeError(`Int8Engine.load: ${m.codes.length} codes do not make a ${rows}x${cols} matrix`);
    const scorings: RowTerms[] = [m, ...(m.more ?? [])];
    for (const t of scorings) {
      if (t.factor.length !== rows) throw new RangeError(`Int8Engine.load: ${t.factor.length} factors for ${rows} rows`);
      if (t.add && t.add.length !== rows) throw new RangeError(`Int8Engine.load: ${t.add.length} additive terms for ${rows} rows`);
      checkFinite('factor', t.factor);
      if (t.add) checkFinite('add', t.add);
    }
    const dPad = paddedWidth(cols);
    const nPad = Math.ceil(rows / 4) * 4;
    const codes = 16;
    let at = align16(codes + nPad * dPad);
    // A scoring that reuses another's array (the same Float32Array) points at the same bytes.
    const placed = new Map<Float32Array, number>();
    const place = (v: Float32Array | undefined): number => {
      if (!v) return 0;
      let off = placed.get(v);
      if (off === undefined) {
        off = at;
        at = align16(at + nPad * 4);
        placed.set(v, off);
      }
      return off;
    };
    const terms = scorings.map((t) => ({ factor: place(t.factor), add: place(t.add) }));
    const excl = at;
    const query = align16(excl + Math.ceil(nPad / 8));
    const end = align16(query + dPad * 2);
    this.layout = undefined;
    this.ensure(end);
    const buf = this.kernel.memory.buffer;
    // Padding bytes, padded rows and the exclusion bitmap must read as zero. A fresh instance's memory is all zeros
    // (the kernel has no data segment), so only a memory written before is cleared: at 60k rows that fill took a few
    // ms of a cold start.
    if (this.written) new Uint8Array(buf, 0, end).fill(0);
    this.written = true;
    const dst = new Int8Array(buf, codes, nPad * dPad);
    // The first touch of fresh pages costs more than the copy itself (~0.3 s for 61 MB in a cold workerd): in chunks.
    const chunkRows = Math.max(1, Math.floor(LOAD_CHUNK_BYTES / dPad));
    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const r1 = Math.min(rows, r0 + chunkRows);
      if (dPad === cols) dst.set(m.codes.subarray(r0 * cols, r1 * cols), r0 * cols);
      else for (let r = r0; r < r1; r++) dst.set(m.codes.subarray(r * cols, (r + 1) * cols), r * dPad);
      if (r1 < rows) yield;
    }
    for (const [v, off] of placed) new Float32Array(buf, off, rows).set(v);
    this.layout = { rows, cols, dPad, codes, terms, excl, query, end };
  }

  /**
   * The k rows with the highest scores for `query` (length cols), best first, ties by ascending index, excluded rows
   * left out. k is clamped to the number of rows.
   */
  topK(query: Float32Array, k: number, opts: TopKOptions = {}): TopKResult {
    const L = this.layout;
    if (!L) throw new Error('Int8Engine.topK: no matrix loaded');
    if (query.length !== L.cols) throw new RangeError(`Int8Engine.topK: query has ${query.length} values, the matrix ${L.cols} columns`);
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`Int8Engine.topK: k must be a non-negative integer, got ${k}`);
    const kk = Math.min(k, L.rows);
    if (kk === 0) return { indices: new Int32Array(0), scores: new Float32Array(0) };
    const t = L.terms[opts.terms ?? 0];
    if (!t) throw new RangeError(`Int8Engine.topK: no scoring ${opts.terms} (the matrix has ${L.terms.length})`);
    const ranges = opts.ranges;
    if (ranges) {
      if (ranges.length % 2 !== 0) throw new RangeError(`Int8Engine.topK: ranges has ${ranges.length} values, not start/end pairs`);
      for (let r = 0; r < ranges.length; r += 2) {
        const a = ranges[r];
        const b = ranges[r + 1];
        if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || a > b || b > L.rows) {
          throw new RangeError(`Int8Engine.topK: range [${a}, ${b}) is not within 0..${L.rows}`);
        }
      }
    }
    const { q16, scale } = quantizeQuery(query, L.cols);
    const heapS = L.end;
    const heapI = heapS + kk * 4;
    this.ensure(heapI + kk * 4);
    const buf = this.kernel.memory.buffer;
    new Int16Array(buf, L.query, L.cols).set(q16);
    const allowAll = opts.allow === undefined;
    if (!allowAll) this.markAllowed(buf, opts.allow!);
    let excluded: number[];
    try {
      excluded = this.markExcluded(buf, opts.exclude);
    } catch (e) {
      new Uint8Array(buf, L.excl, Math.ceil(L.rows / 8)).fill(0);
      throw e;
    }
    try {
      const useBits = !allowAll || excluded.length > 0;
      const excl = useBits ? L.excl : 0;
      if (ranges) {
        new Float32Array(buf, heapS, kk).fill(-Infinity);
        new Int32Array(buf, heapI, kk).fill(EMPTY_INDEX);
        for (let r = 0; r < ranges.length; r += 2) {
          if (ranges[r] < ranges[r + 1]) this.kernel.topk_range(L.codes, L.dPad, ranges[r], ranges[r + 1], t.factor, t.add, L.query, scale, excl, heapS, heapI, kk);
        }
      } else {
        this.kernel.topk(L.codes, L.dPad, L.rows, t.factor, t.add, L.query, scale, excl, heapS, heapI, kk);
      }
    } finally {
      const bits = new Uint8Array(this.kernel.memory.buffer, L.excl, Math.ceil(L.rows / 8));
      if (!allowAll) bits.fill(0);
      else for (const i of excluded) bits[i >> 3] = 0;
    }
    return sortHeap(new Float32Array(this.kernel.memory.buffer, heapS, kk), new Int32Array(this.kernel.memory.buffer, heapI, kk));
  }

  /** Every row excluded except `allow` (topK clears the whole bitmap afterwards). */
  private markAllowed(buf: ArrayBuffer, allow: Iterable<number>): void {
    const L = this.layout!;
    const bits = new Uint8Array(buf, L.excl, Math.ceil(L.rows / 8));
    bits.fill(0xff);
    for (const i of allow) {
      if (!Number.isInteger(i) || i < 0 || i >= L.rows) {
        bits.fill(0);
        throw new RangeError(`Int8Engine.topK: allowed row ${i} is not in 0..${L.rows - 1}`);
      }
      bits[i >> 3] &= ~(1 << (i & 7));
    }
  }

  /** Sets the exclusion bits; returns the rows marked (topK clears their bytes afterwards). */
  private markExcluded(buf: ArrayBuffer, exclude: Iterable<number> | undefined): number[] {
    const L = this.layout!;
    const marked: number[] = [];
    if (!exclude) return marked;
    const bits = new Uint8Array(buf, L.excl, Math.ceil(L.rows / 8));
    for (const i of exclude) {
      if (!Number.isInteger(i) || i < 0 || i >= L.rows) {
        throw new RangeError(`Int8Engine.topK: excluded row ${i} is not in 0..${L.rows - 1}`);
      }
      bits[i >> 3] |= 1 << (i & 7);
      marked.push(i);
    }
    return marked;
  }

  /** Grows the memory (whole pages) until it holds `bytes`. */
  private ensure(bytes: number): void {
    const have = this.kernel.memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      this.kernel.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch (e) {
      throw new RangeError(`Int8Engine: cannot grow the kernel's memory to ${bytes} bytes: ${(e as Error).message}`);
    }
  }
}

/** Codes copied per step of loadSteps (a few ms of work each). */
export const LOAD_CHUNK_BYTES = 4 << 20;

/** Runs a step generator to its end without pausing; returns what it returns. */
export function drain<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Throws naming the first non-finite value. One tight pass summing x - x (0 for a finite x, NaN otherwise), then a
 * search only when it failed: a per-element test was most of load() in a cold isolate (22 of ~60 ms at 60k rows in Node).
 */
function checkFinite(name: string, v: Float32Array): void {
  let acc = 0;
  for (let i = 0; i < v.length; i++) acc += v[i] - v[i];
  if (acc === 0) return;
  for (let i = 0; i < v.length; i++) if (!(Math.abs(v[i]) < Infinity)) throw new RangeError(`Int8Engine.load: ${name}[${i}] is ${v[i]}`);
}

/** Heap slots -> best first, ties by ascending index; unfilled slots (fewer rows than k after exclusions) dropped. */
function sortHeap(heapS: Float32Array, heapI: Int32Array): TopKResult {
  const order: number[] = [];
  for (let j = 0; j < heapI.length; j++) if (heapI[j] !== EMPTY_INDEX) order.push(j);
  order.sort((a, b) => heapS[b] - heapS[a] || heapI[a] - heapI[b]);
  const indices = new Int32Array(order.length);
  const scores = new Float32Array(order.length);
  order.forEach((j, r) => {
    indices[r] = heapI[j];
    scores[r] = heapS[j];
  });
  return { indices, scores };
}
