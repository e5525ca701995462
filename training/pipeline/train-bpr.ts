import type { TensorInput } from '../../shared/artifact/encode.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import { choiceOption, intOption, numberOption } from '../options.js';
import { chooseSplit, RANKING_SPLIT } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { dotScorer, evaluateRanking, mostPopularScorer, userItems, type BatchScorer, type UserItems } from '../eval/ranking.js';
import { finishArtifact, serveAndMeasure, type BuiltArtifact } from '../export/artifact-builder.js';
import { indexOption, type IndexMode } from '../export/ivf-index.js';
import { buildRatingArtifact } from '../export/rating-artifact.js';
import { BPR_DEFAULTS, BprOptimizer, bprFactors, itemTagIndex, trainBpr, type BprOptions, type BprParams } from '../models/bpr.js';
import { parseRefit, RANKER_OPTIONS, resolveRefit, type Refit } from './rating-pipeline.js';
import { ratingsSummary, reportTail, type EpochReport, type ModelPipeline, type TrainReport } from './kinds.js';
import { loadRequestRatings, type TrainRequest } from './kinds.js';


export interface TrainBprRequest {
  dataset: RatingsDataset;
  /** Default 'ranking-75-25' (per-user 75/25); any split chooseSplit knows works. */
  split?: string;
  options: Partial<BprOptions> & { seed: number };
  quantization: Quantization;
  out: string;
  /** Also measure the ranking metrics on the test split after every epoch (outside the epoch's timing). */
  epochMetrics?: boolean;
  onEpoch?: (r: EpochReport) => void;
  /** `all` (default): after measuring on the split, retrain on every row (same settings and epochs) and ship that; `none`: ship the split model. */
  refit?: Refit;
  /** Similar-items index (training/export/ivf-index.ts): auto (default), ivf or none. */
  index?: IndexMode;
  log?: (line: string) => void;
}

/**
 * Implicit fold-in of a bpr visitor against bpr's own item_factors (manifest.foldin.implicit; bpr has no ranker, its
 * vectors rank). Chosen on visitors carved from ml-100k's ranking-75-25 (seed 42) training rows (npm run tune-ranker
 * -- --what bpr-foldin: 20% of the users out of training, seed 44, bpr trained on the rest with its defaults; 75% of
 * each visitor's items folded in, nDCG@10 on the rest): alpha {1, 3, 10, 30} x lambda {0.1, 1, 10, 100}, lambda 100
 * best for every alpha (0.2367 / 0.2379 / 0.2388 / 0.2364); extended to alpha {3, 10} x lambda {300, 1000}: alpha 10,
 * lambda 1000 0.2559 (300: 0.2509). Still rising at the grid's edge: a heavily shrunk fold-in is close to scoring by the
 * sum of the visitor's item vectors, which suits bpr's vectors; a wider search is left to do. Re-run with bpr's
 * validation-chosen defaults (lr 0.0241, reg 0.0019): alpha {3, 10, 30} x lambda {100, 300, 1000, 3000} is flat,
 * 0.244-0.255 (alpha 10 lambda 1000: 0.2501; best alpha 30 lambda 3000 0.2553, again at the edge), so it stays.
 */
export const BPR_FOLDIN = { alpha: 10, lambda: 1000 } as const;

/**
 * The served tables of a bpr model: user_factors = ELU(user), item_factors = ELU([item ; mean tag]), and with
 * `tags` the tag_factors when the model has any (the tag table is stored as the factor tables are).
 */
export function bprTensors(p: BprParams, quantization: Quantization, tags: boolean): TensorInput[] {
  const { userFactors, itemFactors, dim } = bprFactors(p);
  const tensors: TensorInput[] = [
    { name: TENSOR_NAMES.userFactors, data: userFactors, shape: [p.nUsers, dim], dtype: quantization },
    { name: TENSOR_NAMES.itemFactors, data: itemFactors, shape: [p.nItems, dim], dtype: quantization },
  ];
  if (tags && hasTagFactors(p)) tensors.push({ name: TENSOR_NAMES.tagFactors, data: p.tag, shape: [p.nTags, p.tagDim], dtype: quantization });
  return tensors;
}

const hasTagFactors = (p: BprParams) => p.nTags > 0 && p.tagDim > 0;

/**
 * Train -> rank the test split against most-popular -> encode the final representations -> re-rank through
 * shared/ on tfjs wasm -> write. The artifact holds what the Worker serves unchanged: item_factors =
 * ELU([item ; mean tag]) (cosine for similar items, as 002 does), user_factors = ELU(user) (dot product for
 * recommendations), tag_factors with items.json `tags`; no biases and no rating range, since this is a ranker.
 */
export async function trainBprPipeline(req: TrainBprRequest): Promise<TrainReport> {
  const t0 = performance.now();
  const ds = req.dataset;
  const split = chooseSplit(ds, req.split ?? RANKING_SPLIT, req.options.seed);
  const seen = userItems(ds.ratings, split.train, ds.userIds.length);
  const test = userItems(ds.ratings, split.test, ds.userIds.length);
  const { vocabulary, itemTags } = itemTagIndex(ds.itemMeta);
  const rank = (score: BatchScorer) => evaluateRanking(score, seen, test, ds.itemIds.length);

  const tTrain = performance.now();
  const { params, epochs } = trainBpr(ds.ratings, split.train, seen, ds.userIds.length, ds.itemIds.length, itemTags, req.options, {
    validRows: split.test,
    onEpoch: req.onEpoch,
    evaluate: req.epochMetrics ? (p) => rank(bprScorer(p)) : undefined,
  });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const metrics = rank(bprScorer(params));
  const baselines = { most_popular: rank(mostPopularScorer(ds.ratings, split.train, ds.itemIds.length)) };

  const refit = resolveRefit(split.name, req.refit);
  const hyper = { ...BPR_DEFAULTS, ...req.options, tagDim: params.tagDim } as Record<string, number | string | boolean>;
  const build = (p: BprParams, trainRows: Int32Array, shipped: Refit | undefined) =>
    buildRatingArtifact({
      kind: 'bpr',
      tensors: bprTensors(p, req.quantization, true),
      dataset: ds,
      ratingRange: null,
      trainRows,
      split: split.name,
      hyper,
      quantization: req.quantization,
      ...(hasTagFactors(params) ? { tags: vocabulary } : {}),
      foldin: { implicit: { ...BPR_FOLDIN } },
      ...(shipped ? { refit: shipped } : {}),
    });
  const splitBuilt = await build(params, split.train, refit === 'none' ? 'none' : undefined);
  // Re-measure what the Worker will serve: the encoded bytes, decoded and scored by shared/ on tfjs wasm.
  const quantMetrics = await serveAndMeasure(splitBuilt, (served) => rank((users, out) => out.set(scoreAllItems(served, users))));

  // Refit on every row for the shipped artifact; the figures stay the split model's (its encoded artifact's, above).
  const shipped = refit === 'all' ? await refitBpr(req, itemTags, (full, all) => build(full, all, 'all')) : { built: splitBuilt, seconds: 0 };
  const finished = await finishArtifact(shipped.built, {
    metrics: { float: metrics, quantized: quantMetrics, baselines },
    training: { epochs, seconds: trainSeconds },
    index: req.index ?? 'auto',
    seed: req.options.seed,
    out: req.out,
    log: req.log,
  });
  const tail = reportTail({ sizes: finished.sizes, float32Bytes: shipped.built.float32Bytes, trainSeconds, t0, epochs, out: req.out });
  return {
    model: 'bpr',
    dataset: { ...ratingsSummary(ds, split), tags: params.nTags },
    split: split.name,
    hyper,
    metrics,
    baselines,
    quantized: { ...quantMetrics, quantization: req.quantization },
    ...tail,
    seconds: { ...tail.seconds, refit: shipped.seconds },
    foldin: finished.manifest.foldin,
    refit,
    index: finished.index,
  };
}

/** The float model's ranking scorer: ELU(user) . ELU([item ; mean tag]). */
function bprScorer(p: BprParams): BatchScorer {
  const f = bprFactors(p);
  return dotScorer(f.userFactors, f.itemFactors, f.dim);
}

/** bpr retrained on every row with the same settings and epochs, built by `build`. */
async function refitBpr(req: TrainBprRequest, itemTags: UserItems, build: (p: BprParams, all: Int32Array) => Promise<BuiltArtifact>): Promise<{ built: BuiltArtifact; seconds: number }> {
  const ds = req.dataset;
  req.log?.(`refit: bpr on all ${ds.ratings.rating.length} rows (--refit none ships the split model)`);
  const tRefit = performance.now();
  const all = Int32Array.from({ length: ds.ratings.rating.length }, (_, r) => r);
  const full = trainBpr(ds.ratings, all, userItems(ds.ratings, all, ds.userIds.length), ds.userIds.length, ds.itemIds.length, itemTags, req.options).params;
  const seconds = (performance.now() - tRefit) / 1000;
  return { built: await build(full, all), seconds };
}

const str = (v: string | boolean | undefined) => v as string | undefined;

/** The options every ranking kind (bpr, ials) takes beside its own; rankerRequest reads them. */
export const RANKING_KIND_OPTIONS = {
  'epoch-metrics': { type: 'boolean', help: 'rank the test split after every epoch too (slower)' },
  refit: RANKER_OPTIONS.refit,
} as const;

/** What a ranking kind's pipeline takes from a train request besides its own options: the data, split and output. */
export async function rankerRequest(req: TrainRequest) {
  return {
    dataset: await loadRequestRatings(req),
    split: req.split,
    quantization: req.quantization,
    out: req.out,
    onEpoch: req.onEpoch,
    epochMetrics: Boolean(req.options['epoch-metrics']),
    refit: parseRefit(req.options.refit),
    index: indexOption(req.options.index),
    log: req.log,
  };
}

export const bprPipeline: ModelPipeline = {
  kind: 'bpr',
  defaultSplit: RANKING_SPLIT,
  defaultEpochs: BPR_DEFAULTS.epochs,
  summary:
    'triplet ranker (notebook 002): ELU([item ; mean genre]) . ELU(user), BPR loss over sampled negatives; --dim is the ' +
    `item embedding width (default ${BPR_DEFAULTS.itemDim}); split ${RANKING_SPLIT} is the ranking benchmark's`,
  options: {
    'tag-dim': { type: 'string', help: `tag (genre) embedding width; users get dim + tag-dim (default ${BPR_DEFAULTS.tagDim})` },
    lr: { type: 'string', help: `step size (default ${BPR_DEFAULTS.lr})` },
    reg: { type: 'string', help: `L2 weight on the rows a step touches (default ${BPR_DEFAULTS.reg})` },
    negatives: { type: 'string', help: `sampled negatives per positive and epoch (default ${BPR_DEFAULTS.negatives})` },
    optimizer: { type: 'string', help: `adagrad, adam (row-wise, lazy moments) or sgd (default ${BPR_DEFAULTS.optimizer})` },
    'lr-decay': { type: 'string', help: `lr multiplier per epoch (default ${BPR_DEFAULTS.lrDecay})` },
    ...RANKING_KIND_OPTIONS,
  },
  async run(req) {
    const o = req.options;
    const optimizer = choiceOption('optimizer', str(o.optimizer), BprOptimizer, BPR_DEFAULTS.optimizer);
    return trainBprPipeline({
      ...(await rankerRequest(req)),
      options: {
        seed: req.seed,
        epochs: intOption('epochs', str(o.epochs), BPR_DEFAULTS.epochs, 1, 10_000),
        itemDim: intOption('dim', str(o.dim), BPR_DEFAULTS.itemDim, 1, 4096),
        tagDim: intOption('tag-dim', str(o['tag-dim']), BPR_DEFAULTS.tagDim, 0, 4096),
        lr: numberOption('lr', str(o.lr), BPR_DEFAULTS.lr, 1e-9, 10),
        reg: numberOption('reg', str(o.reg), BPR_DEFAULTS.reg, 0, 100),
        negatives: intOption('negatives', str(o.negatives), BPR_DEFAULTS.negatives, 1, 1000),
        optimizer: optimizer as BprOptimizer,
        lrDecay: numberOption('lr-decay', str(o['lr-decay']), BPR_DEFAULTS.lrDecay, 0.01, 1),
      },
    });
  },
};
