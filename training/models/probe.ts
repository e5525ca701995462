import { SingularMatrixError, solveSpd } from '../../shared/model/solve.js';

/**
 * Ridge regression with an unpenalised intercept, for probing what item embeddings encode (notebook 003 regresses
 * the Rotten Tomatoes score on movie embeddings with a LinearRegression and compares with predicting the mean).
 * Closed form on centred data: w = (Xc'Xc + lambda I)^-1 Xc'yc, b = mean(y) - mean(X) w, solved by Cholesky in
 * float64. lambda 0 is ordinary least squares (003's LinearRegression) and needs more rows than columns.
 */
export interface RidgeModel {
  weights: Float64Array;
  intercept: number;
}

/** Rows `rows` of X (row-major, `dim` columns) against y[rows]. */
export function fitRidge(X: ArrayLike<number>, dim: number, y: ArrayLike<number>, rows: ArrayLike<number>, lambda: number): RidgeModel {
  const n = rows.length;
  if (n === 0) throw new RangeError('fitRidge: no training rows');
  if (!(lambda >= 0)) throw new RangeError(`ridge lambda must be >= 0, got ${lambda}`);
  const meanX = new Float64Array(dim);
  let meanY = 0;
  for (let k = 0; k < n; k++) {
    const r = rows[k];
    for (let f = 0; f < dim; f++) meanX[f] += X[r * dim + f];
    meanY += y[r];
  }
  for (let f = 0; f < dim; f++) meanX[f] /= n;
  meanY /= n;
  const A = new Float64Array(dim * dim);
  const rhs = new Float64Array(dim);
  const x = new Float64Array(dim);
  for (let k = 0; k < n; k++) {
    const r = rows[k];
    for (let f = 0; f < dim; f++) x[f] = X[r * dim + f] - meanX[f];
    const yc = y[r] - meanY;
    for (let a = 0; a < dim; a++) {
      const xa = x[a];
      rhs[a] += xa * yc;
      for (let b = 0; b <= a; b++) A[a * dim + b] += xa * x[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    A[a * dim + a] += lambda;
    for (let b = 0; b < a; b++) A[b * dim + a] = A[a * dim + b];
  }
  let weights: Float64Array;
  try {
    weights = solveSpd(A, rhs, dim);
  } catch (e) {
    if (!(e instanceof SingularMatrixError)) throw e;
    throw new RangeError(
      `the probe's normal equations are singular (column ${e.row}) with ridge ${lambda}: fewer independent rows than ` +
        `embedding dimensions; pass a larger --ridge (e.g. 1)`,
    );
  }
  let dot = 0;
  for (let f = 0; f < dim; f++) dot += meanX[f] * weights[f];
  return { weights, intercept: meanY - dot };
}

export function predictRidge(m: RidgeModel, X: ArrayLike<number>, dim: number, row: number): number {
  let s = m.intercept;
  for (let f = 0; f < dim; f++) s += m.weights[f] * X[row * dim + f];
  return s;
}
