import type { Ratings } from '../data/types.js';

/** Predicts every rating as the training mean. */
export function globalMeanBaseline(ratings: Ratings, rows: Int32Array): (u: number, i: number) => number {
  let s = 0;
  for (const r of rows) s += ratings.rating[r];
  const mu = s / Math.max(1, rows.length);
  return () => mu;
}

/**
 * mu + b_u + b_i fitted by alternating regularised means (Surprise's BaselineOnly with ALS:
 * reg_i = 10, reg_u = 15, 10 sweeps), the yardstick every factor model should beat.
 */
export function biasBaseline(
  ratings: Ratings,
  rows: Int32Array,
  nUsers: number,
  nItems: number,
  { regUser = 15, regItem = 10, sweeps = 10 } = {},
): (u: number, i: number) => number {
  let mu = 0;
  for (const r of rows) mu += ratings.rating[r];
  mu /= Math.max(1, rows.length);
  const bu = new Float64Array(nUsers);
  const bi = new Float64Array(nItems);
  const sum = (n: number) => new Float64Array(n);
  for (let s = 0; s < sweeps; s++) {
    const si = sum(nItems), ci = sum(nItems);
    for (const r of rows) {
      const i = ratings.item[r];
      si[i] += ratings.rating[r] - mu - bu[ratings.user[r]];
      ci[i]++;
    }
    for (let i = 0; i < nItems; i++) bi[i] = si[i] / (regItem + ci[i]);
    const su = sum(nUsers), cu = sum(nUsers);
    for (const r of rows) {
      const u = ratings.user[r];
      su[u] += ratings.rating[r] - mu - bi[ratings.item[r]];
      cu[u]++;
    }
    for (let u = 0; u < nUsers; u++) bu[u] = su[u] / (regUser + cu[u]);
  }
  return (u, i) => mu + bu[u] + bi[i];
}
