// The int8 scoring kernel (shared/engine/int8-scan.wat) through its wrapper, on the real compiled module in Node:
// exactly the plain-TS reference's answers (same integer dot products), and close to exact f32 cosine top-10.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quantizeQ8 } from '../../shared/artifact/q8.js';
import { Int8Engine, LOAD_CHUNK_BYTES, paddedWidth, type Int8Matrix, type TopKResult } from '../../shared/engine/int8-engine.js';
import { cosineFactors, quantizeQuery, queryLimit } from '../../shared/engine/kernel-inputs.js';
import { referenceTopK } from '../../shared/engine/reference-topk.js';
import { prng } from '../helpers/prng.js';
import { assembleInt8Scan } from '../../scripts/build-wasm.js';
import { INT8_SCAN_WASM_PATH, int8ScanModule } from '../../training/engine-node.js';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Random codes over the whole int8 range (-128 included: sign extension must hold for it too). */
function randomMatrix(rand: () => number, rows: number, cols: number, withAdd: boolean): Int8Matrix {
  const codes = Int8Array.from({ length: rows * cols }, () => Math.floor(rand() * 256) - 128);
  // Some zero factors (all-zero rows score add_i), the rest spread over two orders of magnitude.
  const factor = Float32Array.from({ length: rows }, () => (rand() < 0.05 ? 0 : 10 ** (rand() * 2 - 3)));
  const add = withAdd ? Float32Array.from({ length: rows }, () => gaussian(rand) * 0.5) : undefined;
  return { codes, rows, cols, factor, add };
}

function randomQuery(rand: () => number, cols: number): Float32Array {
  return Float32Array.from({ length: cols }, () => gaussian(rand));
}

function expectSame(got: TopKResult, want: TopKResult): void {
  expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
  expect(got.scores.length).toBe(want.scores.length);
  for (let r = 0; r < want.scores.length; r++) {
    const w = want.scores[r];
    expect(Math.abs(got.scores[r] - w)).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(w), 1e-30));
  }
}

describe('int8-scan.wasm', () => {
  it('is what int8-scan.wat builds to (rebuild with npm run build:wasm)', async () => {
    const built = await assembleInt8Scan();
    const committed = new Uint8Array(readFileSync(INT8_SCAN_WASM_PATH));
    expect(Buffer.compare(Buffer.from(built), Buffer.from(committed))).toBe(0);
    expect(committed.length).toBeLessThan(2048);
  });
});

describe('quantizeQuery', () => {
  it('is off by at most scale / 2 per element and uses the full i16 range', () => {
    const rand = prng(7);
    for (const cols of [16, 64, 150, 600]) {
      const q = randomQuery(rand, cols);
      const { q16, scale } = quantizeQuery(q);
      const limit = queryLimit(cols);
      expect(Math.max(...Array.from(q16, Math.abs))).toBe(limit);
      for (let j = 0; j < cols; j++) expect(Math.abs(q16[j] * scale - q[j])).toBeLessThanOrEqual(scale / 2 + 1e-7 * Math.abs(q[j]));
    }
    expect(queryLimit(512)).toBe(32767);
    expect(queryLimit(513)).toBeLessThan(32767);
    expect(queryLimit(600)).toBeLessThan(32767);
    expect(quantizeQuery(new Float32Array(8)).scale).toBe(0);
    expect(() => quantizeQuery(Float32Array.of(1, Number.NaN))).toThrow(/finite/);
  });
});

describe('Int8Engine against the plain-TS reference (same integer dot products)', () => {
  const engine = new Int8Engine(int8ScanModule());

  for (const cols of [16, 50, 64, 150]) {
    it(`d = ${cols} (rows padded to ${paddedWidth(cols)} bytes): every k, with and without biases and exclusions`, () => {
      const rand = prng(cols);
      for (const rows of [1, 2, 3, 4, 5, 7, 33, 130]) {
        for (const withAdd of [false, true]) {
          const m = randomMatrix(rand, rows, cols, withAdd);
          engine.load(m);
          expect(engine.rows).toBe(rows);
          const ks = rows <= 33 ? Array.from({ length: rows + 1 }, (_, k) => k + 1) : [1, 2, 3, 10, 64, 129, 130, 200];
          for (const k of ks) {
            const q = randomQuery(rand, cols);
            expectSame(engine.topK(q, k), referenceTopK(m, q, k));
            const exclude = new Set<number>();
            for (let i = 0; i < rows; i++) if (rand() < 0.3) exclude.add(i);
            expectSame(engine.topK(q, k, { exclude }), referenceTopK(m, q, k, { exclude }));
          }
        }
      }
    });
  }

  it('scans only the given row ranges (any start, empty ones, the last rows), with exclusions and biases', () => {
    // Ranges in a scattered order, starts off the kernel's groups of 4: the answer is the reference over the rows
    // in the ranges, reported by their index in the whole matrix.
    const rand = prng(21);
    for (const rows of [1, 6, 37, 130]) {
      for (const cols of [16, 50]) {
        const m = randomMatrix(rand, rows, cols, rows % 2 === 0);
        engine.load(m);
        const cuts = [0, ...Array.from({ length: 5 }, () => Math.floor(rand() * (rows + 1))), rows].sort((a, b) => a - b);
        const pairs: number[][] = [];
        for (let c = 0; c + 1 < cuts.length; c++) if (rand() < 0.6) pairs.push([cuts[c], cuts[c + 1]]);
        pairs.reverse();
        pairs.push([rows, rows]);
        const ranges = pairs.flat();
        for (const k of [1, 3, 10, rows]) {
          const q = randomQuery(rand, cols);
          expectSame(engine.topK(q, k, { ranges }), referenceTopK(m, q, k, { ranges }));
          const exclude = Array.from({ length: rows }, (_, i) => i).filter(() => rand() < 0.3);
          expectSame(engine.topK(q, k, { ranges, exclude }), referenceTopK(m, q, k, { ranges, exclude }));
        }
        // Every row in one range is the whole scan; no range answers nothing.
        const q = randomQuery(rand, cols);
        expectSame(engine.topK(q, 5, { ranges: [0, rows] }), engine.topK(q, 5));
        expect(engine.topK(q, 5, { ranges: [] }).indices.length).toBe(0);
      }
    }
    engine.load(randomMatrix(rand, 10, 16, false));
    const q = randomQuery(rand, 16);
    expect(() => engine.topK(q, 3, { ranges: [0, 11] })).toThrow('range [0, 11) is not within 0..10');
    expect(() => engine.topK(q, 3, { ranges: [4, 2] })).toThrow('range [4, 2) is not within 0..10');
    expect(() => engine.topK(q, 3, { ranges: [1] })).toThrow('not start/end pairs');
  });

  it('breaks ties by ascending index, at the k-th place too', () => {
    // Five distinct rows, each repeated 7 times in a scattered order: many equal scores.
    const rand = prng(3);
    const cols = 24;
    const base = Array.from({ length: 5 }, () => Int8Array.from({ length: cols }, () => Math.floor(rand() * 255) - 127));
    const rows = 35;
    const codes = new Int8Array(rows * cols);
    const which = Array.from({ length: rows }, (_, i) => (i * 3) % 5);
    which.forEach((w, i) => codes.set(base[w], i * cols));
    const m: Int8Matrix = { codes, rows, cols, factor: new Float32Array(rows).fill(0.01) };
    engine.load(m);
    const q = randomQuery(rand, cols);
    for (let k = 1; k <= rows; k++) {
      const got = engine.topK(q, k, { exclude: [4, 9] });
      expectSame(got, referenceTopK(m, q, k, { exclude: [4, 9] }));
      for (let r = 1; r < got.indices.length; r++) {
        if (got.scores[r] === got.scores[r - 1]) expect(got.indices[r]).toBeGreaterThan(got.indices[r - 1]);
      }
    }
  });

  it('answers fewer than k when exclusions leave fewer rows, none when all are excluded', () => {
    const m = randomMatrix(prng(5), 9, 16, true);
    engine.load(m);
    const q = randomQuery(prng(6), 16);
    expect(engine.topK(q, 9, { exclude: [0, 1, 2, 3] }).indices.length).toBe(5);
    expect(engine.topK(q, 3, { exclude: Array.from({ length: 9 }, (_, i) => i) }).indices.length).toBe(0);
    expect(engine.topK(q, 0).indices.length).toBe(0);
    // Exclusions do not stick to the next query.
    expectSame(engine.topK(q, 9), referenceTopK(m, q, 9));
  });

  it('refuses a bad exclusion without leaving it marked', () => {
    const m = randomMatrix(prng(8), 20, 16, false);
    engine.load(m);
    const q = randomQuery(prng(9), 16);
    expect(() => engine.topK(q, 5, { exclude: [3, 20] })).toThrow(/excluded row 20/);
    expect(() => engine.topK(q, 5, { exclude: [1.5] })).toThrow(/excluded row 1.5/);
    expectSame(engine.topK(q, 20), referenceTopK(m, q, 20));
    expect(() => engine.topK(new Float32Array(15), 5)).toThrow(/15 values/);
  });

  it('does not overflow at widths where a full-range i16 query would (d = 600)', () => {
    const rows = 6;
    const cols = 600;
    // Extreme codes: 127 and -128 everywhere, the query at full range with one sign.
    const codes = Int8Array.from({ length: rows * cols }, (_, i) => (Math.floor(i / cols) % 2 ? -128 : 127));
    const m: Int8Matrix = { codes, rows, cols, factor: new Float32Array(rows).fill(1) };
    engine.load(m);
    const q = new Float32Array(cols).fill(1);
    const got = engine.topK(q, rows);
    expectSame(got, referenceTopK(m, q, rows));
    expect(got.scores[0]).toBeCloseTo(127 * cols, 0);
  });

  it('grows its memory for a bigger matrix and a bigger k, and reports it', () => {
    const big = new Int8Engine(int8ScanModule());
    const before = big.memoryBytes;
    const m = randomMatrix(prng(10), 3000, 64, true);
    big.load(m);
    expect(big.memoryBytes).toBeGreaterThan(before);
    expect(big.memoryBytes).toBeGreaterThanOrEqual(big.residentBytes);
    expect(big.residentBytes).toBeGreaterThanOrEqual(3000 * 64 + 3000 * 8);
    const q = randomQuery(prng(11), 64);
    expectSame(big.topK(q, 3000), referenceTopK(m, q, 3000));
  });
});

describe('Int8Engine against exact f32 cosine', () => {
  it('recall@10 >= 0.95 on random 64-d data (q8 items, i16 query)', () => {
    const rand = prng(42);
    const rows = 5000;
    const cols = 64;
    const data = Float32Array.from({ length: rows * cols }, () => gaussian(rand));
    const q8 = quantizeQ8(data, rows, cols);
    const engine = new Int8Engine(int8ScanModule());
    engine.load({ codes: q8.values, rows, cols, factor: cosineFactors(q8.values, q8.scales, rows, cols) });
    const norms = Float64Array.from({ length: rows }, (_, r) => Math.hypot(...data.subarray(r * cols, (r + 1) * cols)));
    let hits = 0;
    const queries = 100;
    for (let t = 0; t < queries; t++) {
      const item = Math.floor(rand() * rows);
      const q = Float32Array.from(data.subarray(item * cols, (item + 1) * cols), (x) => x / norms[item]);
      const cosine = Array.from({ length: rows }, (_, r) => {
        let dot = 0;
        for (let c = 0; c < cols; c++) dot += q[c] * data[r * cols + c];
        return dot / norms[r];
      });
      const exact = cosine
        .map((s, r) => ({ r, s }))
        .filter((x) => x.r !== item)
        .sort((a, b) => b.s - a.s)
        .slice(0, 10)
        .map((x) => x.r);
      const got = engine.topK(q, 10, { exclude: [item] });
      // The scores are cosines, within the int8 error of the exact ones.
      got.indices.forEach((r, n) => expect(Math.abs(got.scores[n] - cosine[r])).toBeLessThan(0.01));
      const set = new Set(got.indices);
      hits += exact.filter((r) => set.has(r)).length;
    }
    const recall = hits / (queries * 10);
    console.log(`[int8-engine] recall@10 vs exact f32 cosine, 5000 x 64 gaussian, 100 queries: ${recall.toFixed(3)}`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });
});

describe('loading in steps (what lets the Worker answer requests during a large load)', () => {
  it('pauses after every LOAD_CHUNK_BYTES of codes and ends with the same matrix load() gives', () => {
    const rows = 150_000;
    const cols = 64;
    const codes = new Int8Array(rows * cols);
    for (let i = 0; i < codes.length; i++) codes[i] = ((i * 2654435761) >>> 24) - 128;
    const factor = Float32Array.from({ length: rows }, (_, r) => 1 + (r % 7) / 10);
    const m = { codes, rows, cols, factor };
    const whole = new Int8Engine(int8ScanModule());
    whole.load(m);
    const stepped = new Int8Engine(int8ScanModule());
    let pauses = 0;
    for (const _ of stepped.loadSteps(m)) pauses++;
    // 150,000 rows of 64 bytes in chunks of 4 MiB (65,536 rows): three chunks, a pause between each two.
    expect([LOAD_CHUNK_BYTES, pauses]).toEqual([4 << 20, 2]);
    const q = Float32Array.from({ length: cols }, (_, c) => Math.sin(c));
    const a = whole.topK(q, 10);
    const b = stepped.topK(q, 10);
    expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
    expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
    expect(Array.from(stepped.row(149_999))).toEqual(Array.from(codes.subarray(149_999 * cols)));
  });
});
