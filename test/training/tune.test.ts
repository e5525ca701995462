import { describe, expect, it } from 'vitest';
import { createRng } from '../../training/data/random.js';
import { chooseSplit } from '../../training/data/split.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import type { RatingsDataset } from '../../training/data/types.js';
import { buildItemFeatures, fitQuantiles, quantileTransform, releaseYear } from '../../training/models/item-features.js';
import { DivergenceError } from '../../training/models/divergence.js';
import type { RatingKind, SearchSpace } from '../../training/pipeline/rating-kind.js';
import { sampleParam, sampleSpace, tune } from '../../training/pipeline/tune.js';

describe('random search sampling', () => {
  it('stays inside its bounds and on its step grid; reproducible per seed', () => {
    const rng = createRng(9);
    const ints = new Set(Array.from({ length: 200 }, () => sampleParam({ type: 'int', min: 32, max: 128, step: 32 }, rng)));
    expect([...ints].sort()).toEqual(['128', '32', '64', '96']);
    const drops = new Set(Array.from({ length: 200 }, () => sampleParam({ type: 'float', min: 0.1, max: 0.5, step: 0.1 }, rng)));
    expect([...drops].sort()).toEqual(['0.1', '0.2', '0.3', '0.4', '0.5']);
    const lrs = Array.from({ length: 500 }, () => Number(sampleParam({ type: 'float', min: 1e-4, max: 1e-1, log: true }, rng)));
    expect(Math.min(...lrs)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...lrs)).toBeLessThanOrEqual(1e-1);
    // Log-uniform: about a third of the draws in each decade.
    expect(lrs.filter((x) => x < 1e-3).length).toBeGreaterThan(120);
    expect(lrs.filter((x) => x >= 1e-2).length).toBeGreaterThan(120);
    const space: SearchSpace = { a: { type: 'choice', values: ['x', 'y'] }, b: { type: 'float', min: 0, max: 1 } };
    expect(sampleSpace(space, createRng(4))).toEqual(sampleSpace(space, createRng(4)));
    expect(Object.keys(sampleSpace(space, createRng(4), { b: '0.5' }))).toEqual(['a']);
  });
});

describe('tune', () => {
  const ds = generateSynthetic({ users: 60, items: 40, ratingsPerUser: 10, seed: 8 });

  /** Predicts the constant --level (default 3); diverges above 4.5. Records every row it is shown. */
  function constantKind(seen: { fit: Int32Array[]; predicted: number }) {
    const kind: RatingKind<{ level: number }> = {
      kind: 'constant',
      summary: 'predicts one number',
      options: {},
      space: { level: { type: 'float', min: 1, max: 5 } },
      parse: (raw) => ({ level: raw.level === undefined ? 3 : Number(raw.level) }),
      hyper: (o) => o,
      async fit(_, rows, o) {
        seen.fit.push(rows);
        if (o.level > 4.5) throw new DivergenceError('constant', 1, 'too high', 1);
        return {
          epochs: [],
          predict: (users) => {
            seen.predicted += users.length;
            return new Float32Array(users.length).fill(o.level);
          },
          artifact: () => ({ tensors: [] }),
        };
      },
    };
    return kind as RatingKind<unknown>;
  }

  it('searches on a validation share carved from the training rows only; the test rows are never seen', async () => {
    const seen = { fit: [] as Int32Array[], predicted: 0 };
    const r = await tune({ dataset: ds, kind: constantKind(seen), trials: 12, seed: 3, split: 'random-80-20', validFraction: 0.1, objective: 'rmse', fixed: {} });
    const split = chooseSplit(ds, 'random-80-20', 3);
    const test = new Set(split.test);
    const train = new Set(split.train);
    expect(r.validation).toEqual({ fraction: 0.1, fitRows: 432, validRows: 48 });
    // Trial 0 is the defaults, then 12 sampled configurations.
    expect(seen.fit).toHaveLength(13);
    expect(r.trials[0]).toMatchObject({ trial: 0, params: {} });
    expect(r.trials[0].metrics.rmse).toBeGreaterThan(0);
    for (const rows of seen.fit) {
      expect(rows.length).toBe(432);
      expect(rows.every((row) => train.has(row) && !test.has(row))).toBe(true);
    }
    // Only the 48 validation pairs are ever predicted, once per trial that trained.
    const ok = r.trials.filter((t) => !t.error);
    expect(seen.predicted).toBe(48 * ok.length);
    expect(r.trials.some((t) => t.error)).toBe(true);
    // Best = lowest validation RMSE; for a constant predictor that is the level closest to the validation mean.
    const best = ok.reduce((a, b) => (b.metrics.rmse < a.metrics.rmse ? b : a));
    expect(r.best?.trial).toBe(best.trial);
    expect(r.best?.command).toBe(`npm run train -- --model constant --level ${best.params.level}`);
  });

  it('is reproducible from its seed', async () => {
    const run = async () => (await tune({ dataset: ds, kind: constantKind({ fit: [], predicted: 0 }), trials: 4, seed: 11, split: 'random-80-20', validFraction: 0.2, objective: 'mae', fixed: {} })).trials.map((t) => [t.params, t.metrics]);
    expect(await run()).toEqual(await run());
  });
});

describe('hybrid item features (004: quantile-transformed numeric columns, multi-hot genres)', () => {
  it('quantile transform: scikit-learn uniform output, ties mapped to the middle of their run', () => {
    const q = fitQuantiles(Float64Array.of(1, 1, 1, 2, 3));
    expect(Array.from(q.quantiles)).toEqual([1, 1, 1, 2, 3]);
    expect([0, 1, 1.5, 2, 2.5, 3, 9].map((x) => quantileTransform(x, q))).toEqual([0, 0, 0.625, 0.75, 0.875, 1, 1]);
    const wide = fitQuantiles(Float64Array.from({ length: 101 }, (_, k) => k));
    expect(quantileTransform(25, wide)).toBeCloseTo(0.25, 12);
  });

  it('reads the release year from a MovieLens title', () => {
    expect(releaseYear('Toy Story (1995)')).toBe(1995);
    expect(releaseYear('City of Lost Children, The (1995) ')).toBe(1995);
    expect(releaseYear('unknown')).toBeNaN();
  });

  it('popularity counts training rows only; genres are multi-hot in name order', () => {
    const ds: RatingsDataset = {
      name: 'hand',
      userIds: ['1', '2'],
      itemIds: ['10', '20', '30'],
      itemMeta: [
        { title: 'A (1990)', tags: ['Drama'] },
        { title: 'B (2000)', tags: ['Comedy', 'Drama'] },
        { title: 'unknown', tags: [] },
      ],
      ratings: { user: Int32Array.of(0, 0, 1, 1), item: Int32Array.of(0, 1, 1, 2), rating: Float32Array.of(4, 3, 5, 1) },
      ratingRange: [1, 5],
      fingerprint: '',
    };
    // Row 3 (user 2, item 30) is held out: item 30 has no training ratings.
    const f = buildItemFeatures(ds, Int32Array.of(0, 1, 2));
    expect(f.names).toEqual(['popularity', 'release_year', 'tag:Comedy', 'tag:Drama']);
    expect(f.width).toBe(4);
    const row = (i: number) => Array.from(f.data.subarray(i * 4, i * 4 + 4));
    // Training popularity per row: items 10, 20, 20 -> counts 1, 2, 2; quantiles [1, 2, 2].
    expect(row(0)).toEqual([0, 0, 0, 1]);
    expect(row(1)).toEqual([1, 1, 1, 1]);
    // Item 30: popularity 0 (below every quantile), its missing year takes the median (2000 -> 1).
    expect(row(2)).toEqual([0, 1, 0, 0]);
  });
});
