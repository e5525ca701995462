import { MF_DEFAULTS, type MfOptions } from '../models/mf.js';
import { mfKind, MF_SPACE } from './mf-kind.js';
import { ratingPipeline } from './rating-pipeline.js';

/**
 * Chosen by 5-fold CV over ml-100k's u1..u5 (see the issue note): reg 0.12 / reg-implicit 0.01 gave 0.9036 mean
 * RMSE, against 0.9123 for mf's defaults; regImplicit 0.1 or more undid most of the gain.
 */
export const SVDPP_DEFAULTS: MfOptions = { ...MF_DEFAULTS, dim: 64, lr: 0.015, lrDecay: 0.97, implicit: true, reg: 0.12, regImplicit: 0.01 };

/**
 * Rating fold-in lambda for svdpp, chosen as mf's (npm run tune-ranker -- --what rating-foldin --model svdpp; same
 * carve): lambda 0.1 1.073, 0.3 1.007, 1 0.955, 3 0.9327, 10 0.9328, 30 0.946. The fold-in solves for the exported
 * user vector directly (p_u with the implicit sum already folded in).
 */
export const SVDPP_FOLDIN_LAMBDA = 3;

export const svdppKind = mfKind(
  'svdpp',
  'mf with SVD++ implicit feedback (p_u + |N(u)|^-1/2 sum y_j, folded into the exported user vectors: served as mf)',
  SVDPP_DEFAULTS,
  { ...MF_SPACE, 'reg-implicit': { type: 'float', min: 0.001, max: 0.1, log: true } },
  SVDPP_FOLDIN_LAMBDA,
);

export const svdppPipeline = ratingPipeline(svdppKind);
