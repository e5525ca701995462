import type { TensorInput } from '../../shared/artifact/encode.js';
import type { HeadSpec, Quantization } from '../../shared/artifact/schema.js';
import type { RatingsDataset } from '../data/types.js';
import type { BatchScorer } from '../eval/ranking.js';
import { UsageError } from '../options.js';
import type { CliOption, EpochReport } from './kinds.js';

/**
 * An explicit-rating model kind, as the generic pipeline (rating-pipeline.ts), cross-validation (cv.ts) and the
 * random search (tune.ts) see it: parse options, fit on rows, predict, export tensors (and a head).
 */
export interface RatingKind<O = unknown> {
  kind: string;
  summary: string;
  /** Options only this kind reads (the common ones, --epochs --dim --seed, live in the CLI). */
  options: Record<string, CliOption>;
  /** CLI values (strings, booleans) -> validated options. Used for tune's sampled values too. */
  parse(raw: Record<string, string | boolean | undefined>, seed: number): O;
  /** Options as the manifest and report record them. */
  hyper(o: O): Record<string, number | string | boolean>;
  /** Random-search space for `npm run tune`, keyed by CLI option name. */
  space: SearchSpace;
  fit(ds: RatingsDataset, trainRows: Int32Array, o: O, hooks: FitHooks): Promise<FittedRatingModel>;
  /**
   * The ridge lambda with which a visitor's ratings are folded into this kind's item factors and biases
   * (manifest.foldin.rating; shared/model/foldin.ts foldInRatings); absent for kinds that score through a head.
   */
  ratingFoldinLambda?(o: O): number | undefined;
}

export interface FitHooks {
  /** Rows to report a validation loss on after every epoch (never used to choose anything). */
  validRows?: Int32Array;
  onEpoch?: (r: EpochReport) => void;
}

export interface FittedRatingModel {
  /** The float model's predictions, unclipped (the expected rating for a classifier). */
  predict(users: Int32Array, items: Int32Array): Float32Array;
  /** Scores every item for a batch of users, for ranking metrics of the float model (kinds that can do it cheaply). */
  rankScorer?(): BatchScorer;
  /** Extra float-model metrics on test pairs (classify: accuracy, argmax errors). */
  extraMetrics?(users: Int32Array, items: Int32Array, truth: Float32Array, range: [number, number]): Record<string, number>;
  epochs: EpochReport[];
  /** What the artifact stores: standard tensor names, plus a head for deep/hybrid/classify. */
  artifact(quantization: Quantization): { tensors: TensorInput[]; head?: HeadSpec };
}

/** One dimension of a random search; values are sampled uniformly (log-uniformly with `log`), then snapped to `step`. */
export type SearchParam =
  | { type: 'float'; min: number; max: number; log?: boolean; step?: number }
  | { type: 'int'; min: number; max: number; step?: number }
  | { type: 'choice'; values: string[] };

export type SearchSpace = Record<string, SearchParam>;

/** Comma-separated positive integers ("64,64"), e.g. hidden layer widths. */
export function intList(name: string, value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw new UsageError(`--${name} must be comma-separated integers from 1 to 4096 (e.g. 64,64), got ${JSON.stringify(value)}`);
  }
  return parts;
}
