import { describe, expect, it } from 'vitest';
import { generateSyntheticWithTruth } from '../../training/data/synthetic.js';
import { randomSplit } from '../../training/data/split.js';
import { biasBaseline } from '../../training/eval/baselines.js';
import { rmse } from '../../training/eval/metrics.js';
import { predictMf, trainMf } from '../../training/models/mf.js';

const { dataset: ds, truth } = generateSyntheticWithTruth({ users: 500, items: 200, ratingsPerUser: 60, seed: 11 });
const OPTS = { dim: 10, epochs: 60, reg: 0.05, seed: 1 };
const split = randomSplit(ds.ratings.rating.length, 0.2, 3);
const testTruth = Array.from(split.test, (r) => ds.ratings.rating[r]);
const score = (f: (u: number, i: number) => number) =>
  rmse(Array.from(split.test, (r) => Math.min(5, Math.max(1, f(ds.ratings.user[r], ds.ratings.item[r])))), testTruth);

describe('mf on planted synthetic data', () => {
  const { params, epochs } = trainMf(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length, OPTS, { validRows: split.test });
  const mfRmse = score((u, i) => predictMf(params, u, i));
  const biasRmse = score(biasBaseline(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length));

  it('beats the bias-only baseline by a wide margin (seeded quality floor)', () => {
    // Measured 2026-11-24 on this seed: mf 0.691, bias-only 0.802, the planted model itself 0.568 (rating noise).
    expect(mfRmse).toBeLessThan(0.72);
    expect(mfRmse).toBeLessThan(biasRmse - 0.08);
  });

  it('recovers the planted structure: learnt item similarity agrees with the planted one', () => {
    // Items of the same planted genre should be closer in the learnt space than items of different genres.
    const d = params.dim;
    const cos = (a: number, b: number) => {
      let ab = 0, aa = 0, bb = 0;
      for (let f = 0; f < d; f++) {
        const x = params.itemFactors[a * d + f], y = params.itemFactors[b * d + f];
        ab += x * y; aa += x * x; bb += y * y;
      }
      return ab / Math.sqrt(aa * bb);
    };
    let same = 0, nSame = 0, diff = 0, nDiff = 0;
    for (let a = 0; a < 120; a++) {
      for (let b = a + 1; b < 120; b++) {
        if (truth.itemGenre[a] === truth.itemGenre[b]) (same += cos(a, b)), nSame++;
        else (diff += cos(a, b)), nDiff++;
      }
    }
    // Measured 0.69 on this seed.
    expect(same / nSame - diff / nDiff).toBeGreaterThan(0.5);
  });

  it('reports loss per epoch, and validation loss falls from the first epoch', () => {
    expect(epochs).toHaveLength(60);
    expect(epochs.every((e) => e.trainLoss > 0 && e.seconds >= 0)).toBe(true);
    expect(epochs[59].validLoss!).toBeLessThan(epochs[0].validLoss!);
  });

  it('is reproducible: the same seed gives bit-identical parameters', () => {
    const again = trainMf(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length, OPTS);
    expect(Buffer.from(again.params.itemFactors.buffer).equals(Buffer.from(params.itemFactors.buffer))).toBe(true);
    expect(again.params.mu).toBe(params.mu);
  });

  it('stops with advice when the parameters diverge', () => {
    expect(() => trainMf(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length, { ...OPTS, epochs: 5, lr: 50 })).toThrow(
      /mf: not all parameters are finite after epoch \d+ .*Try a smaller learning rate \(now 50/,
    );
  });
});
