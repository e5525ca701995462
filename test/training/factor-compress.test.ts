import { describe, expect, it } from 'vitest';
import { createRng } from '../../training/data/random.js';
import { compressFactors, jacobiSvd, orthonormalise } from '../../training/models/factor-compress.js';

const rng = createRng(9);
const gauss = (n: number) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));

/** A (n x a) times B (a x b), row-major, in f64. */
function mul(A: ArrayLike<number>, n: number, a: number, B: ArrayLike<number>, b: number): Float64Array {
  const out = new Float64Array(n * b);
  for (let i = 0; i < n; i++) for (let p = 0; p < a; p++) for (let c = 0; c < b; c++) out[i * b + c] += A[i * a + p] * B[p * b + c];
  return out;
}

/** Largest |(U V^T - P Q^T)(u, i)| over every pair. */
function maxGap(U: Float32Array, V: Float32Array, m: number, P: Float32Array, Q: Float32Array, d: number, nU: number, nI: number): number {
  let worst = 0;
  for (let u = 0; u < nU; u++) {
    for (let i = 0; i < nI; i++) {
      let a = 0, b = 0;
      for (let f = 0; f < m; f++) a += U[u * m + f] * V[i * m + f];
      for (let f = 0; f < d; f++) b += P[u * d + f] * Q[i * d + f];
      worst = Math.max(worst, Math.abs(a - b));
    }
  }
  return worst;
}

/** Factors of width m whose product has rank `rank` (both sides drawn through a rank x m map). */
function lowRank(nU: number, nI: number, m: number, rank: number) {
  const R1 = gauss(rank * m);
  const R2 = gauss(rank * m);
  const U = Float32Array.from(mul(gauss(nU * rank), nU, rank, R1, m), (x) => x / Math.sqrt(m));
  const V = Float32Array.from(mul(gauss(nI * rank), nI, rank, R2, m), (x) => x / Math.sqrt(m));
  return { U, V };
}

describe('compressFactors: the stacked posterior samples as one narrow dot product (QR + SVD of the small core)', () => {
  it('narrow stacks (QR of U itself): rank <= dim is reproduced to 1e-4 in every pair', () => {
    const [nU, nI, m] = [40, 30, 12];
    const { U, V } = lowRank(nU, nI, m, 5);
    const c = compressFactors(U, V, nU, nI, m, 6);
    expect(c.dim).toBe(6);
    expect(maxGap(U, V, m, c.userFactors, c.itemFactors, c.dim, nU, nI)).toBeLessThan(1e-4);
    // Rank 5: the sixth singular value is rounding.
    expect(c.singular[4]).toBeGreaterThan(0.1);
    expect(c.singular[5]).toBeLessThan(1e-5);
  });

  it('wide stacks (randomized range sketch with power iterations): rank <= dim is reproduced to 1e-4', () => {
    const [nU, nI, m] = [60, 50, 200];
    const { U, V } = lowRank(nU, nI, m, 7);
    const c = compressFactors(U, V, nU, nI, m, 8, { seed: 3 });
    expect(c.dim).toBe(8);
    expect(maxGap(U, V, m, c.userFactors, c.itemFactors, c.dim, nU, nI)).toBeLessThan(1e-4);
  });

  it('truncation keeps the largest singular directions: diag(3, 2, 1) to rank 2 is diag(3, 2, 0), split sqrt-wise', () => {
    const U = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    const V = Float32Array.of(0, 2, 0, 3, 0, 0, 0, 0, 1); // item 0 carries 2 on u1, item 1 carries 3 on u0
    const c = compressFactors(U, V, 3, 3, 3, 2);
    expect(Array.from(c.singular).map((s) => Number(s.toFixed(6)))).toEqual([3, 2, 1]);
    const M = mul(c.userFactors, 3, 2, Array.from({ length: 6 }, (_, k) => c.itemFactors[(k % 3) * 2 + Math.floor(k / 3)]), 3);
    const want = [0, 3, 0, 2, 0, 0, 0, 0, 0];
    M.forEach((x, k) => expect(x).toBeCloseTo(want[k], 5));
    // Equal scales on both sides: each row norm is sqrt of its singular value.
    expect(Math.hypot(c.userFactors[0], c.userFactors[1])).toBeCloseTo(Math.sqrt(3), 5);
    expect(Math.hypot(c.itemFactors[2], c.itemFactors[3])).toBeCloseTo(Math.sqrt(3), 5);
  });

  it('a stack narrower than dim keeps its full width and reproduces the product', () => {
    const { U, V } = lowRank(5, 4, 3, 3);
    const c = compressFactors(U, V, 5, 4, 3, 8);
    expect(c.dim).toBe(3);
    expect(maxGap(U, V, 3, c.userFactors, c.itemFactors, c.dim, 5, 4)).toBeLessThan(1e-5);
  });

  it('jacobiSvd and orthonormalise: U diag(s) V^T rebuilds the matrix; Q has orthonormal columns and QR = A', () => {
    const w = 5;
    const C = Float64Array.from(gauss(w * w));
    const { u, s, v } = jacobiSvd(C, w);
    for (let a = 0; a < w; a++) {
      for (let b = 0; b < w; b++) {
        let x = 0;
        for (let c = 0; c < w; c++) x += u[a * w + c] * s[c] * v[b * w + c];
        expect(x).toBeCloseTo(C[a * w + b], 10);
      }
    }
    expect(Array.from(s)).toEqual(Array.from(s).sort((x, y) => y - x));
    const A = Float64Array.from(gauss(8 * 3));
    const { q, r } = orthonormalise(A, 8, 3);
    const qtq = mul(Array.from({ length: 24 }, (_, k) => q[(k % 8) * 3 + Math.floor(k / 8)]), 3, 8, q, 3);
    qtq.forEach((x, k) => expect(x).toBeCloseTo(k % 4 === 0 ? 1 : 0, 10));
    mul(q, 8, 3, r, 3).forEach((x, k) => expect(x).toBeCloseTo(A[k], 10));
  });
});
