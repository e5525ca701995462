import { createRng } from '../data/random.js';
import { createDraws } from './draws.js';

type Matrix = Float32Array | Float64Array;

export interface CompressOptions {
  /** Columns beyond `dim` in the range sketch (default 16). */
  oversample?: number;
  /** Power iterations of the range sketch (default 2); unused when the stacked factors are narrow enough. */
  powerIters?: number;
  seed?: number;
}

export interface Compressed {
  dim: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  /** Singular values of U V^T, largest first (all the sketch saw, not only the kept ones). */
  singular: Float64Array;
}

/**
 * U V^T (U: nU x m, V: nI x m, row-major) as P Q^T with P, Q of width `dim`: the best rank-`dim` approximation of
 * the product, never formed. The range of U V^T is found by QR: of U itself when m is at most dim + oversample (then
 * the result is exact whenever the product's rank is at most `dim`), else of a randomized sketch U V^T Omega
 * refined by power iterations (Halko, Martinsson and Tropp 2011). With Qy that basis, Qy^T U V^T = (V U^T Qy)^T,
 * whose QR gives Qb Rb; the small core Rb^T is split by SVD, and each side takes the square root of the singular
 * values, so P and Q have matching scales (what int8 rows want).
 */
export function compressFactors(U: Matrix, V: Matrix, nU: number, nI: number, m: number, dim: number, o: CompressOptions = {}): Compressed {
  if (U.length !== nU * m || V.length !== nI * m) throw new RangeError(`compressFactors: U is ${U.length} values, V ${V.length}; expected ${nU}x${m} and ${nI}x${m}`);
  const l = Math.min(m, dim + (o.oversample ?? 16), nU, nI);
  let Y: Float64Array;
  if (m <= l) {
    Y = Float64Array.from(U);
  } else {
    const draws = createDraws(createRng(o.seed ?? 42));
    const omega = Float64Array.from({ length: nI * l }, () => draws.normal());
    Y = mulAB(U, nU, m, mulAtB(V, nI, m, omega, l), l);
    for (let q = 0; q < (o.powerIters ?? 2); q++) {
      const z = orthonormalise(mulAB(V, nI, m, mulAtB(U, nU, m, orthonormalise(Y, nU, l).q, l), l), nI, l).q;
      Y = mulAB(U, nU, m, mulAtB(V, nI, m, z, l), l);
    }
  }
  const w = m <= l ? m : l;
  const qy = orthonormalise(Y, nU, w).q;
  const { q: qb, r: rb } = orthonormalise(mulAB(V, nI, m, mulAtB(U, nU, m, qy, w), w), nI, w);
  const core = new Float64Array(w * w);
  for (let a = 0; a < w; a++) for (let b = 0; b < w; b++) core[a * w + b] = rb[b * w + a];
  const svd = jacobiSvd(core, w);
  const keep = Math.min(dim, w);
  const side = (basis: Float64Array, rows: number, vecs: Float64Array) => {
    const out = new Float32Array(rows * keep);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < keep; c++) {
        let s = 0;
        for (let a = 0; a < w; a++) s += basis[i * w + a] * vecs[a * w + c];
        out[i * keep + c] = s * Math.sqrt(svd.s[c]);
      }
    }
    return out;
  };
  return { dim: keep, userFactors: side(qy, nU, svd.u), itemFactors: side(qb, nI, svd.v), singular: svd.s };
}

/** A^T B for A (n x a) and B (n x b), row-major. */
export function mulAtB(A: Matrix, n: number, a: number, B: Matrix, b: number): Float64Array {
  const out = new Float64Array(a * b);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < a; p++) {
      const x = A[i * a + p];
      if (x === 0) continue;
      const o = p * b;
      const bi = i * b;
      for (let c = 0; c < b; c++) out[o + c] += x * B[bi + c];
    }
  }
  return out;
}

/** A B for A (n x a) and B (a x b), row-major. */
export function mulAB(A: Matrix, n: number, a: number, B: Matrix, b: number): Float64Array {
  const out = new Float64Array(n * b);
  for (let i = 0; i < n; i++) {
    const o = i * b;
    for (let p = 0; p < a; p++) {
      const x = A[i * a + p];
      if (x === 0) continue;
      const bp = p * b;
      for (let c = 0; c < b; c++) out[o + c] += x * B[bp + c];
    }
  }
  return out;
}

/**
 * Thin QR of A (n x w, row-major) by modified Gram-Schmidt, each column orthogonalised twice (stable to rounding);
 * a column already in the span of the earlier ones becomes zero in Q, with a zero on R's diagonal.
 */
export function orthonormalise(A: Float64Array, n: number, w: number): { q: Float64Array; r: Float64Array } {
  const cols = new Float64Array(n * w);
  for (let i = 0; i < n; i++) for (let c = 0; c < w; c++) cols[c * n + i] = A[i * w + c];
  const r = new Float64Array(w * w);
  for (let j = 0; j < w; j++) {
    const v = cols.subarray(j * n, (j + 1) * n);
    let before = 0;
    for (let i = 0; i < n; i++) before += v[i] * v[i];
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const qp = cols.subarray(p * n, (p + 1) * n);
        let d = 0;
        for (let i = 0; i < n; i++) d += qp[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * qp[i];
        r[p * w + j] += d;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm <= 1e-12 * Math.sqrt(before) || norm === 0) {
      v.fill(0);
      continue;
    }
    r[j * w + j] = norm;
    for (let i = 0; i < n; i++) v[i] /= norm;
  }
  const q = new Float64Array(n * w);
  for (let i = 0; i < n; i++) for (let c = 0; c < w; c++) q[i * w + c] = cols[c * n + i];
  return { q, r };
}

/**
 * SVD of a square matrix (w x w, row-major) by one-sided Jacobi rotations (Hestenes): C = U diag(s) V^T with s
 * descending; u and v row-major, column c the c-th singular vector.
 */
export function jacobiSvd(C: Float64Array, w: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const a = new Float64Array(w * w); // column-major working copy of C
  const vc = new Float64Array(w * w); // column-major V
  for (let i = 0; i < w; i++) for (let c = 0; c < w; c++) a[c * w + i] = C[i * w + c];
  for (let c = 0; c < w; c++) vc[c * w + c] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let worst = 0;
    for (let p = 0; p < w - 1; p++) {
      for (let q = p + 1; q < w; q++) {
        let al = 0, be = 0, ga = 0;
        for (let k = 0; k < w; k++) {
          const x = a[p * w + k], y = a[q * w + k];
          al += x * x;
          be += y * y;
          ga += x * y;
        }
        if (ga === 0 || Math.abs(ga) <= 1e-15 * Math.sqrt(al * be)) continue;
        worst = Math.max(worst, Math.abs(ga) / Math.sqrt(al * be));
        const zeta = (be - al) / (2 * ga);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        rotate(a, p, q, w, cs, sn);
        rotate(vc, p, q, w, cs, sn);
      }
    }
    if (worst < 1e-13) break;
  }
  const sv = Array.from({ length: w }, (_, c) => {
    let s = 0;
    for (let k = 0; k < w; k++) s += a[c * w + k] ** 2;
    return Math.sqrt(s);
  });
  const order = sv.map((_, c) => c).sort((x, y) => sv[y] - sv[x]);
  const u = new Float64Array(w * w);
  const v = new Float64Array(w * w);
  const s = new Float64Array(w);
  order.forEach((c, n) => {
    s[n] = sv[c];
    for (let k = 0; k < w; k++) {
      u[k * w + n] = sv[c] > 0 ? a[c * w + k] / sv[c] : 0;
      v[k * w + n] = vc[c * w + k];
    }
  });
  return { u, s, v };
}

function rotate(m: Float64Array, p: number, q: number, w: number, cs: number, sn: number): void {
  for (let k = 0; k < w; k++) {
    const x = m[p * w + k], y = m[q * w + k];
    m[p * w + k] = cs * x - sn * y;
    m[q * w + k] = sn * x + cs * y;
  }
}
