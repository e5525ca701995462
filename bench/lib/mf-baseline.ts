// The mf SGD epoch as training/models/mf.ts ran it before its loop was rewritten for speed (commit 76a58bc), kept
// verbatim as the comparator of bench/parts/epochs.ts: same rows, same shuffle, same updates, per-row lookups and all.
import { createRng, shuffleInPlace } from '../../training/data/random.js';
import type { Ratings } from '../../training/data/types.js';
import { MF_DEFAULTS, type MfOptions, type MfParams } from '../../training/models/mf.js';

export function trainMfBaseline(
  ratings: Ratings,
  rows: Int32Array,
  nUsers: number,
  nItems: number,
  options: Partial<MfOptions>,
): { params: MfParams; seconds: number[] } {
  const o = { ...MF_DEFAULTS, ...options };
  const rng = createRng(o.seed);
  const d = o.dim;
  const P = gaussian(nUsers * d, o.initStd, rng);
  const Q = gaussian(nItems * d, o.initStd, rng);
  const bu = new Float32Array(nUsers);
  const bi = new Float32Array(nItems);
  let mu = 0;
  if (o.bias) {
    for (let r = 0; r < rows.length; r++) mu += ratings.rating[rows[r]];
    mu /= Math.max(1, rows.length);
  }
  const order = Int32Array.from(rows);
  const { user, item, rating } = ratings;
  const seconds: number[] = [];
  let lr = o.lr;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    shuffleInPlace(order, rng);
    let sse = 0;
    for (let n = 0; n < order.length; n++) {
      const row = order[n];
      const u = user[row] * d;
      const i = item[row] * d;
      let dot = 0;
      for (let f = 0; f < d; f++) dot += P[u + f] * Q[i + f];
      const err = rating[row] - (o.bias ? mu + bu[user[row]] + bi[item[row]] + dot : dot);
      sse += err * err;
      if (o.bias) {
        bu[user[row]] += lr * (err - o.regBias * bu[user[row]]);
        bi[item[row]] += lr * (err - o.regBias * bi[item[row]]);
      }
      for (let f = 0; f < d; f++) {
        const p = P[u + f];
        const q = Q[i + f];
        P[u + f] += lr * (err * q - o.reg * p);
        Q[i + f] += lr * (err * p - o.reg * q);
      }
    }
    seconds.push((performance.now() - t0) / 1000);
    if (!Number.isFinite(sse)) throw new Error(`mf baseline diverged at epoch ${epoch}`);
    lr *= o.lrDecay;
  }
  return { params: { nUsers, nItems, dim: d, mu, userFactors: P, itemFactors: Q, userBias: bu, itemBias: bi }, seconds };
}

function gaussian(n: number, std: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng())) * std;
    const t = 2 * Math.PI * rng();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}
