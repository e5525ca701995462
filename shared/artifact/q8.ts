/**
 * Symmetric int8 quantisation with one f32 scale per row: scale = max|row| / 127, q = round(x / scale).
 * Worst-case error per element is scale / 2 = max|row| / 254. Per row rather than per tensor because
 * embedding rows differ in norm by an order of magnitude (popular items grow long vectors).
 */
export interface Q8Matrix {
  values: Int8Array;
  scales: Float32Array;
}

export function quantizeQ8(data: Float32Array, rows: number, cols: number): Q8Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`quantizeQ8: ${data.length} values do not make a ${rows}x${cols} matrix`);
  }
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(data[base + c]));
    const scale = max / 127;
    scales[r] = scale;
    if (scale === 0) continue;
    const inv = 1 / scale;
    for (let c = 0; c < cols; c++) {
      const q = Math.round(data[base + c] * inv);
      values[base + c] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  }
  return { values, scales };
}

export function dequantizeQ8(q: Q8Matrix, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = q.scales[r];
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[base + c] = q.values[base + c] * s;
  }
  return out;
}

/**
 * Per-row |row| (each element rounded to f32 as dequantisation stores it, summed in double, stored as f32) and the
 * int8 engine's cosine factor f32(scale / |row|) (0 for an all-zero row), from the codes: what the encoder stores as
 * `<name>.norm` and `<name>.cosine` so that load does no pass over the codes.
 */
export function rowFactorsQ8(values: Int8Array, scales: Float32Array, rows: number, cols: number): { norms: Float32Array; cosine: Float32Array } {
  const norms = new Float32Array(rows);
  const cosine = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const s = scales[r];
    norms[r] = q8RowNorm(values, s, r * cols, cols);
    cosine[r] = norms[r] > 0 ? s / norms[r] : 0;
  }
  return { norms, cosine };
}

/** The length of the q8 row at `start` (`cols` codes, one `scale`): each element rounded to f32, squares summed in double. */
export function q8RowNorm(values: Int8Array, scale: number, start: number, cols: number): number {
  let ss = 0;
  for (let c = start, end = start + cols; c < end; c++) {
    const x = Math.fround(values[c] * scale);
    ss += x * x;
  }
  return Math.sqrt(ss);
}
