import { describe, expect, it } from 'vitest';
import { chooseSplit } from '../../training/data/split.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import type { RatingsDataset } from '../../training/data/types.js';
import { BPR_DEFAULTS } from '../../training/models/bpr.js';
import { BPR_SPACE, carvePerUser, searchBpr } from '../../training/pipeline/tune-ranker.js';

const ds = generateSynthetic({ users: 40, items: 50, ratingsPerUser: 12, seed: 5 });
const opts = { split: 'ranking-75-25', seed: 7, trials: 3, maxEpochs: 4, evalEvery: 2, fixed: { itemDim: 6, tagDim: 2 } };

/** The same dataset with every test row's item and rating replaced: anything that reads them sees other data. */
function scrambledTest(d: RatingsDataset): RatingsDataset {
  const split = chooseSplit(d, opts.split, opts.seed);
  const item = Int32Array.from(d.ratings.item);
  const rating = Float32Array.from(d.ratings.rating);
  for (const r of split.test) {
    item[r] = (item[r] * 7 + 13) % d.itemIds.length;
    rating[r] = 1;
  }
  return { ...d, ratings: { ...d.ratings, item, rating } };
}

describe('searchBpr: the search behind bpr defaults', () => {
  const a = searchBpr(ds, opts);

  it('fits and validates on a carve of the training rows; a dataset whose test rows differ gives the same search', () => {
    const split = chooseSplit(ds, opts.split, opts.seed);
    const { fit, valid } = carvePerUser(ds, split.train, 0.25, opts.seed + 1);
    const test = new Set(split.test);
    expect(fit.length + valid.length).toBe(split.train.length);
    expect([...fit, ...valid].some((r) => test.has(r))).toBe(false);
    expect({ fitRows: a.fitRows, validRows: a.validRows }).toEqual({ fitRows: fit.length, validRows: valid.length });
    const b = searchBpr(scrambledTest(ds), opts);
    const figures = (s: typeof a) => s.trials.map(({ secondsPerEpoch: _, ...t }) => t);
    expect(figures(b)).toEqual(figures(a));
    expect(b.best).toEqual(a.best);
    // ...while the scrambled rows do change what a model trained on them learns (the check above can fail).
    const whole = { ...opts, split: 'random-80-20' };
    const c = searchBpr(ds, whole);
    const d = searchBpr(scrambledTest(ds), whole);
    expect(d.trials[0].ndcg).not.toEqual(c.trials[0].ndcg);
  });

  it('trial 0 is the shipped defaults; the draws are seeded, inside BPR_SPACE, measured every evalEvery epochs', () => {
    expect(a.trials).toHaveLength(4);
    expect(a.trials[0]).toMatchObject({ lr: BPR_DEFAULTS.lr, reg: BPR_DEFAULTS.reg });
    for (const t of a.trials.slice(1)) {
      expect(t.lr).toBeGreaterThanOrEqual((BPR_SPACE.lr as { min: number }).min);
      expect(t.lr).toBeLessThanOrEqual((BPR_SPACE.lr as { max: number }).max);
      expect(t.reg).toBeGreaterThanOrEqual((BPR_SPACE.reg as { min: number }).min);
      expect(t.reg).toBeLessThanOrEqual((BPR_SPACE.reg as { max: number }).max);
      expect(t.epochs).toEqual([2, 4]);
    }
    expect(searchBpr(ds, { ...opts, seed: 8 }).trials[1].lr).not.toBe(a.trials[1].lr);
    const top = Math.max(...a.trials.flatMap((t) => t.ndcg));
    expect(a.best.ndcg_at_10).toBeGreaterThanOrEqual(top - 0.001);
  });
});
