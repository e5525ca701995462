// A table of strings stored compactly: one UTF-8 byte blob, int32 offsets as stored (string i is bytes[offsets[i] ..
// offsets[i+1])), and, for id tables, `order`: the indices sorted by their UTF-8 bytes, so that an id is found by a
// binary search over the bytes without building a Map of every id as JS strings. A string is decoded only when asked
// for (the k results of an answer).

const encoder = new TextEncoder();
/** A UTF-16 surrogate without its pair: such a string has no UTF-8 form (TextEncoder would write U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` is well-formed Unicode (no lone surrogate), i.e. survives UTF-8 unchanged. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}
const decoder = new TextDecoder();

/**
 * Where each string of a table starts and ends. Stored (tensors.bin) as int32 offsets; a loaded model keeps
 * `PackedSpans` instead: per-string byte lengths in the narrowest unsigned type that holds them plus every 16th
 * offset, 1.3 bytes per string instead of 4 when strings are shorter than 256 bytes.
 */
interface Spans {
  readonly size: number;
  readonly byteLength: number;
  start(i: number): number;
  end(i: number): number;
}

class OffsetSpans implements Spans {
  constructor(readonly offsets: Int32Array) {}
  get size(): number {
    return this.offsets.length - 1;
  }
  get byteLength(): number {
    return this.offsets.byteLength;
  }
  start(i: number): number {
    return this.offsets[i];
  }
  end(i: number): number {
    return this.offsets[i + 1];
  }
}

const SPAN_BLOCK = 16;
/** Tables with at least this many strings keep packed spans once owned (see StringTable.owned). */
export const PACK_FROM = 100_000;

class PackedSpans implements Spans {
  private constructor(
    readonly size: number,
    private readonly lengths: Uint8Array | Uint16Array | Uint32Array,
    /** The offset of every SPAN_BLOCK-th string. */
    private readonly anchors: Int32Array,
  ) {}

  static of(offsets: Int32Array): PackedSpans {
    const n = offsets.length - 1;
    let longest = 0;
    for (let i = 0; i < n; i++) longest = Math.max(longest, offsets[i + 1] - offsets[i]);
    const lengths = longest < 256 ? new Uint8Array(n) : longest < 65536 ? new Uint16Array(n) : new Uint32Array(n);
    for (let i = 0; i < n; i++) lengths[i] = offsets[i + 1] - offsets[i];
    const anchors = new Int32Array(Math.ceil(n / SPAN_BLOCK) + 1);
    for (let b = 0; b < anchors.length; b++) anchors[b] = offsets[Math.min(n, b * SPAN_BLOCK)];
    return new PackedSpans(n, lengths, anchors);
  }

  get byteLength(): number {
    return this.lengths.byteLength + this.anchors.byteLength;
  }
  start(i: number): number {
    let at = this.anchors[(i / SPAN_BLOCK) | 0];
    for (let j = i - (i % SPAN_BLOCK); j < i; j++) at += this.lengths[j];
    return at;
  }
  end(i: number): number {
    return this.start(i) + this.lengths[i];
  }
}

export class StringTable {
  private readonly spans: Spans;

  constructor(
    readonly bytes: Uint8Array,
    offsets: Int32Array | Spans,
    /** Indices in ascending byte order of their strings (id tables); absent: no lookup by value. */
    readonly order?: Int32Array,
  ) {
    this.spans = offsets instanceof Int32Array ? new OffsetSpans(offsets) : offsets;
  }

  /** A table built from strings in memory (tag vocabularies, tests); `withOrder` adds the lookup order. */
  static from(strings: readonly string[], withOrder = true): StringTable {
    const blocks = encodeStrings(strings);
    return new StringTable(blocks.bytes, blocks.offsets, withOrder ? sortedOrder(blocks.bytes, blocks.offsets) : undefined);
  }

  /** A copy that owns its bytes (nothing views the buffer it was decoded from), with packed spans: what a model keeps. */
  owned(packFrom = PACK_FROM): StringTable {
    // Below packFrom strings packing saves under 0.3 MB and costs a cold isolate a few ms (its loops run before
    // the JIT has compiled them): the offsets are copied as they are.
    const spans = this.size >= packFrom ? PackedSpans.of(this.offsets) : this.offsets.slice();
    return new StringTable(this.bytes.slice(), spans, this.order?.slice());
  }

  /** The int32 offsets (as stored; built for a packed table: for checks and tools). */
  get offsets(): Int32Array {
    const s = this.spans;
    return s instanceof OffsetSpans ? s.offsets : Int32Array.from({ length: this.size + 1 }, (_, i) => (i < this.size ? s.start(i) : this.bytes.length));
  }

  get size(): number {
    return this.spans.size;
  }

  get(i: number): string {
    return decoder.decode(this.bytes.subarray(this.spans.start(i), this.spans.end(i)));
  }

  /** Every string, in index order (materialises them all: for tools and small tables). */
  all(): string[] {
    return Array.from({ length: this.size }, (_, i) => this.get(i));
  }

  /** Index of `s`, or -1: encodes `s` once, then binary search over `order` comparing bytes. */
  indexOf(s: string): number {
    const order = this.order;
    if (!order) throw new Error('StringTable.indexOf: this table has no lookup order');
    // An id with a lone surrogate cannot be in the table (packing refuses them): without this it would match the id
    // with U+FFFD in its place.
    if (!isWellFormed(s)) return -1;
    const q = encoder.encode(s);
    let lo = 0;
    let hi = order.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const i = order[mid];
      const c = compareBytes(this.bytes, this.spans.start(i), this.spans.end(i), q, 0, q.length);
      if (c === 0) return i;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Bytes this table holds. */
  get byteLength(): number {
    return this.bytes.byteLength + this.spans.byteLength + (this.order?.byteLength ?? 0);
  }
}

/** UTF-8 blob + offsets of `strings`. */
export function encodeStrings(strings: readonly string[]): { bytes: Uint8Array; offsets: Int32Array } {
  const parts = strings.map((s) => encoder.encode(s));
  const offsets = new Int32Array(strings.length + 1);
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i] + parts[i].length;
  const bytes = new Uint8Array(offsets[strings.length]);
  parts.forEach((p, i) => bytes.set(p, offsets[i]));
  return { bytes, offsets };
}

/** Indices sorted by their strings' bytes (ties by index, so duplicates sit side by side). */
export function sortedOrder(bytes: Uint8Array, offsets: Int32Array): Int32Array {
  const n = offsets.length - 1;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => compareBytes(bytes, offsets[a], offsets[a + 1], bytes, offsets[b], offsets[b + 1]) || a - b);
  return order;
}

/** Lexicographic comparison of two byte ranges (UTF-8 byte order is code point order). */
export function compareBytes(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let j = 0; j < n; j++) {
    const d = a[a0 + j] - b[b0 + j];
    if (d !== 0) return d;
  }
  return a1 - a0 - (b1 - b0);
}
