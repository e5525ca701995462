/**
 * The top principal components of a small set of vectors (notebook 001 reads its movie factors this way).
 * Embedding sizes are tens to hundreds, so the d x d covariance plus power iteration with deflation is exact
 * enough and takes milliseconds; a matrix library would be a heavy dependency for this.
 */

export interface PcaResult {
  /** n x k projections, row-major. */
  coords: Float64Array;
  /** Share of the total variance each component explains, in order. */
  explained: number[];
}

/** Projects the n x d row-major `data` onto its first `k` principal components. Deterministic. */
export function pca(data: Float32Array | Float64Array, n: number, d: number, k = 2): PcaResult {
  if (data.length !== n * d) throw new RangeError(`pca: ${data.length} values is not ${n} x ${d}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mean[c] += data[r * d + c] / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) row[c] = data[r * d + c] - mean[c];
    for (let a = 0; a < d; a++) {
      const x = row[a];
      if (x === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += x * row[b];
    }
  }
  let trace = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(1, n - 1);
    trace += cov[a * d + a];
  }

  const components: Float64Array[] = [];
  const explained: number[] = [];
  for (let comp = 0; comp < Math.min(k, d); comp++) {
    const { vector, value } = topEigen(cov, d, comp);
    components.push(vector);
    explained.push(trace > 0 ? value / trace : 0);
    // Deflate so the next power iteration finds the next component.
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] -= value * vector[a] * vector[b];
  }
  while (components.length < k) components.push(new Float64Array(d));

  const coords = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) {
      const v = components[j];
      let s = 0;
      for (let c = 0; c < d; c++) s += (data[r * d + c] - mean[c]) * v[c];
      coords[r * k + j] = s;
    }
  }
  return { coords, explained };
}

function topEigen(m: Float64Array, d: number, salt: number): { vector: Float64Array; value: number } {
  // A fixed, non-symmetric start vector: deterministic, and not orthogonal to the answer in practice.
  let v = Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919 + salt * 104729) % 97) / 97);
  normalise(v);
  let value = 0;
  for (let it = 0; it < 1000; it++) {
    const w = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += m[a * d + b] * v[b];
      w[a] = s;
    }
    const norm = normalise(w);
    let change = 0;
    for (let a = 0; a < d; a++) change = Math.max(change, Math.abs(Math.abs(w[a]) - Math.abs(v[a])));
    v = w;
    value = norm;
    if (norm === 0 || change < 1e-10) break;
  }
  // Sign convention: the largest entry positive, so reruns and other tools draw the same picture.
  let big = 0;
  for (let a = 1; a < d; a++) if (Math.abs(v[a]) > Math.abs(v[big])) big = a;
  if (v[big] < 0) for (let a = 0; a < d; a++) v[a] = -v[a];
  return { vector: v, value };
}

function normalise(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}
