import * as tf from '@tensorflow/tfjs-core';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { headClassProbabilities } from '../../shared/model/head.js';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings } from '../../shared/model/queries.js';
import { loadDataset } from '../data/load.js';
import { chooseSplit, RANKING_SPLIT } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { biasBaseline, globalMeanBaseline } from '../eval/baselines.js';
import { clip, mae, rmse } from '../eval/metrics.js';
import { evaluateRanking, mostPopularScorer, userItems, type BatchScorer } from '../eval/ranking.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import { writeArtifact } from '../export/artifact-files.js';
import type { Quantization } from '../export/mf-artifact.js';
import { buildRatingArtifact } from '../export/rating-artifact.js';
import { useWasmBackend } from '../tf-node.js';
import { ratingsSummary, reportTail, type EpochReport, type ModelPipeline, type TrainReport } from './kinds.js';
import type { RatingKind } from './rating-kind.js';

export interface TrainRatingRequest<O> {
  dataset: RatingsDataset;
  /** 'random-80-20' (seeded), 'ranking-75-25' or an official split name (u1..u5, ua, ub). */
  split: string;
  seed: number;
  options: O;
  quantization: Quantization;
  out: string;
  onEpoch?: (r: EpochReport) => void;
}

/** The `npm run train` entry of a rating kind. */
export function ratingPipeline<O>(k: RatingKind<O>): ModelPipeline {
  return {
    kind: k.kind,
    summary: k.summary,
    options: k.options,
    async run(req) {
      const options = k.parse(req.options, req.seed);
      const dataset = await loadDataset(req.data, req.format);
      req.log(`${dataset.name}: ${dataset.ratings.rating.length} ratings, ${dataset.userIds.length} users, ${dataset.itemIds.length} items`);
      return trainRatingModel(k, { dataset, split: req.split, seed: req.seed, options, quantization: req.quantization, out: req.out, onEpoch: req.onEpoch });
    },
  };
}

/** Train -> evaluate against baselines -> encode -> re-evaluate the encoded weights through shared/ -> write. */
export async function trainRatingModel<O>(k: RatingKind<O>, req: TrainRatingRequest<O>): Promise<TrainReport> {
  const t0 = performance.now();
  const ds = req.dataset;
  const split = chooseSplit(ds, req.split, req.seed);
  const users = Int32Array.from(split.test, (r) => ds.ratings.user[r]);
  const items = Int32Array.from(split.test, (r) => ds.ratings.item[r]);
  const truth = Float32Array.from(split.test, (r) => ds.ratings.rating[r]);
  const score = (pred: ArrayLike<number>) => {
    const clipped = Float32Array.from(pred, (p) => clip(p, ds.ratingRange));
    return { rmse: rmse(clipped, truth), mae: mae(clipped, truth) };
  };

  await useWasmBackend();
  const tTrain = performance.now();
  const fitted = await k.fit(ds, split.train, req.options, { validRows: split.test, onEpoch: req.onEpoch });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const metrics = { ...score(fitted.predict(users, items)), ...fitted.extraMetrics?.(users, items, truth, ds.ratingRange) };
  const globalMean = globalMeanBaseline(ds.ratings, split.train);
  const bias = biasBaseline(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length);
  const baselines: Record<string, Record<string, number>> = {
    global_mean: score(Array.from(users, (u, n) => globalMean(u, items[n]))),
    bias: score(Array.from(users, (u, n) => bias(u, items[n]))),
  };
  // On the per-user ranking split a rating model is also judged as a ranker, beside the most-popular baseline.
  let rank: ((s: BatchScorer) => Record<string, number>) | undefined;
  if (split.name === RANKING_SPLIT) {
    const nUsers = ds.userIds.length;
    const [seen, held] = [userItems(ds.ratings, split.train, nUsers), userItems(ds.ratings, split.test, nUsers)];
    rank = (s) => evaluateRanking(s, seen, held, ds.itemIds.length);
    if (fitted.rankScorer) Object.assign(metrics, rank(fitted.rankScorer()));
    baselines.most_popular = rank(mostPopularScorer(ds.ratings, split.train, ds.itemIds.length));
  }

  const hyper = { ...k.hyper(req.options), seed: req.seed };
  const { tensors, head } = fitted.artifact(req.quantization);
  const built = await buildRatingArtifact({ kind: k.kind, tensors, head, dataset: ds, trainRows: split.train, split: split.name, hyper, quantization: req.quantization });
  // Re-evaluate what the Worker will serve: the encoded bytes, decoded and scored by shared/ on tfjs wasm.
  const decoded = await decodeArtifact(JSON.stringify(built.manifest), built.tensors, JSON.stringify(built.items));
  const served = loadModel('eval', 'eval', decoded);
  let quantized: Record<string, number | string>;
  try {
    quantized = {
      ...score(predictRatings(served, users, items)),
      ...servedClassMetrics(served, users, items, truth),
      ...rank?.((batch, out) => out.set(scoreAllItems(served, batch))),
      quantization: req.quantization,
    };
  } finally {
    served.dispose();
  }

  const numeric = (m: Record<string, number | string>) => Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  built.manifest.metrics = { float: metrics, quantized: numeric(quantized), baselines };
  built.manifest.training = { epochs: fitted.epochs, seconds: trainSeconds };
  const sizes = await writeArtifact(req.out, built);
  return {
    model: k.kind,
    dataset: ratingsSummary(ds, split),
    split: split.name,
    hyper,
    metrics,
    baselines,
    quantized,
    ...reportTail({ sizes, float32Bytes: built.float32Bytes, trainSeconds, t0, epochs: fitted.epochs, out: req.out }),
  };
}

/** Accuracy of the served classifier (argmax class = true rating); nothing for other heads. */
function servedClassMetrics(model: LoadedModel, users: Int32Array, items: Int32Array, truth: Float32Array): Record<string, number> {
  const head = model.head;
  if (!head || head.spec.output.type !== 'classes') return {};
  const values = head.spec.output.values;
  const probs = tf.tidy(() => headClassProbabilities(head, tf.gather(model.userFactors, users) as tf.Tensor2D, items).dataSync() as Float32Array);
  let hits = 0;
  for (let n = 0; n < truth.length; n++) if (values[argmax(probs, n * values.length, values.length)] === truth[n]) hits++;
  return { accuracy: hits / truth.length };
}

export function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (a[off + c] > a[off + best]) best = c;
  return best;
}
