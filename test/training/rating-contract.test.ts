import { beforeAll, describe, expect, it } from 'vitest';
import { decodePacked } from '../../shared/artifact/encode.js';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings, recommendForUser, seenItems } from '../../shared/model/queries.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import { randomSplit } from '../../training/data/split.js';
import { rmse } from '../../training/eval/metrics.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import { buildRatingArtifact } from '../../training/export/rating-artifact.js';
import { mfRatingKind } from '../../training/pipeline/mf-kind.js';
import type { FittedRatingModel, RatingKind } from '../../training/pipeline/rating-kind.js';
import { classifyKind } from '../../training/pipeline/train-classify.js';
import { deepKind } from '../../training/pipeline/train-deep.js';
import { hybridKind } from '../../training/pipeline/train-hybrid.js';
import { svdppKind } from '../../training/pipeline/train-svdpp.js';
import { bmfKind } from '../../training/pipeline/train-bmf.js';
import { useWasmBackend } from '../../training/tf-node.js';

// Written once, run against every explicit rating kind: what training predicts is what the served artifact answers.
const ds = generateSynthetic({ users: 120, items: 90, ratingsPerUser: 25, seed: 21 });
const split = randomSplit(ds.ratings.rating.length, 0.2, 4);
const users = Int32Array.from(split.test, (r) => ds.ratings.user[r]);
const items = Int32Array.from(split.test, (r) => ds.ratings.item[r]);
const truth = Float32Array.from(split.test, (r) => ds.ratings.rating[r]);
const clip = (p: Float32Array) => Float32Array.from(p, (x) => Math.min(5, Math.max(1, x)));

const SMALL = { dim: '8', epochs: '3', batch: '64', hidden: '16,8' };
const KINDS: [string, RatingKind<unknown>, Record<string, string | boolean>][] = [
  ['mf', mfRatingKind as RatingKind<unknown>, { dim: '8', epochs: '10' }],
  ['mf --no-bias', mfRatingKind as RatingKind<unknown>, { dim: '8', epochs: '10', 'no-bias': true }],
  ['svdpp', svdppKind as RatingKind<unknown>, { dim: '8', epochs: '10', seeds: '2' }],
  ['deep', deepKind as RatingKind<unknown>, SMALL],
  ['hybrid', hybridKind as RatingKind<unknown>, SMALL],
  ['classify', classifyKind as RatingKind<unknown>, SMALL],
  ['bmf', bmfKind as RatingKind<unknown>, { dim: '4', epochs: '6', 'export-dim': '6', seeds: '2' }],
];

async function served(kind: RatingKind<unknown>, fitted: FittedRatingModel, q: Quantization): Promise<LoadedModel> {
  const { tensors, head } = fitted.artifact(q);
  const built = await buildRatingArtifact({ kind: kind.kind, tensors, head, dataset: ds, trainRows: split.train, split: split.name, hyper: {}, quantization: q });
  const decoded = await decodePacked(built.manifest, built.tensors, built.items);
  return loadModel(kind.kind, 'test', decoded);
}

describe.each(KINDS)('contract: %s trained -> artifact -> decode/load -> served answers', (_, kind, raw) => {
  let fitted: FittedRatingModel;
  beforeAll(async () => {
    await useWasmBackend();
    fitted = await kind.fit(ds, split.train, kind.parse(raw, 3), {});
  });

  it('f32 artifact: served ratings equal the training side within 1e-4', async () => {
    const m = await served(kind, fitted, 'f32');
    const got = predictRatings(m, users, items);
    const want = clip(fitted.predict(users, items));
    const worst = got.reduce((w, g, k) => Math.max(w, Math.abs(g - want[k])), 0);
    expect(worst).toBeLessThan(1e-4);
    m.dispose();
  });

  it('f32 artifact: recommendations are the training side top-10 unseen items, in order', async () => {
    const m = await served(kind, fitted, 'f32');
    for (const u of [0, 57, 119]) {
      const all = Int32Array.from({ length: ds.itemIds.length }, (_, i) => i);
      const scores = fitted.predict(new Int32Array(all.length).fill(u), all);
      const seen = new Set(seenItems(m, u));
      const want = [...all].filter((i) => !seen.has(i)).sort((a, b) => scores[b] - scores[a]).slice(0, 10);
      const got = recommendForUser(m, u, 10, true);
      expect(got.map((s) => s.index)).toEqual(want);
      got.forEach((s) => expect(s.score).toBeCloseTo(scores[s.index], 4));
    }
    m.dispose();
  });

  it('q8 artifact: RMSE within 0.003 of the float model', async () => {
    const m = await served(kind, fitted, 'q8');
    const q8 = rmse(predictRatings(m, users, items), truth);
    expect(Math.abs(q8 - rmse(clip(fitted.predict(users, items)), truth))).toBeLessThan(0.003);
    m.dispose();
  });
});
