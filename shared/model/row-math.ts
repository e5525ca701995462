// Row arithmetic on row-major f32 (and q8) matrices: lengths, unit rows, transposes. Shared by loading and
// the tools that build indexes and reports.
import type { DecodedTensor } from '../artifact/decode.js';
import { q8RowNorm } from '../artifact/q8.js';

/** Rows per block of unitTransposed: a block's source rows stay in cache while its columns are written. */
const BLOCK_ROWS = 64;

/**
 * normalizeRows + transpose in one pass, reading q8 tensors straight from their int8 values: no dequantised or
 * normalised [N, d] copy is made (at 250k x 64 those were two 64 MB transients). Values are bit-identical to the
 * two-step path: each element is rounded to f32 as dequantisation stores it, norms are summed in double.
 */
export function unitTransposed(t: DecodedTensor, rows: number, cols: number): { unit: Float32Array; norms: Float32Array } {
  const unit = new Float32Array(rows * cols);
  const norms = new Float32Array(rows);
  if (t.q8) unitTransposedQ8(t.q8.values, t.q8.scales, rows, cols, unit, norms);
  else unitTransposedF32(t.data, rows, cols, unit, norms);
  return { unit, norms };
}

// Two monomorphic loops rather than one with a format branch inside: measured faster in a cold isolate.
function unitTransposedQ8(values: Int8Array, scales: Float32Array, rows: number, cols: number, unit: Float32Array, norms: Float32Array): void {
  const inv = new Float64Array(BLOCK_ROWS);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const r1 = Math.min(rows, r0 + BLOCK_ROWS);
    for (let r = r0; r < r1; r++) {
      norms[r] = q8RowNorm(values, scales[r], r * cols, cols);
      inv[r - r0] = norms[r] > 0 ? 1 / norms[r] : 0;
    }
    for (let c = 0; c < cols; c++) {
      for (let r = r0, out = c * rows + r0; r < r1; r++, out++) unit[out] = Math.fround(values[r * cols + c] * scales[r]) * inv[r - r0];
    }
  }
}

function unitTransposedF32(data: Float32Array, rows: number, cols: number, unit: Float32Array, norms: Float32Array): void {
  const inv = new Float64Array(BLOCK_ROWS);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const r1 = Math.min(rows, r0 + BLOCK_ROWS);
    for (let r = r0; r < r1; r++) {
      let ss = 0;
      for (let c = r * cols, end = c + cols; c < end; c++) ss += data[c] * data[c];
      norms[r] = Math.sqrt(ss);
      inv[r - r0] = norms[r] > 0 ? 1 / norms[r] : 0;
    }
    for (let c = 0; c < cols; c++) {
      for (let r = r0, out = c * rows + r0; r < r1; r++, out++) unit[out] = data[r * cols + c] * inv[r - r0];
    }
  }
}

export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}

/** Rows scaled to unit length; an all-zero row stays zero (it is similar to nothing). */
export function normalizeRows(
  data: Float32Array,
  rows: number,
  cols: number,
  norms = rowNorms(data, rows, cols),
): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const inv = norms[r] > 0 ? 1 / norms[r] : 0;
    for (let c = 0; c < cols; c++) out[base + c] = data[base + c] * inv;
  }
  return out;
}

export function rowNorms(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = r * cols, end = c + cols; c < end; c++) ss += data[c] * data[c];
    out[r] = Math.sqrt(ss);
  }
  return out;
}
