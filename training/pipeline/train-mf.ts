import type { RatingsDataset } from '../data/types.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import { MF_DEFAULTS, type MfOptions } from '../models/mf.js';
import type { EpochReport, TrainReport } from './kinds.js';
import { mfRatingKind } from './mf-kind.js';
import { ratingPipeline, trainRatingModel, type TrainRatingRequest } from './rating-pipeline.js';

/** `npm run train -- --model mf`: the generic rating pipeline over the mf kind (mf-kind.ts). */
export const mfPipeline = ratingPipeline(mfRatingKind);

export interface TrainMfRequest {
  dataset: RatingsDataset;
  /** 'random-80-20' (seeded), 'ranking-75-25' or an official split name (u1..u5, ua, ub). */
  split: string;
  options: Partial<MfOptions> & { seed: number };
  quantization: Quantization;
  out: string;
  onEpoch?: (r: EpochReport) => void;
  ranker?: TrainRatingRequest<unknown>['ranker'];
  rankerOptions?: TrainRatingRequest<unknown>['rankerOptions'];
  refit?: TrainRatingRequest<unknown>['refit'];
}

/** Train, evaluate, quantise, re-evaluate and write an mf artifact from an in-memory dataset (demo, tests). */
export function trainMfPipeline(req: TrainMfRequest): Promise<TrainReport> {
  return trainRatingModel(mfRatingKind, {
    dataset: req.dataset,
    split: req.split,
    seed: req.options.seed,
    options: { ...MF_DEFAULTS, seeds: 1, ...req.options },
    quantization: req.quantization,
    out: req.out,
    onEpoch: req.onEpoch,
    ranker: req.ranker,
    rankerOptions: req.rankerOptions,
    refit: req.refit,
  });
}
