import { pca } from './pca.js';

/**
 * Exact t-SNE (van der Maaten & Hinton 2008) for the few hundred to a thousand points a report maps. The npm
 * t-SNE packages are unmaintained (tsne-js: last release years ago, on the ndarray/cwise stack; @keckelt/tsne:
 * a port of karpathy's tsnejs), so this is the textbook algorithm with scikit-learn's defaults: perplexity 30,
 * early exaggeration 12 for 250 iterations, momentum 0.5 then 0.8, per-coordinate gains, learning rate
 * max(n / 48, 50), and a PCA start (deterministic, and it keeps more of the global layout than a random one).
 * O(n^2) per iteration: keep n around 1,000 (about 5 s).
 */
export interface TsneOptions {
  perplexity?: number;
  iterations?: number;
  /** Called after each iteration (for progress). */
  onIteration?: (iteration: number, total: number) => void;
}

const EXAGGERATION = 12;
const EXAGGERATION_ITERATIONS = 250;

export function tsne(data: Float32Array | Float64Array, n: number, d: number, opts: TsneOptions = {}): Float64Array {
  const iterations = opts.iterations ?? 750;
  if (n < 2) return new Float64Array(n * 2);
  const perplexity = Math.min(opts.perplexity ?? 30, (n - 1) / 3);
  const P = jointProbabilities(squaredDistances(data, n, d), n, perplexity);

  const start = pca(data, n, d, 2).coords;
  let sd = 0;
  for (let i = 0; i < n; i++) sd += start[i * 2] ** 2 / n;
  const scale = sd > 0 ? 1e-4 / Math.sqrt(sd) : 0;
  const Y = Float64Array.from(start, (x) => x * scale);
  const update = new Float64Array(n * 2);
  const gains = new Float64Array(n * 2).fill(1);
  const grad = new Float64Array(n * 2);
  const attract = new Float64Array(n * 2);
  const repel = new Float64Array(n * 2);
  const lr = Math.max(n / EXAGGERATION / 4, 50);

  for (let it = 0; it < iterations; it++) {
    const exaggeration = it < EXAGGERATION_ITERATIONS ? EXAGGERATION : 1;
    const momentum = it < EXAGGERATION_ITERATIONS ? 0.5 : 0.8;
    // One pass over the pairs: with q = 1 / (1 + |yi - yj|^2) and Z = sum of q, the gradient is
    // 4 * sum_j (exaggeration * p_ij * q - q^2 / Z) (yi - yj); Z is only known at the end, so the two parts are
    // summed apart.
    attract.fill(0);
    repel.fill(0);
    let Z = 0;
    for (let i = 0; i < n; i++) {
      const yi0 = Y[i * 2];
      const yi1 = Y[i * 2 + 1];
      let a0 = 0;
      let a1 = 0;
      let r0 = 0;
      let r1 = 0;
      for (let j = i + 1; j < n; j++) {
        const d0 = yi0 - Y[j * 2];
        const d1 = yi1 - Y[j * 2 + 1];
        const q = 1 / (1 + d0 * d0 + d1 * d1);
        Z += 2 * q;
        const pq = P[i * n + j] * q;
        const qq = q * q;
        a0 += pq * d0;
        a1 += pq * d1;
        r0 += qq * d0;
        r1 += qq * d1;
        attract[j * 2] -= pq * d0;
        attract[j * 2 + 1] -= pq * d1;
        repel[j * 2] -= qq * d0;
        repel[j * 2 + 1] -= qq * d1;
      }
      attract[i * 2] += a0;
      attract[i * 2 + 1] += a1;
      repel[i * 2] += r0;
      repel[i * 2 + 1] += r1;
    }
    for (let k = 0; k < n * 2; k++) grad[k] = 4 * (exaggeration * attract[k] - repel[k] / Z);
    let m0 = 0;
    let m1 = 0;
    for (let k = 0; k < n * 2; k++) {
      gains[k] = Math.sign(grad[k]) !== Math.sign(update[k]) ? gains[k] + 0.2 : Math.max(gains[k] * 0.8, 0.01);
      update[k] = momentum * update[k] - lr * gains[k] * grad[k];
      Y[k] += update[k];
      if (k % 2 === 0) m0 += Y[k];
      else m1 += Y[k];
    }
    m0 /= n;
    m1 /= n;
    for (let i = 0; i < n; i++) {
      Y[i * 2] -= m0;
      Y[i * 2 + 1] -= m1;
    }
    opts.onIteration?.(it + 1, iterations);
  }
  return Y;
}

function squaredDistances(data: Float32Array | Float64Array, n: number, d: number): Float64Array {
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const t = data[i * d + c] - data[j * d + c];
        s += t * t;
      }
      D[i * n + j] = s;
      D[j * n + i] = s;
    }
  }
  return D;
}

/** Symmetrised input affinities: each row's Gaussian bandwidth found by bisection to match the perplexity. */
function jointProbabilities(D: Float64Array, n: number, perplexity: number): Float64Array {
  const P = new Float64Array(n * n);
  const target = Math.log(perplexity);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    for (let step = 0; step < 64; step++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        const p = j === i ? 0 : Math.exp(-D[i * n + j] * beta);
        row[j] = p;
        sum += p;
        weighted += p * D[i * n + j];
      }
      // Shannon entropy of the row: log(sum) + beta * E[d^2].
      const entropy = sum > 0 ? Math.log(sum) + (beta * weighted) / sum : 0;
      for (let j = 0; j < n; j++) row[j] = sum > 0 ? row[j] / sum : 0;
      const diff = entropy - target;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
    P.set(row, i * n);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = Math.max((P[i * n + j] + P[j * n + i]) / (2 * n), 1e-12);
      P[i * n + j] = p;
      P[j * n + i] = p;
    }
    P[i * n + i] = 0;
  }
  return P;
}
