import * as tf from '@tensorflow/tfjs-core';
import { BadRequestError } from '../errors.js';
import { rankItems, type ItemFilter } from './filters.js';
import type { LoadedModel } from './loaded.js';
import type { Scored } from './queries.js';
import { columns, cosineWith } from './vectors.js';

/**
 * Cold start from a handful of liked/disliked items (notebook 003 fits a linear SVM on the examples' unit
 * embeddings and ranks every movie by its decision function). Here: L2-regularised logistic regression, fitted in
 * the request by accelerated gradient descent from zero (deterministic), scoring every item with one matMul.
 * With only one class there is nothing to separate: the mean liked vector's nearest neighbours (or the mean
 * disliked vector's farthest) stand in, and `method` says which answer the caller got.
 */
export const ExampleMethod = {
  logistic: 'logistic_regression',
  nearLiked: 'nearest_to_liked_mean',
  farFromDisliked: 'farthest_from_disliked_mean',
} as const;
export type ExampleMethod = (typeof ExampleMethod)[keyof typeof ExampleMethod];

export const MAX_EXAMPLES = 200;

export interface LogisticFit {
  /** Weights over the d embedding dimensions; scores are w . x + b. */
  w: Float64Array;
  b: number;
  lambda: number;
  iterations: number;
  converged: boolean;
  /** Share of the examples on the right side of the boundary. */
  trainAccuracy: number;
}

export interface FitOptions {
  /** L2 strength on w (not on b); default 1/n, the weight sklearn's C = 1 gives a mean loss. */
  lambda?: number;
  maxIterations?: number;
  /** Stop when the gradient's largest component falls below this. */
  tolerance?: number;
}

/**
 * Logistic regression on n rows of x (row-major n x d, rows of length <= 1) with labels +1/-1. The two classes are
 * weighted equally whatever their sizes (3 liked and 12 disliked still mean "like these, not those"), the loss is
 * their weighted mean plus lambda/2 |w|^2. Nesterov's method with the fixed step 1/L, L = 0.5 + lambda, a bound
 * on the Hessian for unit rows plus the intercept, so no line search and the same answer on every run.
 */
export function fitLogistic(x: Float32Array, y: Int8Array, d: number, opts: FitOptions = {}): LogisticFit {
  const n = y.length;
  if (x.length !== n * d) throw new RangeError(`x holds ${x.length} values, expected ${n} rows x ${d} dims`);
  const pos = y.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  if (pos === 0 || pos === n) throw new RangeError(`logistic regression needs both labels, got ${pos} positive of ${n}`);
  const lambda = opts.lambda ?? 1 / n;
  const maxIterations = opts.maxIterations ?? 500;
  const tolerance = opts.tolerance ?? 1e-6;
  const weight = Float64Array.from(y, (v) => (v > 0 ? 0.5 / pos : 0.5 / (n - pos)));
  const step = 1 / (0.5 + lambda);
  const kappa = (0.5 + lambda) / lambda;
  const momentum = (Math.sqrt(kappa) - 1) / (Math.sqrt(kappa) + 1);

  // theta = [w, b]; look-ahead point z = theta + momentum (theta - previous).
  let theta = new Float64Array(d + 1);
  let previous = new Float64Array(d + 1);
  const z = new Float64Array(d + 1);
  const grad = new Float64Array(d + 1);
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    for (let j = 0; j <= d; j++) z[j] = theta[j] + momentum * (theta[j] - previous[j]);
    gradient(x, y, weight, d, lambda, z, grad);
    let largest = 0;
    for (let j = 0; j <= d; j++) largest = Math.max(largest, Math.abs(grad[j]));
    if (largest < tolerance) {
      converged = true;
      theta = z.slice();
      break;
    }
    previous = theta;
    theta = new Float64Array(d + 1);
    for (let j = 0; j <= d; j++) theta[j] = z[j] - step * grad[j];
  }
  const w = theta.subarray(0, d);
  const b = theta[d];
  let right = 0;
  for (let i = 0; i < n; i++) if ((dot(x, i * d, w, d) + b) * y[i] > 0) right++;
  return { w: w.slice(), b, lambda, iterations, converged, trainAccuracy: right / n };
}

function gradient(x: Float32Array, y: Int8Array, weight: Float64Array, d: number, lambda: number, theta: Float64Array, out: Float64Array): void {
  out.fill(0);
  const b = theta[d];
  for (let i = 0; i < y.length; i++) {
    const margin = y[i] * (dot(x, i * d, theta, d) + b);
    // d/dmargin log(1 + e^-m) = -1 / (1 + e^m); weighted and signed by the label.
    const g = (-weight[i] * y[i]) / (1 + Math.exp(margin));
    for (let j = 0, base = i * d; j < d; j++) out[j] += g * x[base + j];
    out[d] += g;
  }
  for (let j = 0; j < d; j++) out[j] += lambda * theta[j];
}

function dot(x: Float32Array, base: number, w: Float64Array, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += x[base + j] * w[j];
  return s;
}

export interface ExamplesAnswer {
  method: ExampleMethod;
  best: Scored[];
  worst: Scored[];
  /** Present for logistic_regression. */
  fit?: Omit<LogisticFit, 'w'>;
}

/**
 * Best and worst k items for a set of liked and disliked item indices (disjoint, at most MAX_EXAMPLES in all, at
 * least one). The examples themselves are never returned. Scores: the classifier's decision value w . x + b, or
 * the cosine with the mean liked vector (minus the cosine with the mean disliked vector), higher is better.
 */
export function recommendFromExamples(
  model: LoadedModel,
  liked: readonly number[],
  disliked: readonly number[],
  k: number,
  filter?: ItemFilter,
): ExamplesAnswer {
  const n = liked.length + disliked.length;
  if (n === 0) throw new BadRequestError('give at least one liked or disliked item', 'no_examples');
  if (n > MAX_EXAMPLES) {
    throw new BadRequestError(`${n} examples given, at most ${MAX_EXAMPLES} are accepted: send the most telling ones`, 'too_many_examples');
  }
  const d = model.dim;
  const skip = [...liked, ...disliked];
  const rank = (direction: Float64Array | Float32Array, offset: number, worst: boolean) =>
    rankItems(model, () => tf.add(cosineWith(model, tf.tensor1d(Float32Array.from(direction))), offset), k, { filter, skip, worst });

  if (liked.length === 0 || disliked.length === 0) {
    const fromLiked = liked.length > 0;
    const mean = meanDirection(columns(model.itemsUnitT, fromLiked ? liked : disliked), fromLiked ? liked.length : disliked.length, d);
    if (!fromLiked) for (let j = 0; j < d; j++) mean[j] = -mean[j];
    return {
      method: fromLiked ? ExampleMethod.nearLiked : ExampleMethod.farFromDisliked,
      best: rank(mean, 0, false),
      worst: rank(mean, 0, true),
    };
  }
  // columns() gives [d, n] row-major; the fit wants one example per row.
  const cols = columns(model.itemsUnitT, skip);
  const x = new Float32Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) x[i * d + j] = cols[j * n + i];
  const y = Int8Array.from(skip, (_, i) => (i < liked.length ? 1 : -1));
  const { w, ...fit } = fitLogistic(x, y, d);
  return { method: ExampleMethod.logistic, best: rank(w, fit.b, false), worst: rank(w, fit.b, true), fit };
}

/** Unit mean of the m columns of a [d, m] row-major block; a 400 when they cancel out. */
function meanDirection(cols: Float32Array, m: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += cols[j * m + i];
    mean[j] = s / m;
  }
  const norm = Math.hypot(...mean);
  if (!(norm > 1e-6)) {
    throw new BadRequestError('the examples point in opposite directions and their mean is zero: add or remove an example', 'degenerate_examples');
  }
  for (let j = 0; j < d; j++) mean[j] /= norm;
  return mean;
}
