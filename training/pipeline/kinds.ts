import type { WrittenSizes } from '../export/artifact-files.js';
import type { RatingsDataset, Split } from '../data/types.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import type { EpochReport } from '../models/epoch-report.js';
import { loadDataset } from '../data/load.js';
import { readOptions } from '../data/rating-columns.js';

export type { EpochReport };

/** What `npm run train` hands a model pipeline. Raw option values are parsed by the pipeline that owns them. */
export interface TrainRequest {
  data: string;
  /** Reader name, or 'auto'. */
  format: string;
  split: string;
  seed: number;
  quantization: Quantization;
  out: string;
  /** Values of the common and pipeline-specific CLI options, as typed (strings and booleans). */
  options: Record<string, string | boolean | undefined>;
  log: (line: string) => void;
  onEpoch?: (r: EpochReport) => void;
}

/**
 * The JSON contract of `train --json` (acceptance checks read it): these keys for every model kind; kinds add
 * keys of their own. Metric names: rmse, mae, accuracy, auc, precision_at_10, recall_at_10, ndcg_at_10, map_at_10,
 * tag_overlap_at_10, tag_overlap_at_10_random.
 */
export interface TrainReport {
  model: string;
  dataset: { name: string; fingerprint: string; [k: string]: unknown };
  split: string;
  hyper: Record<string, number | string | boolean>;
  metrics: Record<string, number>;
  baselines: Record<string, Record<string, number>>;
  quantized: Record<string, number | string>;
  /** artifact: the weights in tensors.bin; catalog: its catalogue blocks (ids, titles, tags, seen lists). */
  bytes: { artifact: number; catalog: number; float32: number; files: number };
  seconds: { train: number; total: number; epoch_median: number; [k: string]: number };
  epochs: EpochReport[];
  out: string;
  [extra: string]: unknown;
}

export interface CliOption {
  type: 'string' | 'boolean';
  help: string;
}

export interface ModelPipeline {
  kind: string;
  summary: string;
  /** The split this kind is evaluated on when --split is not given (rankers: ranking-75-25). */
  defaultSplit?: string;
  /** Epochs trained when --epochs is not given: the progress bar's total (and ETA). */
  defaultEpochs?: number;
  /** What --data holds for this kind (default ratings); only ratings can come as a --train/--test pair. */
  input?: 'ratings' | 'item-tags' | 'artifact';
  /** Options only this kind reads (the common ones live in the CLI). */
  options: Record<string, CliOption>;
  run(req: TrainRequest): Promise<TrainReport>;
}

export function medianSeconds(epochs: EpochReport[]): number {
  const s = epochs.map((e) => e.seconds).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

/** The bytes / seconds / epochs / out part every TrainReport ends with, from what the pipeline wrote and timed. */
export function reportTail(a: { sizes: WrittenSizes; float32Bytes: number; trainSeconds: number; t0: number; epochs: EpochReport[]; out: string }) {
  return {
    // artifact: the weights (the catalogue blocks packed into tensors.bin beside them are counted in files).
    bytes: { artifact: a.sizes.tensors - a.sizes.catalog, catalog: a.sizes.catalog, float32: a.float32Bytes, files: a.sizes.tensors + a.sizes.items + a.sizes.manifest },
    seconds: { train: a.trainSeconds, total: (performance.now() - a.t0) / 1000, epoch_median: medianSeconds(a.epochs) },
    epochs: a.epochs,
    out: a.out,
  };
}

/** The `dataset` block of a report for a ratings dataset and the split it was evaluated on. */
export function ratingsSummary(ds: RatingsDataset, split: Split) {
  return {
    name: ds.name,
    users: ds.userIds.length,
    items: ds.itemIds.length,
    ratings: ds.ratings.rating.length,
    train: split.train.length,
    test: split.test.length,
    fingerprint: ds.fingerprint,
  };
}

/** The ratings a train request names (--data, its --format and reader options, --test), logged as one line. */
export async function loadRequestRatings(req: TrainRequest): Promise<RatingsDataset> {
  const dataset = await loadDataset(req.data, req.format, readOptions(req.options));
  req.log(`${dataset.name}: ${dataset.ratings.rating.length} ratings, ${dataset.userIds.length} users, ${dataset.itemIds.length} items`);
  return dataset;
}
