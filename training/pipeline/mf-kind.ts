import { intOption, numberOption } from '../options.js';
import { dotScorer } from '../eval/ranking.js';
import { mfTensors } from '../export/mf-artifact.js';
import { averageMf } from '../models/mf-ensemble.js';
import { MF_DEFAULTS, predictMf, trainMf, type MfOptions } from '../models/mf.js';
import type { EpochReport } from './kinds.js';
import type { FittedRatingModel, RatingKind, SearchSpace } from './rating-kind.js';

/** mf options plus the number of seeds whose models are averaged (see mf-ensemble.ts). */
export interface MfKindOptions extends MfOptions {
  seeds: number;
}

/**
 * Factor models served as plain vectors: `mf` (for tune and CV; its train pipeline is train-mf.ts) and `svdpp`
 * (mf with implicit feedback folded into the user vectors, optionally averaged over seeds).
 */
export function mfKind(kind: string, summary: string, defaults: MfOptions, space: SearchSpace, foldinLambda: number): RatingKind<MfKindOptions> {
  const implicit = defaults.implicit;
  return {
    kind,
    summary,
    // The fold-in solves for a user bias too, so a bias-free model (--no-bias) gets none.
    ratingFoldinLambda: (o) => (o.bias ? foldinLambda : undefined),
    options: {
      lr: { type: 'string', help: `SGD step size (default ${defaults.lr})` },
      reg: { type: 'string', help: `L2 weight on factors (default ${defaults.reg})` },
      'reg-bias': { type: 'string', help: `L2 weight on biases (default ${defaults.regBias})` },
      'lr-decay': { type: 'string', help: `lr multiplier per epoch (default ${defaults.lrDecay})` },
      ...(implicit
        ? {
            'reg-implicit': { type: 'string', help: `L2 weight on the implicit item vectors (default ${defaults.regImplicit})` },
            seeds: { type: 'string', help: 'average the models of this many seeds (concatenated factors; default 1)' },
          }
        : { 'no-bias': { type: 'boolean', help: 'plain dot-product model, no biases' } }),
    },
    space,
    parse(raw, seed) {
      const s = (name: string) => raw[name] as string | undefined;
      return {
        ...defaults,
        seed,
        epochs: intOption('epochs', s('epochs'), defaults.epochs, 1, 10_000),
        dim: intOption('dim', s('dim'), defaults.dim, 1, 4096),
        lr: numberOption('lr', s('lr'), defaults.lr, 1e-9, 10),
        reg: numberOption('reg', s('reg'), defaults.reg, 0, 100),
        regBias: numberOption('reg-bias', s('reg-bias'), defaults.regBias, 0, 100),
        lrDecay: numberOption('lr-decay', s('lr-decay'), defaults.lrDecay, 0.01, 1),
        regImplicit: numberOption('reg-implicit', s('reg-implicit'), defaults.regImplicit, 0, 100),
        bias: !raw['no-bias'],
        seeds: intOption('seeds', s('seeds'), 1, 1, 16),
      };
    },
    hyper: (o) => ({ ...o }),
    async fit(ds, trainRows, o, hooks) {
      const runs: ReturnType<typeof trainMf>[] = [];
      for (let k = 0; k < o.seeds; k++) {
        // Per-epoch reports of the first seed only: the others repeat the same curve.
        runs.push(trainMf(ds.ratings, trainRows, ds.userIds.length, ds.itemIds.length, { ...o, seed: o.seed + k }, k === 0 ? hooks : {}));
      }
      const params = averageMf(runs.map((r) => r.params));
      const epochs: EpochReport[] = runs[0].epochs.map((e, n) => ({ ...e, seconds: runs.reduce((s, r) => s + r.epochs[n].seconds, 0) }));
      const fitted: FittedRatingModel = {
        epochs,
        predict: (users, items) => Float32Array.from(users, (u, n) => predictMf(params, u, items[n], o.bias)),
        // mu + b_u is the same for all of a user's items, so u . v + b_i ranks them.
        rankScorer: () => dotScorer(params.userFactors, params.itemFactors, params.dim, o.bias ? params.itemBias : undefined),
        artifact: (q) => ({ tensors: mfTensors(params, q, o.bias) }),
      };
      return fitted;
    },
  };
}

export const MF_SPACE: SearchSpace = {
  lr: { type: 'float', min: 0.003, max: 0.03, log: true },
  reg: { type: 'float', min: 0.02, max: 0.2, log: true },
  'lr-decay': { type: 'float', min: 0.9, max: 1 },
  dim: { type: 'choice', values: ['32', '64', '128'] },
};

/**
 * Rating fold-in lambda for mf, chosen on visitors carved from ml-100k random-80-20 (seed 42) training rows
 * (npm run tune-ranker -- --what rating-foldin: 20% of the users out of training, seed 44; 75% of each visitor's
 * ratings folded in, RMSE on the rest): lambda 0.1 1.099, 0.3 1.031, 1 0.972, 3 0.943, 10 0.938, 30 0.949.
 */
export const MF_FOLDIN_LAMBDA = 10;

export const mfRatingKind = mfKind(
  'mf',
  'explicit matrix factorisation with user/item biases and a global mean (--no-bias: plain dot product)',
  MF_DEFAULTS,
  MF_SPACE,
  MF_FOLDIN_LAMBDA,
);
