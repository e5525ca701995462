import type { TensorInput } from '../../shared/artifact/encode.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import { choiceOption, intOption, numberOption } from '../options.js';
import { chooseSplit, RANKING_SPLIT } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { dotScorer, evaluateRanking, mostPopularScorer, userItems } from '../eval/ranking.js';
import { finishArtifact, serveAndMeasure } from '../export/artifact-builder.js';
import type { IndexMode } from '../export/ivf-index.js';
import { buildRatingArtifact } from '../export/rating-artifact.js';
import { IALS_STANDALONE, IalsSolver, trainIals, type IalsOptions, type IalsParams } from '../models/ials.js';
import { resolveRefit, type Refit } from './rating-pipeline.js';
import { ratingsSummary, reportTail, type EpochReport, type ModelPipeline, type TrainReport } from './kinds.js';
import { rankerRequest, RANKING_KIND_OPTIONS } from './train-bpr.js';


export interface TrainIalsRequest {
  dataset: RatingsDataset;
  /** Default 'ranking-75-25'; any split chooseSplit knows works. */
  split?: string;
  options: Partial<IalsOptions> & { seed: number };
  quantization: Quantization;
  out: string;
  /** Also rank the test split after every epoch (outside the epoch's timing). */
  epochMetrics?: boolean;
  onEpoch?: (r: EpochReport) => void;
  /** `all` (default): after measuring on the split, retrain on every row and ship that; `none`: ship the split model. */
  refit?: Refit;
  index?: IndexMode;
  log?: (line: string) => void;
}

/**
 * The standalone implicit ranker: iALS (training/models/ials.ts, IALS_STANDALONE) on the interactions alone, every
 * row a positive. The artifact is a plain dot-product one, as bpr's: user_factors and item_factors, no biases and no
 * rating range (so /predict answers 400 no_ratings), and manifest.foldin.implicit is the trainer's own alpha and
 * lambda, so a visitor is folded in by exactly the trainer's user step. Figures: the split model, float and as
 * encoded (re-ranked through shared/ on tfjs wasm); the shipped weights are refit on every row unless --refit none.
 */
export async function trainIalsPipeline(req: TrainIalsRequest): Promise<TrainReport> {
  const t0 = performance.now();
  const ds = req.dataset;
  const nUsers = ds.userIds.length;
  const nItems = ds.itemIds.length;
  const o: IalsOptions = { ...IALS_STANDALONE, ...req.options };
  const split = chooseSplit(ds, req.split ?? RANKING_SPLIT, o.seed);
  const seen = userItems(ds.ratings, split.train, nUsers);
  const test = userItems(ds.ratings, split.test, nUsers);
  const rank = (score: Parameters<typeof evaluateRanking>[0]) => evaluateRanking(score, seen, test, nItems);
  const dot = (p: IalsParams) => dotScorer(p.userFactors, p.itemFactors, p.dim);

  const tTrain = performance.now();
  const { params, epochs } = trainIals(ds.ratings, split.train, nUsers, nItems, o, {
    onEpoch: req.onEpoch,
    evaluate: req.epochMetrics ? (p) => rank(dot(p)) : undefined,
  });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const metrics = rank(dot(params));
  const baselines = { most_popular: rank(mostPopularScorer(ds.ratings, split.train, nItems)) };

  const refit = resolveRefit(split.name, req.refit);
  const hyper: Record<string, number | string> = { dim: o.dim, alpha: o.alpha, lambda: o.lambda, epochs: o.epochs, solver: o.solver, cgSteps: o.cgSteps, initStd: o.initStd, seed: o.seed };
  const build = (p: IalsParams, trainRows: Int32Array, shipped: Refit | undefined) => ialsArtifact(ds, split.name, p, trainRows, o, hyper, req.quantization, shipped);
  const splitBuilt = await build(params, split.train, refit === 'none' ? 'none' : undefined);
  // Re-measure what the Worker will serve: the encoded bytes, decoded and scored by shared/ on tfjs wasm.
  const quantMetrics = await serveAndMeasure(splitBuilt, (served) => rank((users, out) => out.set(scoreAllItems(served, users))));

  // Refit on every row for the shipped artifact; the figures stay the split model's (its encoded artifact's, above).
  let shipped = splitBuilt;
  let refitSeconds = 0;
  if (refit === 'all') {
    req.log?.(`refit: ials on all ${ds.ratings.rating.length} rows (--refit none ships the split model)`);
    const tRefit = performance.now();
    const all = Int32Array.from({ length: ds.ratings.rating.length }, (_, r) => r);
    const full = trainIals(ds.ratings, all, nUsers, nItems, o).params;
    refitSeconds = (performance.now() - tRefit) / 1000;
    shipped = await build(full, all, 'all');
  }
  const finished = await finishArtifact(shipped, {
    metrics: { float: metrics, quantized: quantMetrics, baselines },
    training: { epochs, seconds: trainSeconds },
    index: req.index ?? 'auto',
    seed: o.seed,
    out: req.out,
    log: req.log,
  });
  const tail = reportTail({ sizes: finished.sizes, float32Bytes: shipped.float32Bytes, trainSeconds, t0, epochs, out: req.out });
  return {
    model: 'ials',
    dataset: ratingsSummary(ds, split),
    split: split.name,
    hyper,
    metrics,
    baselines,
    quantized: { ...quantMetrics, quantization: req.quantization },
    ...tail,
    seconds: { ...tail.seconds, refit: refitSeconds },
    foldin: finished.manifest.foldin,
    refit,
    index: finished.index,
  };
}

/** The dot-product artifact of an iALS model: user and item factors, its own fold-in, no rating scale. */
async function ialsArtifact(
  ds: RatingsDataset,
  split: string,
  p: IalsParams,
  trainRows: Int32Array,
  o: IalsOptions,
  hyper: Record<string, number | string>,
  quantization: Quantization,
  shipped: Refit | undefined,
) {
  const tensors: TensorInput[] = [
    { name: TENSOR_NAMES.userFactors, data: p.userFactors, shape: [p.nUsers, p.dim], dtype: quantization },
    { name: TENSOR_NAMES.itemFactors, data: p.itemFactors, shape: [p.nItems, p.dim], dtype: quantization },
  ];
  const foldin = { implicit: { alpha: o.alpha, lambda: o.lambda } };
  // ratingRange null: a ranker's scores are not ratings.
  return buildRatingArtifact({ kind: 'ials', tensors, dataset: ds, ratingRange: null, trainRows, split, hyper, quantization, foldin, refit: shipped });
}

const str = (v: string | boolean | undefined) => v as string | undefined;

export const ialsPipeline: ModelPipeline = {
  kind: 'ials',
  defaultSplit: RANKING_SPLIT,
  defaultEpochs: IALS_STANDALONE.epochs,
  summary:
    'implicit ALS ranker (Hu, Koren & Volinsky 2008) on the interactions alone: dot product, no ratings; conjugate-gradient ' +
    `half steps; --dim default ${IALS_STANDALONE.dim}; split ${RANKING_SPLIT} is the ranking benchmark's`,
  options: {
    alpha: { type: 'string', help: `confidence of an observed pair is 1 + alpha (default ${IALS_STANDALONE.alpha})` },
    lambda: { type: 'string', help: `L2 weight of the least-squares solves, also the fold-in's (default ${IALS_STANDALONE.lambda})` },
    solver: { type: 'string', help: `cg (conjugate gradient, warm-started) or cholesky (exact) half steps (default ${IALS_STANDALONE.solver})` },
    'cg-steps': { type: 'string', help: `conjugate-gradient steps per row and half step (default ${IALS_STANDALONE.cgSteps})` },
    ...RANKING_KIND_OPTIONS,
  },
  async run(req) {
    const o = req.options;
    const solver = choiceOption('solver', str(o.solver), IalsSolver, IALS_STANDALONE.solver);
    return trainIalsPipeline({
      ...(await rankerRequest(req)),
      options: {
        seed: req.seed,
        epochs: intOption('epochs', str(o.epochs), IALS_STANDALONE.epochs, 1, 10_000),
        dim: intOption('dim', str(o.dim), IALS_STANDALONE.dim, 1, 1024),
        alpha: numberOption('alpha', str(o.alpha), IALS_STANDALONE.alpha, 0, 1e6),
        lambda: numberOption('lambda', str(o.lambda), IALS_STANDALONE.lambda, 1e-9, 1e9),
        solver: solver as IalsSolver,
        cgSteps: intOption('cg-steps', str(o['cg-steps']), IALS_STANDALONE.cgSteps, 1, 1000),
      },
    });
  },
};
