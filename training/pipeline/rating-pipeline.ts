import * as tf from '@tensorflow/tfjs-core';
import { headClassProbabilities } from '../../shared/model/head.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings } from '../../shared/model/queries.js';
import { chooseSplit, RANKING_SPLIT, USERS_SPLIT } from '../data/split.js';
import type { RatingsDataset, Split } from '../data/types.js';
import { biasBaseline, globalMeanBaseline } from '../eval/baselines.js';
import { listConcentration } from '../eval/diversity.js';
import { evaluateFoldIn, type FoldinRow } from '../eval/foldin.js';
import { heldOutRatings, type HeldOutRatings } from '../eval/held-out.js';
import { dotScorer, evaluateRanking, mostPopularScorer, userItems, type BatchScorer } from '../eval/ranking.js';
import type { FoldinSpec, RankerSpec, Quantization } from '../../shared/artifact/schema.js';
import { intOption, numberOption, UsageError } from '../options.js';
import { IALS_DEFAULTS, trainIals, type IalsOptions, type IalsParams } from '../models/ials.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import { finishArtifact, serveAndMeasure, type BuiltArtifact } from '../export/artifact-builder.js';
import { buildRatingArtifact } from '../export/rating-artifact.js';
import { indexOption, type IndexMode } from '../export/ivf-index.js';
import { useWasmBackend } from '../tf-node.js';
import { medianSeconds, ratingsSummary, reportTail, type CliOption, type EpochReport, type ModelPipeline, type TrainReport } from './kinds.js';
import type { FittedRatingModel, RatingKind } from './rating-kind.js';
import { loadRequestRatings } from './kinds.js';

export interface TrainRatingRequest<O> {
  dataset: RatingsDataset;
  /** 'random-80-20' (seeded), 'ranking-75-25' or an official split name (u1..u5, ua, ub). */
  split: string;
  seed: number;
  options: O;
  quantization: Quantization;
  out: string;
  onEpoch?: (r: EpochReport) => void;
  /**
   * `ials` (default): an iALS ranker is trained beside the rating model on the same rows and ranks the
   * recommendations (manifest.ranker); `none`: recommendations by predicted rating, as before the ranker.
   */
  ranker?: 'ials' | 'none';
  /** Ranker settings over IALS_DEFAULTS (seed: the request's). */
  rankerOptions?: Partial<IalsOptions>;
  /**
   * `all` (default): after the split model is measured, the rating model and the ranker are refit on every row with
   * the same settings and those weights are shipped (seen lists cover every row); `none`: the split model ships.
   */
  refit?: Refit;
  /** `auto` (default): an IVF index for similar items from AUTO_INDEX_ITEMS items up; `ivf`: always; `none`: never. */
  index?: IndexMode;
  /** Called with one line per step worth telling (refit). */
  log?: (line: string) => void;
}

export type Refit = 'all' | 'none';

/**
 * The refit a split allows: on users-90-10 the held-out users are what fold-in is measured on, so refitting on every
 * row would train on them; the split model ships there (the default) and `--refit all` is refused.
 */
export function resolveRefit(splitName: string, requested: Refit | undefined): Refit {
  if (splitName !== USERS_SPLIT) return requested ?? 'all';
  if (requested === 'all') {
    throw new UsageError(`--refit all cannot be used with --split ${USERS_SPLIT}: it would train on the held-out users whose fold-in the split measures; drop --refit`);
  }
  return 'none';
}

/** Options every rating kind takes beside its own: the ranker and the refit. */
export const RANKER_OPTIONS: Record<string, CliOption> = {
  ranker: { type: 'string', help: 'ials (default): rank recommendations by an implicit ALS model trained beside the rating model; none: by predicted rating' },
  'ranker-dim': { type: 'string', help: `ranker vector size (default ${IALS_DEFAULTS.dim})` },
  'ranker-alpha': { type: 'string', help: `ranker confidence weight of an observed pair, 1 + alpha (default ${IALS_DEFAULTS.alpha})` },
  'ranker-lambda': { type: 'string', help: `ranker L2 weight (default ${IALS_DEFAULTS.lambda})` },
  'ranker-epochs': { type: 'string', help: `ranker ALS sweeps (default ${IALS_DEFAULTS.epochs})` },
  refit: { type: 'string', help: 'all (default): after measuring on the split, refit on every row and ship that; none: ship the split model' },
};

/** --refit as given; undefined when absent (resolveRefit picks the split's default). */
export function parseRefit(v: string | boolean | undefined): Refit | undefined {
  if (v === undefined) return undefined;
  if (v !== 'all' && v !== 'none') throw new UsageError(`--refit must be all or none, got ${JSON.stringify(v)}`);
  return v;
}

export function parseRanker(raw: Record<string, string | boolean | undefined>): { ranker: 'ials' | 'none'; rankerOptions: Partial<IalsOptions> } {
  const ranker = (raw.ranker as string | undefined) ?? 'ials';
  if (ranker !== 'ials' && ranker !== 'none') throw new UsageError(`--ranker must be ials or none, got ${JSON.stringify(raw.ranker)}`);
  const s = (name: string) => raw[name] as string | undefined;
  return {
    ranker,
    rankerOptions: {
      dim: intOption('ranker-dim', s('ranker-dim'), IALS_DEFAULTS.dim, 1, 1024),
      alpha: numberOption('ranker-alpha', s('ranker-alpha'), IALS_DEFAULTS.alpha, 0, 1e6),
      lambda: numberOption('ranker-lambda', s('ranker-lambda'), IALS_DEFAULTS.lambda, 1e-9, 1e9),
      epochs: intOption('ranker-epochs', s('ranker-epochs'), IALS_DEFAULTS.epochs, 1, 1000),
    },
  };
}

/** The `npm run train` entry of a rating kind. */
export function ratingPipeline<O>(k: RatingKind<O>): ModelPipeline {
  return {
    kind: k.kind,
    summary: k.summary,
    get defaultEpochs() {
      const e = Number(k.hyper(k.parse({}, 42)).epochs);
      return Number.isInteger(e) && e > 0 ? e : undefined;
    },
    options: { ...k.options, ...RANKER_OPTIONS },
    async run(req) {
      const options = k.parse(req.options, req.seed);
      const { ranker, rankerOptions } = parseRanker(req.options);
      const refit = parseRefit(req.options.refit);
      const dataset = await loadRequestRatings(req);
      return trainRatingModel(k, { dataset, split: req.split, seed: req.seed, options, quantization: req.quantization, out: req.out, onEpoch: req.onEpoch, ranker, rankerOptions, refit, index: indexOption(req.options.index), log: req.log });
    },
  };
}

/**
 * Train -> evaluate against baselines -> encode -> re-evaluate the encoded weights through shared/ -> (refit on every
 * row) -> write. With a ranker (the default) an iALS model is trained beside the rating model on the same rows; it
 * ranks recommendations (so the ranking metrics are its), ratings stay the rating model's.
 */
export async function trainRatingModel<O>(k: RatingKind<O>, req: TrainRatingRequest<O>): Promise<TrainReport> {
  const t0 = performance.now();
  const ds = req.dataset;
  const split = chooseSplit(ds, req.split, req.seed);
  const test = heldOutRatings(ds, split);
  const rankerOptions: IalsOptions | undefined = (req.ranker ?? 'ials') === 'ials' ? { ...IALS_DEFAULTS, seed: req.seed, ...req.rankerOptions } : undefined;
  const refit = resolveRefit(split.name, req.refit);

  await useWasmBackend();
  const tTrain = performance.now();
  const fitted = await k.fit(ds, split.train, req.options, { validRows: split.test, onEpoch: req.onEpoch });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const ranker = rankerOptions && fitRanker(ds, split.train, rankerOptions);
  const float = measureFloat(ds, split, test, fitted, ranker);

  const hyper = { ...k.hyper(req.options), seed: req.seed };
  const build = (f: FittedRatingModel, r: FittedRanker | undefined, trainRows: Int32Array, shipped: Refit | undefined) => {
    const { tensors, head } = f.artifact(req.quantization);
    const foldin = foldinSpec(r?.spec, head ? undefined : k.ratingFoldinLambda?.(req.options));
    return buildRatingArtifact({
      kind: k.kind,
      tensors,
      head,
      dataset: ds,
      trainRows,
      split: split.name,
      hyper,
      quantization: req.quantization,
      ...(r ? { ranker: r } : {}),
      ...(foldin ? { foldin } : {}),
      ...(shipped ? { refit: shipped } : {}),
    });
  };
  const splitBuilt = await build(fitted, ranker, split.train, refit === 'none' ? 'none' : undefined);
  // Re-evaluate what the Worker will serve: the encoded bytes, decoded and scored by shared/ on tfjs wasm. Always the
  // split model's encoded artifact: re-measuring refit weights on the test rows they were fitted on would be a leak.
  const served = await serveAndMeasure(splitBuilt, (m) => measureServed(m, ds, split, test, float, req));

  // Refit: the same kind, settings and epochs on every row, so the shipped model has seen (and excludes) everything.
  const shipped = refit === 'all' ? await refitRating(k, req, rankerOptions, (f, r, all) => build(f, r, all, 'all')) : { built: splitBuilt, seconds: 0 };
  const numeric = (m: Record<string, number | string>) => Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  const finished = await finishArtifact(shipped.built, {
    metrics: { float: float.metrics, quantized: numeric(served.quantized), baselines: float.baselines },
    training: { epochs: fitted.epochs, seconds: trainSeconds },
    index: req.index ?? 'auto',
    seed: req.seed,
    out: req.out,
    log: req.log,
  });
  const tail = reportTail({ sizes: finished.sizes, float32Bytes: shipped.built.float32Bytes, trainSeconds, t0, epochs: fitted.epochs, out: req.out });
  return {
    model: k.kind,
    dataset: ratingsSummary(ds, split),
    split: split.name,
    hyper,
    metrics: float.metrics,
    baselines: float.baselines,
    quantized: served.quantized,
    ...tail,
    seconds: { ...tail.seconds, ranker: ranker?.seconds ?? 0, refit: shipped.seconds },
    ranker: ranker ? { ...ranker.spec, epoch_median: medianSeconds(ranker.epochs) } : null,
    foldin: finished.manifest.foldin ?? null,
    ...(served.foldinQuality ? { foldin_quality: served.foldinQuality } : {}),
    refit,
    index: finished.index,
  };
}

/** The float model's figures and baselines, and (on the ranking split) the ranking measures the served model reuses. */
interface FloatFigures {
  metrics: Record<string, number>;
  baselines: Record<string, Record<string, number>>;
  rank?: (s: BatchScorer) => Record<string, number>;
  concentration?: (s: BatchScorer) => Record<string, number>;
}

function measureFloat(ds: RatingsDataset, split: Split, test: HeldOutRatings, fitted: FittedRatingModel, ranker: FittedRanker | undefined): FloatFigures {
  const { users, items, truth, score } = test;
  const metrics = { ...score(fitted.predict(users, items)), ...fitted.extraMetrics?.(users, items, truth, ds.ratingRange) };
  const globalMean = globalMeanBaseline(ds.ratings, split.train);
  const bias = biasBaseline(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length);
  const baselines: Record<string, Record<string, number>> = {
    global_mean: score(Array.from(users, (u, n) => globalMean(u, items[n]))),
    bias: score(Array.from(users, (u, n) => bias(u, items[n]))),
  };
  if (split.name !== RANKING_SPLIT) return { metrics, baselines };
  // On the per-user ranking split a rating model is also judged as a ranker, beside the most-popular baseline:
  // through its ranker when it has one (what recommendForUser serves), else by its predicted rating.
  const nUsers = ds.userIds.length;
  const [seen, held] = [userItems(ds.ratings, split.train, nUsers), userItems(ds.ratings, split.test, nUsers)];
  const rank = (s: BatchScorer) => evaluateRanking(s, seen, held, ds.itemIds.length);
  const scorer = ranker ? dotScorer(ranker.params.userFactors, ranker.params.itemFactors, ranker.params.dim) : fitted.rankScorer?.();
  // Beside accuracy: how much of the lists items with < 20 training ratings take, and how alike users' lists are.
  const concentration = (s: BatchScorer) => listConcentration(s, seen, held, ds.itemIds.length);
  if (scorer) Object.assign(metrics, rank(scorer), concentration(scorer));
  const popular = mostPopularScorer(ds.ratings, split.train, ds.itemIds.length);
  baselines.most_popular = { ...rank(popular), ...concentration(popular) };
  return { metrics, baselines, rank, concentration };
}

/** The same figures on the served model; on users-90-10 also how the held-out users are served once folded in. */
function measureServed<O>(served: LoadedModel, ds: RatingsDataset, split: Split, test: HeldOutRatings, float: FloatFigures, req: TrainRatingRequest<O>) {
  const { users, items, truth, score } = test;
  const quantized: Record<string, number | string> = {
    ...score(predictRatings(served, users, items)),
    ...servedClassMetrics(served, users, items, truth),
    ...float.rank?.((batch, out) => out.set(scoreAllItems(served, batch))),
    ...float.concentration?.((batch, out) => out.set(scoreAllItems(served, batch))),
    quantization: req.quantization,
  };
  // Users held out entirely: what counts is how well they are served once folded in, as the Worker would.
  const foldinQuality: FoldinRow[] | undefined = split.name === USERS_SPLIT ? evaluateFoldIn(served, ds, split, req.seed) : undefined;
  return { quantized, foldinQuality };
}

/** The rating model (and its ranker) refit on every row with the same settings, built by `build`. */
async function refitRating<O>(
  k: RatingKind<O>,
  req: TrainRatingRequest<O>,
  rankerOptions: IalsOptions | undefined,
  build: (f: FittedRatingModel, r: FittedRanker | undefined, all: Int32Array) => Promise<BuiltArtifact>,
): Promise<{ built: BuiltArtifact; seconds: number }> {
  const ds = req.dataset;
  req.log?.(`refit: ${k.kind}${rankerOptions ? ' and its ranker' : ''} on all ${ds.ratings.rating.length} rows (--refit none ships the split model)`);
  const tRefit = performance.now();
  const all = Int32Array.from({ length: ds.ratings.rating.length }, (_, r) => r);
  const full = await k.fit(ds, all, req.options, {});
  const fullRanker = rankerOptions && fitRanker(ds, all, rankerOptions);
  const seconds = (performance.now() - tRefit) / 1000;
  return { built: await build(full, fullRanker, all), seconds };
}

export interface FittedRanker {
  spec: RankerSpec;
  params: IalsParams;
  epochs: EpochReport[];
  seconds: number;
}

/** The iALS ranker on `rows` (every rating an implicit positive). */
export function fitRanker(ds: RatingsDataset, rows: Int32Array, o: IalsOptions): FittedRanker {
  const t0 = performance.now();
  const { params, epochs } = trainIals(ds.ratings, rows, ds.userIds.length, ds.itemIds.length, o);
  return { spec: { kind: 'ials', dim: o.dim, alpha: o.alpha, lambda: o.lambda, epochs: o.epochs }, params, epochs, seconds: (performance.now() - t0) / 1000 };
}

/** manifest.foldin: implicit = the ranker's own alpha and lambda (the fold-in is its user step), rating for dot-product kinds. */
function foldinSpec(ranker: RankerSpec | undefined, ratingLambda: number | undefined): FoldinSpec | undefined {
  const f: FoldinSpec = {
    ...(ranker ? { implicit: { alpha: ranker.alpha, lambda: ranker.lambda } } : {}),
    ...(ratingLambda !== undefined ? { rating: { lambda: ratingLambda } } : {}),
  };
  return Object.keys(f).length ? f : undefined;
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
