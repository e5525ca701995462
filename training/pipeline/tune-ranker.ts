import type { FoldinSpec } from '../../shared/artifact/schema.js';
import { foldInImplicit, foldInRatings, predictFolded } from '../../shared/model/foldin.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { recommendForVector } from '../../shared/model/queries.js';
import { createRng, shuffleInPlace } from '../data/random.js';
import { chooseSplit, rankingSplit, selectRows } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { clip, rmse } from '../eval/metrics.js';
import { dotScorer, evaluateRanking, userItems } from '../eval/ranking.js';
import { BPR_DEFAULTS, bprFactors, itemTagIndex, trainBpr, type BprOptions } from '../models/bpr.js';
import { IALS_DEFAULTS, trainIals, type IalsOptions } from '../models/ials.js';
import type { SearchSpace } from './rating-kind.js';
import { sampleSpace } from './tune.js';

/**
 * The searches behind the ranker's and the fold-ins' settings (`npm run tune-ranker`). Every one of them reads only
 * the training rows of the split it is given: validation rows (or visitors) are carved out of those, seeded, so the
 * split's test rows stay untouched and the figures measured on them afterwards are honest.
 */

/**
 * Per-user stratified carve of `rows` (the ranking split's rule, rankingSplit, applied to those rows only):
 * each user keeps round((1 - fraction) n) of their rows for fitting, the rest are validation.
 */
export function carvePerUser(ds: RatingsDataset, rows: Int32Array, fraction: number, seed: number): { fit: Int32Array; valid: Int32Array } {
  const sub = rankingSplit({ ...ds, ratings: selectRows(ds.ratings, rows) }, fraction, seed);
  return { fit: Int32Array.from(sub.train, (k) => rows[k]), valid: Int32Array.from(sub.test, (k) => rows[k]) };
}

export interface IalsTrial {
  dim: number;
  alpha: number;
  lambda: number;
  /** Validation figures after each epoch (index = epoch - 1). */
  ndcg: number[];
  precision: number[];
  secondsPerEpoch: number;
}

export interface IalsSearch {
  split: string;
  seed: number;
  fitRows: number;
  validRows: number;
  trials: IalsTrial[];
  best: { dim: number; alpha: number; lambda: number; epochs: number; ndcg_at_10: number; precision_at_10: number };
}

/**
 * The rankers' validation carve: 25% of each user's training rows of `split` held out (seeded), the rest to fit on;
 * `seen` and `held` are those rows per user, as evaluateRanking takes them. The split's test rows are never read.
 */
function validationCarve(ds: RatingsDataset, splitName: string, seed: number) {
  const split = chooseSplit(ds, splitName, seed);
  const { fit, valid } = carvePerUser(ds, split.train, 0.25, seed + 1);
  const nUsers = ds.userIds.length;
  return { split, fit, valid, seen: userItems(ds.ratings, fit, nUsers), held: userItems(ds.ratings, valid, nUsers), nUsers, nItems: ds.itemIds.length };
}

/**
 * Grid over dim x alpha x lambda, every configuration trained for `maxEpochs` with validation nDCG@10 after each
 * epoch (other options `fixed`, else IALS_DEFAULTS, e.g. the solver); the best (configuration, epoch) by validation
 * nDCG@10 wins (the fewest epochs among ties within 0.001).
 */
export function searchIals(
  ds: RatingsDataset,
  opts: { split: string; seed: number; dims: number[]; alphas: number[]; lambdas: number[]; maxEpochs: number; fixed?: Partial<IalsOptions>; log?: (s: string) => void },
): IalsSearch {
  const { split, fit, valid, seen, held, nUsers, nItems } = validationCarve(ds, opts.split, opts.seed);
  const trials: IalsTrial[] = [];
  for (const dim of opts.dims) {
    for (const alpha of opts.alphas) {
      for (const lambda of opts.lambdas) {
        const trial: IalsTrial = { dim, alpha, lambda, ndcg: [], precision: [], secondsPerEpoch: 0 };
        const { epochs } = trainIals(ds.ratings, fit, nUsers, nItems, { ...IALS_DEFAULTS, ...opts.fixed, dim, alpha, lambda, epochs: opts.maxEpochs, seed: opts.seed }, {
          evaluate: (p) => {
            const m = evaluateRanking(dotScorer(p.userFactors, p.itemFactors, p.dim), seen, held, nItems);
            trial.ndcg.push(m.ndcg_at_10);
            trial.precision.push(m.precision_at_10);
            return {};
          },
        });
        trial.secondsPerEpoch = epochs.reduce((s, e) => s + e.seconds, 0) / epochs.length;
        trials.push(trial);
        const e = argmaxEpoch(trial.ndcg);
        opts.log?.(
          `ials dim ${dim} alpha ${alpha} lambda ${lambda}: best valid nDCG@10 ${trial.ndcg[e].toFixed(4)} P@10 ${trial.precision[e].toFixed(4)} at epoch ${e + 1} ` +
            `(last ${trial.ndcg.at(-1)!.toFixed(4)}; ${trial.secondsPerEpoch.toFixed(2)} s/epoch)`,
        );
      }
    }
  }
  let best = { dim: 0, alpha: 0, lambda: 0, epochs: 0, ndcg_at_10: -1, precision_at_10: 0 };
  for (const t of trials) {
    const e = argmaxEpoch(t.ndcg);
    if (t.ndcg[e] > best.ndcg_at_10) best = { dim: t.dim, alpha: t.alpha, lambda: t.lambda, epochs: e + 1, ndcg_at_10: t.ndcg[e], precision_at_10: t.precision[e] };
  }
  return { split: split.name, seed: opts.seed, fitRows: fit.length, validRows: valid.length, trials, best };
}

export interface BprTrial {
  /** The sampled options (trial 0: the shipped defaults' lr and reg). */
  lr: number;
  reg: number;
  /** Validation figures at each measured epoch (`epochs[k]` is the epoch `ndcg[k]` was measured after). */
  epochs: number[];
  ndcg: number[];
  precision: number[];
  auc: number[];
  secondsPerEpoch: number;
}

export interface BprSearch {
  split: string;
  seed: number;
  fitRows: number;
  validRows: number;
  trials: BprTrial[];
  best: { lr: number; reg: number; epochs: number; ndcg_at_10: number; precision_at_10: number; auc: number };
}

/** Where bpr's seeded random search samples: log-uniform step size and L2 weight around 002's scale. */
export const BPR_SPACE: SearchSpace = {
  lr: { type: 'float', min: 0.01, max: 0.3, log: true },
  reg: { type: 'float', min: 0.001, max: 0.1, log: true },
};

/**
 * Seeded random search for bpr on the same carve as searchIals (25% of each user's training rows, seed + 1): trial 0
 * is the shipped defaults, then `trials` (lr, reg) draws from BPR_SPACE (rng seeded with `seed`); every trial trains
 * `maxEpochs` (other options `fixed`, else BPR_DEFAULTS) and is ranked on the validation rows every `evalEvery`
 * epochs. The best (configuration, epoch) by validation nDCG@10 wins, the fewest epochs among ties within 0.001.
 */
export function searchBpr(
  ds: RatingsDataset,
  opts: { split: string; seed: number; trials: number; maxEpochs: number; evalEvery: number; fixed?: Partial<BprOptions>; log?: (s: string) => void },
): BprSearch {
  const { split, fit, valid, seen, held, nUsers, nItems } = validationCarve(ds, opts.split, opts.seed);
  const { itemTags } = itemTagIndex(ds.itemMeta);
  const rng = createRng(opts.seed);
  const draws = [{ lr: BPR_DEFAULTS.lr, reg: BPR_DEFAULTS.reg }];
  for (let k = 0; k < opts.trials; k++) {
    const p = sampleSpace(BPR_SPACE, rng);
    draws.push({ lr: Number(p.lr), reg: Number(p.reg) });
  }
  const trials = draws.map(({ lr, reg }) => {
    const trial: BprTrial = { lr, reg, epochs: [], ndcg: [], precision: [], auc: [], secondsPerEpoch: 0 };
    let epoch = 0;
    const options = { ...BPR_DEFAULTS, ...opts.fixed, lr, reg, epochs: opts.maxEpochs, seed: opts.seed };
    const { epochs } = trainBpr(ds.ratings, fit, seen, nUsers, nItems, itemTags, options, {
      evaluate: (p) => {
        if (++epoch % opts.evalEvery !== 0 && epoch !== opts.maxEpochs) return {};
        const f = bprFactors(p);
        const m = evaluateRanking(dotScorer(f.userFactors, f.itemFactors, f.dim), seen, held, nItems);
        trial.epochs.push(epoch);
        trial.ndcg.push(m.ndcg_at_10);
        trial.precision.push(m.precision_at_10);
        trial.auc.push(m.auc);
        return {};
      },
    });
    trial.secondsPerEpoch = epochs.reduce((s, e) => s + e.seconds, 0) / Math.max(1, epochs.length);
    const e = argmaxEpoch(trial.ndcg);
    opts.log?.(
      `bpr lr ${lr} reg ${reg}: best valid nDCG@10 ${trial.ndcg[e].toFixed(4)} P@10 ${trial.precision[e].toFixed(4)} AUC ${trial.auc[e].toFixed(4)} ` +
        `at epoch ${trial.epochs[e]} (last ${trial.ndcg.at(-1)!.toFixed(4)}; ${trial.secondsPerEpoch.toFixed(2)} s/epoch)`,
    );
    return trial;
  });
  let best = { lr: 0, reg: 0, epochs: 0, ndcg_at_10: -1, precision_at_10: 0, auc: 0 };
  for (const t of trials) {
    const e = argmaxEpoch(t.ndcg);
    if (t.ndcg[e] > best.ndcg_at_10) best = { lr: t.lr, reg: t.reg, epochs: t.epochs[e], ndcg_at_10: t.ndcg[e], precision_at_10: t.precision[e], auc: t.auc[e] };
  }
  return { split: split.name, seed: opts.seed, fitRows: fit.length, validRows: valid.length, trials, best };
}

/** The first epoch within 0.001 of the best value (fewer epochs for an indistinguishable score). */
function argmaxEpoch(values: number[]): number {
  const top = Math.max(...values);
  return values.findIndex((v) => v >= top - 0.001);
}

/**
 * Visitors for a fold-in search: `fraction` of the users (seeded) are taken out of the split's training rows
 * entirely; the model is fitted on the other users' rows; each visitor's rows are split per user into `given`
 * (what a visitor would send, 75%) and `target` (what the folded-in visitor is judged on, 25%).
 */
export function carveVisitors(ds: RatingsDataset, rows: Int32Array, fraction: number, seed: number) {
  const nUsers = ds.userIds.length;
  const order = shuffleInPlace(Int32Array.from({ length: nUsers }, (_, u) => u), createRng(seed));
  const visitor = new Uint8Array(nUsers);
  for (let k = 0; k < Math.round(fraction * nUsers); k++) visitor[order[k]] = 1;
  const fit = rows.filter((r) => !visitor[ds.ratings.user[r]]);
  const theirs = rows.filter((r) => visitor[ds.ratings.user[r]] === 1);
  const { fit: given, valid: target } = carvePerUser(ds, theirs, 0.25, seed + 1);
  const users = Array.from(visitor.keys()).filter((u) => visitor[u]);
  return { fit, given, target, users };
}

/** Rows of `rows` grouped by user: user -> row indices. */
function byUser(ds: RatingsDataset, rows: Int32Array): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const r of rows) {
    const u = ds.ratings.user[r];
    let a = m.get(u);
    if (!a) m.set(u, (a = []));
    a.push(r);
  }
  return m;
}

/** A loaded artifact's fold-in settings replaced (the Gramian cache is per model, independent of them). */
function withFoldin(model: LoadedModel, foldin: FoldinSpec): LoadedModel {
  model.manifest.foldin = foldin;
  return model;
}

/**
 * Rating fold-in: RMSE on the visitors' target ratings after folding their given ratings in with each lambda, through
 * shared/model/foldin.ts on the decoded f32 artifact (exactly what a request does).
 */
export function scoreRatingFoldin(ds: RatingsDataset, served: LoadedModel, given: Int32Array, target: Int32Array, lambdas: number[]): { lambda: number; rmse: number }[] {
  const giv = byUser(ds, given);
  const tgt = byUser(ds, target);
  return lambdas.map((lambda) => {
    withFoldin(served, { ...served.manifest.foldin, rating: { lambda } });
    const pred: number[] = [];
    const truth: number[] = [];
    for (const [u, rows] of tgt) {
      const g = giv.get(u) ?? [];
      if (g.length === 0) continue;
      const user = foldInRatings(served, Int32Array.from(g, (r) => ds.ratings.item[r]), Float32Array.from(g, (r) => ds.ratings.rating[r]));
      const p = predictFolded(served, user, Int32Array.from(rows, (r) => ds.ratings.item[r]));
      for (let k = 0; k < rows.length; k++) {
        pred.push(clip(p[k], ds.ratingRange));
        truth.push(ds.ratings.rating[rows[k]]);
      }
    }
    return { lambda, rmse: rmse(Float32Array.from(pred), Float32Array.from(truth)) };
  });
}

/**
 * Implicit fold-in: nDCG@10 / P@10 on the visitors' target items (their given items excluded) after folding the
 * given items in with each (alpha, lambda), ranked by recommendForVector as the route does.
 */
export function scoreImplicitFoldin(
  ds: RatingsDataset,
  served: LoadedModel,
  given: Int32Array,
  target: Int32Array,
  grid: { alpha: number; lambda: number }[],
): { alpha: number; lambda: number; ndcg_at_10: number; precision_at_10: number }[] {
  const giv = byUser(ds, given);
  const tgt = byUser(ds, target);
  const discount = Array.from({ length: 10 }, (_, r) => 1 / Math.log2(r + 2));
  return grid.map(({ alpha, lambda }) => {
    withFoldin(served, { ...served.manifest.foldin, implicit: { alpha, lambda } });
    let ndcg = 0;
    let precision = 0;
    let n = 0;
    for (const [u, rows] of tgt) {
      const g = Int32Array.from(giv.get(u) ?? [], (r) => ds.ratings.item[r]);
      if (g.length === 0) continue;
      const want = new Set(rows.map((r) => ds.ratings.item[r]));
      const got = recommendForVector(served, foldInImplicit(served, g), 10, new Set(g));
      let dcg = 0;
      let hits = 0;
      got.forEach((s, r) => {
        if (want.has(s.index)) {
          hits++;
          dcg += discount[r];
        }
      });
      const idcg = discount.slice(0, Math.min(10, want.size)).reduce((a, b) => a + b, 0);
      ndcg += dcg / idcg;
      precision += hits / 10;
      n++;
    }
    return { alpha, lambda, ndcg_at_10: ndcg / n, precision_at_10: precision / n };
  });
}

export type { IalsOptions };
