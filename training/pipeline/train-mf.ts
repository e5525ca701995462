import { decodeArtifact } from '../../shared/artifact/decode.js';
import { loadModel } from '../../shared/model/loaded.js';
import { predictRatings } from '../../shared/model/queries.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import { loadDataset } from '../data/load.js';
import { chooseSplit, RANKING_SPLIT } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { biasBaseline, globalMeanBaseline } from '../eval/baselines.js';
import { clip, mae, rmse } from '../eval/metrics.js';
import { dotScorer, evaluateRanking, mostPopularScorer, userItems } from '../eval/ranking.js';
import { writeArtifact } from '../export/artifact-files.js';
import { buildMfArtifact, type Quantization } from '../export/mf-artifact.js';
import { MF_DEFAULTS, predictMf, trainMf, type MfOptions } from '../models/mf.js';
import { useWasmBackend } from '../tf-node.js';
import { intOption, numberOption } from '../cli/args.js';
import { medianSeconds, type EpochReport, type ModelPipeline, type TrainReport } from './kinds.js';

export interface TrainMfRequest {
  dataset: RatingsDataset;
  /** 'random-80-20' (seeded) or an official split name (u1..u5, ua, ub). */
  split: string;
  options: Partial<MfOptions> & { seed: number };
  quantization: Quantization;
  out: string;
  onEpoch?: (r: EpochReport) => void;
}

export { chooseSplit } from '../data/split.js';

/** Train -> evaluate against baselines -> encode -> re-evaluate the encoded weights through shared/ -> write. */
export async function trainMfPipeline(req: TrainMfRequest): Promise<TrainReport> {
  const t0 = performance.now();
  const ds = req.dataset;
  const nUsers = ds.userIds.length;
  const nItems = ds.itemIds.length;
  const split = chooseSplit(ds, req.split, req.options.seed);
  const truth = Float32Array.from(split.test, (r) => ds.ratings.rating[r]);
  const score = (f: (u: number, i: number) => number) => {
    const pred = Float32Array.from(split.test, (r) => clip(f(ds.ratings.user[r], ds.ratings.item[r]), ds.ratingRange));
    return { rmse: rmse(pred, truth), mae: mae(pred, truth) };
  };

  const tTrain = performance.now();
  const { params, epochs } = trainMf(ds.ratings, split.train, nUsers, nItems, req.options, {
    validRows: split.test,
    onEpoch: req.onEpoch,
  });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const bias = req.options.bias ?? true;
  const metrics = score((u, i) => predictMf(params, u, i, bias));
  const baselines: Record<string, Record<string, number>> = {
    global_mean: score(globalMeanBaseline(ds.ratings, split.train)),
    bias: score(biasBaseline(ds.ratings, split.train, nUsers, nItems)),
  };
  // On the per-user ranking split the rating model is also judged as a ranker (mu + b_u is constant per user).
  const ranking = split.name === RANKING_SPLIT;
  const seen = ranking ? userItems(ds.ratings, split.train, nUsers) : undefined;
  const rank = (f: Parameters<typeof evaluateRanking>[0]) => evaluateRanking(f, seen!, userItems(ds.ratings, split.test, nUsers), nItems);
  if (ranking) {
    Object.assign(metrics, rank(dotScorer(params.userFactors, params.itemFactors, params.dim, bias ? params.itemBias : undefined)));
    baselines.most_popular = rank(mostPopularScorer(ds.ratings, split.train, nItems));
  }

  const hyper = { ...MF_DEFAULTS, ...req.options } as Record<string, number | string | boolean>;
  const built = await buildMfArtifact({
    params,
    dataset: ds,
    trainRows: split.train,
    split: split.name,
    hyper,
    quantization: req.quantization,
    bias,
  });
  // Re-evaluate what the Worker will serve: the encoded bytes, decoded and scored by shared/ on tfjs wasm.
  await useWasmBackend();
  const decoded = await decodeArtifact(JSON.stringify(built.manifest), built.tensors, JSON.stringify(built.items));
  const served = loadModel('eval', 'eval', decoded);
  let quantPred: Float32Array;
  let quantRanking: Record<string, number> = {};
  try {
    if (ranking) quantRanking = rank((users, out) => out.set(scoreAllItems(served, users)));
    quantPred = predictRatings(
      served,
      Int32Array.from(split.test, (r) => ds.ratings.user[r]),
      Int32Array.from(split.test, (r) => ds.ratings.item[r]),
    );
  } finally {
    served.dispose();
  }
  const quantized = { rmse: rmse(quantPred, truth), mae: mae(quantPred, truth), ...quantRanking, quantization: req.quantization };

  built.manifest.metrics = { float: metrics, quantized: { rmse: quantized.rmse, mae: quantized.mae, ...quantRanking }, baselines };
  built.manifest.training = { epochs, seconds: trainSeconds };
  const sizes = await writeArtifact(req.out, built);
  return {
    model: 'mf',
    dataset: {
      name: ds.name,
      users: nUsers,
      items: nItems,
      ratings: ds.ratings.rating.length,
      train: split.train.length,
      test: split.test.length,
      fingerprint: ds.fingerprint,
    },
    split: split.name,
    hyper,
    metrics,
    baselines,
    quantized,
    bytes: { artifact: sizes.tensors, float32: built.float32Bytes, files: sizes.tensors + sizes.items + sizes.manifest },
    seconds: { train: trainSeconds, total: (performance.now() - t0) / 1000, epoch_median: medianSeconds(epochs) },
    epochs,
    out: req.out,
  };
}

export const mfPipeline: ModelPipeline = {
  kind: 'mf',
  summary: 'explicit matrix factorisation with user/item biases and a global mean (--no-bias: plain dot product)',
  options: {
    lr: { type: 'string', help: `SGD step size (default ${MF_DEFAULTS.lr})` },
    reg: { type: 'string', help: `L2 weight on factors (default ${MF_DEFAULTS.reg})` },
    'reg-bias': { type: 'string', help: `L2 weight on biases (default ${MF_DEFAULTS.regBias})` },
    'lr-decay': { type: 'string', help: `lr multiplier per epoch (default ${MF_DEFAULTS.lrDecay})` },
    'no-bias': { type: 'boolean', help: 'plain dot-product model, no biases' },
  },
  async run(req) {
    const o = req.options;
    const dataset = await loadDataset(req.data, req.format);
    req.log(`${dataset.name}: ${dataset.ratings.rating.length} ratings, ${dataset.userIds.length} users, ${dataset.itemIds.length} items`);
    return trainMfPipeline({
      dataset,
      split: req.split,
      quantization: req.quantization,
      out: req.out,
      onEpoch: req.onEpoch,
      options: {
        seed: req.seed,
        epochs: intOption('epochs', o.epochs as string | undefined, MF_DEFAULTS.epochs, 1, 10_000),
        dim: intOption('dim', o.dim as string | undefined, MF_DEFAULTS.dim, 1, 4096),
        lr: numberOption('lr', o.lr as string | undefined, MF_DEFAULTS.lr, 1e-9, 10),
        reg: numberOption('reg', o.reg as string | undefined, MF_DEFAULTS.reg, 0, 100),
        regBias: numberOption('reg-bias', o['reg-bias'] as string | undefined, MF_DEFAULTS.regBias, 0, 100),
        lrDecay: numberOption('lr-decay', o['lr-decay'] as string | undefined, MF_DEFAULTS.lrDecay, 0.01, 1),
        bias: !o['no-bias'],
      },
    });
  },
};
