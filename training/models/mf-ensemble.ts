import type { MfParams } from './mf.js';

/**
 * The average of K factor models as one factor model: mean(mu + b_u + b_i + p_u.q_i) over the K models equals
 * mean(mu) + mean(b_u) + mean(b_i) + [p_u^1..p_u^K].[q_i^1..q_i^K] / K, so the concatenated factors, each scaled
 * by 1/sqrt(K), serve as plain vectors (dimension K d) and serving stays a dot product.
 */
export function averageMf(models: MfParams[]): MfParams {
  if (models.length === 0) throw new RangeError('averageMf needs at least one model');
  if (models.length === 1) return models[0];
  const K = models.length;
  const { nUsers, nItems, dim } = models[0];
  for (const m of models) {
    if (m.nUsers !== nUsers || m.nItems !== nItems || m.dim !== dim) {
      throw new RangeError(`averageMf: models differ in shape (${m.nUsers}x${m.nItems}x${m.dim} vs ${nUsers}x${nItems}x${dim})`);
    }
  }
  const s = 1 / Math.sqrt(K);
  const concat = (rows: number, pick: (m: MfParams) => Float32Array) => {
    const out = new Float32Array(rows * dim * K);
    for (let r = 0; r < rows; r++) {
      models.forEach((m, k) => {
        const src = pick(m);
        for (let f = 0; f < dim; f++) out[(r * K + k) * dim + f] = s * src[r * dim + f];
      });
    }
    return out;
  };
  const mean = (n: number, pick: (m: MfParams) => Float32Array) => {
    const out = new Float32Array(n);
    for (const m of models) pick(m).forEach((v, i) => (out[i] += v / K));
    return out;
  };
  return {
    nUsers,
    nItems,
    dim: dim * K,
    mu: models.reduce((a, m) => a + m.mu, 0) / K,
    userFactors: concat(nUsers, (m) => m.userFactors),
    itemFactors: concat(nItems, (m) => m.itemFactors),
    userBias: mean(nUsers, (m) => m.userBias),
    itemBias: mean(nItems, (m) => m.itemBias),
  };
}
