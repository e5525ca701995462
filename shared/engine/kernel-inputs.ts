// What the int8 kernel reads besides the codes: the query quantised to i16, and the per-row cosine factors.
import { rowFactorsQ8 } from '../artifact/q8.js';

/** The query as the kernel reads it: q ≈ q16 * scale. */
export interface QuantizedQuery {
  q16: Int16Array;
  scale: number;
}

const I16_MAX = 32767;
/** |int8| at most: the kernel takes any int8 code, -128 included (q8 artifacts stay within ±127). */
const I8_ABS_MAX = 128;
const I32_MAX = 2 ** 31 - 1;

/**
 * The largest |q16| for width `cols`: 32767, lowered when needed so that the integer dot product cannot overflow i32
 * (sum_j |q16_j| * 128 <= 2^31 - 1, i.e. for cols > 512; at d = 1024 the limit is 16383).
 */
export function queryLimit(cols: number): number {
  return Math.min(I16_MAX, Math.floor(I32_MAX / (I8_ABS_MAX * Math.max(1, cols))));
}

/**
 * Symmetric per-query quantisation: scale = max|q| / L (L = queryLimit(cols), 32767 for cols <= 512),
 * q16 = round(q / scale). Each element is off by at most scale / 2 = max|q| / (2L), so a score is off by at most
 * factor * sum_j |codes_ij| * scale / 2; for a unit query against unit rows (factor = scale_row / |row|) that is
 * <= sqrt(d) * max|q| / (2L): 1.2e-4 at d = 64 in the worst case, against a per-element int8 error of the items
 * themselves of max|row| / 254 (~130x larger). A zero query gives scale 0 (every score is add_i).
 */
export function quantizeQuery(query: Float32Array, cols = query.length): QuantizedQuery {
  let max = 0;
  for (let j = 0; j < query.length; j++) {
    const a = Math.abs(query[j]);
    if (!(a < Infinity)) throw new RangeError(`query[${j}] is ${query[j]}: a query must be finite`);
    if (a > max) max = a;
  }
  const limit = queryLimit(cols);
  const q16 = new Int16Array(query.length);
  if (max === 0) return { q16, scale: 0 };
  const inv = limit / max;
  for (let j = 0; j < query.length; j++) {
    const v = Math.round(query[j] * inv);
    q16[j] = v > limit ? limit : v < -limit ? -limit : v;
  }
  return { q16, scale: Math.fround(max / limit) };
}

/**
 * factor_i = scale_i / |row_i| for a q8 matrix, |row_i| the norm of the dequantised row (each element rounded to f32
 * as dequantisation stores it, summed in double, as shared/model/row-math.ts computes it): q . codes_i * factor_i is
 * then the dot product of q with row i's unit vector. An all-zero row gets 0 (it is similar to nothing).
 */
export function cosineFactors(values: Int8Array, scales: Float32Array, rows: number, cols: number): Float32Array {
  // The same pass the encoder makes to store <name>.norm and the cosine factor: one implementation of it.
  return rowFactorsQ8(values, scales, rows, cols).cosine;
}
