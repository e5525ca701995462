import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TENSOR_NAMES, loadModel } from '../../shared/model/loaded.js';
import { recommendForUser } from '../../shared/model/queries.js';
import { loadDataset } from '../../training/data/load.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { IALS_DEFAULTS } from '../../training/models/ials.js';
import { MF_FOLDIN_LAMBDA, mfRatingKind } from '../../training/pipeline/mf-kind.js';
import { parseRanker, parseRefit, resolveRefit, trainRatingModel } from '../../training/pipeline/rating-pipeline.js';
import { BPR_FOLDIN, trainBprPipeline } from '../../training/pipeline/train-bpr.js';
import { deepKind } from '../../training/pipeline/train-deep.js';
import { trainMfPipeline } from '../../training/pipeline/train-mf.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { ML100K } from '../helpers/datasets.js';

const tmp = () => mkdtemp(path.join(tmpdir(), 'edgerec-ranker-'));
const RANKER = { dim: 8, epochs: 4 };
const MF_OPTIONS = mfRatingKind.parse({ dim: '4', epochs: '3' }, 3);

describe('rating kinds ship an iALS ranker, fold-in settings and a refit model', () => {
  const ds = generateSynthetic({ users: 80, items: 70, ratingsPerUser: 16, seed: 12 });
  const nRows = ds.ratings.rating.length;
  const train = (over: { ranker?: 'ials' | 'none'; refit?: 'all' | 'none' }, out: string) =>
    trainRatingModel(mfRatingKind, { dataset: ds, split: 'ranking-75-25', seed: 3, options: MF_OPTIONS, quantization: 'q8', out, rankerOptions: RANKER, ...over });
  beforeAll(useWasmBackend);

  it('default (ranker + refit): rank tensors, manifest.ranker/foldin/refit, and seen lists covering every row', async () => {
    const out = await tmp();
    const r = await train({}, out);
    const a = await readArtifact(out);
    const m = a.manifest;
    expect(m.ranker).toEqual({ kind: 'ials', dim: 8, alpha: IALS_DEFAULTS.alpha, lambda: IALS_DEFAULTS.lambda, epochs: 4 });
    expect(m.foldin).toEqual({ implicit: { alpha: IALS_DEFAULTS.alpha, lambda: IALS_DEFAULTS.lambda }, rating: { lambda: MF_FOLDIN_LAMBDA } });
    expect(m.refit).toBe('all');
    expect(r.refit).toBe('all');
    expect(a.tensors.get(TENSOR_NAMES.rankUserFactors)!.shape).toEqual([80, 8]);
    expect(a.tensors.get(TENSOR_NAMES.rankItemFactors)!.shape).toEqual([70, 8]);
    expect(m.tensors.find((t) => t.name === TENSOR_NAMES.rankItemFactors)!.dtype).toBe('q8');
    // The refit model has seen every row: the seen lists hold the test rows too, and nothing a user rated is recommended.
    expect(a.items.seen.indices).toHaveLength(nRows);
    const model = loadModel('t', 't', a);
    try {
      for (const u of [0, 41, 79]) {
        const rated = new Set<number>();
        for (let k = 0; k < nRows; k++) if (ds.ratings.user[k] === u) rated.add(ds.ratings.item[k]);
        const recs = recommendForUser(model, u, 70, true);
        expect(recs).toHaveLength(70 - rated.size);
        expect(recs.filter((s) => rated.has(s.index))).toEqual([]);
      }
    } finally {
      model.dispose();
    }
    expect(r.seconds.refit).toBeGreaterThan(0);
  });

  it('refit changes what ships, never the figures: metrics equal the --refit none run of the same seed', async () => {
    const [outAll, outNone] = [await tmp(), await tmp()];
    const all = await train({ refit: 'all' }, outAll);
    const none = await train({ refit: 'none' }, outNone);
    expect(all.metrics).toEqual(none.metrics);
    expect(all.quantized).toEqual(none.quantized);
    const [mAll, mNone] = [(await readArtifact(outAll)).manifest, (await readArtifact(outNone)).manifest];
    expect(mAll.metrics).toEqual(mNone.metrics);
    expect(mNone.refit).toBe('none');
    expect((await readArtifact(outNone)).items.seen.indices.length).toBe(all.dataset.train);
    expect(all.metrics.ndcg_at_10).toBeGreaterThan(0);
    for (const k of ['tail_share_at_10', 'overlap_at_10']) {
      // Shares of list slots: fractions in [0, 1].
      for (const v of [all.metrics[k], all.baselines.most_popular[k]]) {
        expect(v, k).toBeGreaterThanOrEqual(0);
        expect(v, k).toBeLessThanOrEqual(1);
      }
    }
    // Most-popular gives (nearly) everyone the same list: far more overlap than a personalised ranker.
    expect(all.baselines.most_popular.overlap_at_10).toBeGreaterThan(all.metrics.overlap_at_10);
  });

  it('--ranker none: no rank tensors, no implicit fold-in, and the ranking metrics are the rating model\'s', async () => {
    const out = await tmp();
    const none = await train({ ranker: 'none', refit: 'none' }, out);
    const withRanker = await train({ refit: 'none' }, await tmp());
    const a = await readArtifact(out);
    expect(a.manifest.ranker).toBeUndefined();
    expect(a.tensors.has(TENSOR_NAMES.rankItemFactors)).toBe(false);
    expect(a.manifest.foldin).toEqual({ rating: { lambda: MF_FOLDIN_LAMBDA } });
    expect(none.ranker).toBeNull();
    // Same rating model (same seed and rows): identical ratings, different rankings.
    expect(none.metrics.rmse).toBe(withRanker.metrics.rmse);
    expect(none.metrics.ndcg_at_10).not.toBe(withRanker.metrics.ndcg_at_10);
  });

  it('a head kind (deep) folds visitors in through its ranker only: no rating fold-in', async () => {
    const out = await tmp();
    await trainRatingModel(deepKind, {
      dataset: ds,
      split: 'random-80-20',
      seed: 1,
      options: deepKind.parse({ dim: '4', epochs: '1', hidden: '8' }, 1),
      quantization: 'q8',
      out,
      rankerOptions: RANKER,
      refit: 'none',
    });
    const m = (await readArtifact(out)).manifest;
    expect(m.foldin).toEqual({ implicit: { alpha: IALS_DEFAULTS.alpha, lambda: IALS_DEFAULTS.lambda } });
    expect(m.ranker?.dim).toBe(8);
  });

  it('bpr: no ranker, an implicit fold-in against its own item vectors, refit by default', async () => {
    const out = await tmp();
    const r = await trainBprPipeline({ dataset: ds, options: { seed: 2, itemDim: 6, tagDim: 2, epochs: 2 }, quantization: 'q8', out });
    const a = await readArtifact(out);
    expect(a.manifest.ranker).toBeUndefined();
    expect(a.manifest.foldin).toEqual({ implicit: { ...BPR_FOLDIN } });
    expect(a.manifest.refit).toBe('all');
    expect(a.items.seen.indices).toHaveLength(nRows);
    expect(r.refit).toBe('all');
  });

  it('refuses unknown --ranker and --refit values, naming them', () => {
    expect(() => parseRanker({ ranker: 'svd' })).toThrow(/--ranker must be ials or none, got "svd"/);
    expect(() => parseRefit('some')).toThrow(/--refit must be all or none, got "some"/);
    expect(parseRanker({}).ranker).toBe('ials');
    // Absent: the split decides (all, except users-90-10, which must not train on its held-out users).
    expect(parseRefit(undefined)).toBeUndefined();
    expect(resolveRefit('random-80-20', undefined)).toBe('all');
    expect(resolveRefit('users-90-10', undefined)).toBe('none');
    expect(() => resolveRefit('users-90-10', 'all')).toThrow(/--refit all cannot be used with --split users-90-10/);
  });
});

describe.skipIf(!existsSync(ML100K))('the ranker on MovieLens 100K ranking-75-25 (real data, skipped when absent)', () => {
  it('beats most-popular on nDCG@10 and P@10, float and int8, with short lists of rarely rated items', async () => {
    const dataset = await loadDataset(ML100K);
    const r = await trainMfPipeline({ dataset, split: 'ranking-75-25', options: { seed: 42, epochs: 20 }, quantization: 'q8', out: await tmp(), refit: 'none' });
    expect(r.baselines.most_popular.ndcg_at_10).toBeCloseTo(0.2505, 3);
    expect(r.baselines.most_popular.precision_at_10).toBeCloseTo(0.2285, 3);
    // FLOORS (see the comment below) sit under the minimum of three seeds with margin.
    for (const [k, floor] of Object.entries(FLOORS)) {
      expect(r.metrics[k], k).toBeGreaterThan(floor);
      expect(r.quantized[k] as number, `quantised ${k}`).toBeGreaterThan(floor);
    }
    expect(r.metrics.tail_share_at_10).toBeLessThan(0.05);
  });
});

/**
 * Measured with the default ranker (npm run train -- --model mf --split ranking-75-25 --seed S --refit none; the
 * ranking-75-25 split is re-drawn per seed): nDCG@10 0.4854 / 0.4898 / 0.4775 and P@10 0.4259 / 0.4258 / 0.4188 for
 * seeds 42 / 1 / 2 (float; int8 within 0.0004). Min 0.4775 / 0.4188, spread 0.012 / 0.007: the floors sit more than
 * twice the spread below the minimum, and far above most-popular (0.251 / 0.229).
 */
const FLOORS = { ndcg_at_10: 0.45, precision_at_10: 0.4 };
