import { predictRatings } from '../../shared/model/queries.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import type { RatingsDataset, Split } from '../data/types.js';
import { biasBaseline, globalMeanBaseline } from '../eval/baselines.js';
import { heldOutRatings, type HeldOutRatings } from '../eval/held-out.js';
import { dotScorer, evaluateRanking, mostPopularScorer, userItems } from '../eval/ranking.js';
import type { ArtifactParts } from '../export/artifact-files.js';
import { serveAndMeasure } from '../export/artifact-builder.js';
import type { MfParams } from '../models/mf.js';
import { predictMf } from '../models/mf.js';

export interface ImportEvaluation {
  metrics: Record<string, number>;
  quantized: Record<string, number>;
  baselines: Record<string, Record<string, number>>;
}

/**
 * The figures `train` reports, for vectors trained elsewhere, on `split` of the `--ratings` rows: a rating model's
 * RMSE and MAE (clipped to the rating range) against the global mean and bias-only baselines fitted on the split's
 * training rows; ranking metrics (the model's dot product, plus item bias when it has one) against most-popular,
 * for dot models on any split and for rating models on ranking-75-25 (item biases are zeros when there are none). `quantized` re-measures the same through the
 * serving code on `served` (the encoded artifact whose seen lists are the split's training rows), as train does.
 */
export async function evaluateImport(ds: RatingsDataset, split: Split, p: MfParams, explicit: boolean, ranking: boolean, served: ArtifactParts): Promise<ImportEvaluation> {
  const test = heldOutRatings(ds, split);
  const { users, items, score } = test;
  const metrics: Record<string, number> = {};
  const baselines: Record<string, Record<string, number>> = {};
  if (explicit) {
    Object.assign(metrics, score(Float32Array.from(users, (u, n) => predictMf(p, u, items[n], true))));
    const globalMean = globalMeanBaseline(ds.ratings, split.train);
    const bias = biasBaseline(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length);
    baselines.global_mean = score(Array.from(users, (u, n) => globalMean(u, items[n])));
    baselines.bias = score(Array.from(users, (u, n) => bias(u, items[n])));
  }
  const nUsers = ds.userIds.length;
  const nItems = ds.itemIds.length;
  const [seen, held] = [userItems(ds.ratings, split.train, nUsers), userItems(ds.ratings, split.test, nUsers)];
  const rank = ranking ? (s: Parameters<typeof evaluateRanking>[0]) => evaluateRanking(s, seen, held, nItems) : undefined;
  if (rank) {
    Object.assign(metrics, rank(dotScorer(p.userFactors, p.itemFactors, p.dim, p.itemBias)));
    baselines.most_popular = rank(mostPopularScorer(ds.ratings, split.train, nItems));
  }
  return { metrics, baselines, quantized: await evaluateServed(ds, split, test, explicit, served, ranking) };
}

/** The same figures through shared/: the encoded artifact decoded and loaded as the Worker loads it. */
async function evaluateServed(ds: RatingsDataset, split: Split, test: HeldOutRatings, explicit: boolean, parts: ArtifactParts, ranking: boolean): Promise<Record<string, number>> {
  const { users, items, score } = test;
  return serveAndMeasure(parts, (served) => {
    const out: Record<string, number> = {};
    if (explicit) Object.assign(out, score(predictRatings(served, users, items)));
    if (ranking) {
      const nUsers = ds.userIds.length;
      const [seen, held] = [userItems(ds.ratings, split.train, nUsers), userItems(ds.ratings, split.test, nUsers)];
      Object.assign(out, evaluateRanking((batch, o) => o.set(scoreAllItems(served, batch)), seen, held, ds.itemIds.length));
    }
    return out;
  });
}
