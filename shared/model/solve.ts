/** A Cholesky pivot at or below the singularity threshold: A is not (numerically) positive definite. */
export class SingularMatrixError extends RangeError {
  constructor(readonly row: number, pivot: number) {
    super(`solveSpd: the matrix is not positive definite (pivot ${pivot} at row ${row})`);
  }
}

/**
 * Solves A x = b for a symmetric positive definite A (n x n, row-major; only its lower triangle is read) by
 * Cholesky, in double precision. A ridge system (Gramian + lambda I, lambda > 0) is always positive definite; a pivot
 * below 1e-12 of its diagonal's scale means A is singular in float64, and is an error rather than a silently wrong
 * answer.
 */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  if (a.length !== n * n || b.length !== n) throw new RangeError(`solveSpd: A has ${a.length} entries and b ${b.length}, expected ${n * n} and ${n}`);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 1e-12 * Math.max(1, Math.abs(a[i * n + i])))) throw new SingularMatrixError(i, s);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  // L y = b, then Lt x = y.
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}
