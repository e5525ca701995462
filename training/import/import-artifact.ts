import { type ImportFormat, type Quantization } from '../../shared/artifact/schema.js';
import { chooseSplit, RANKING_SPLIT } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { DataError } from '../data/errors.js';
import type { WrittenSizes } from '../export/artifact-files.js';
import { finishArtifact } from '../export/artifact-builder.js';
import type { IndexMode } from '../export/ivf-index.js';
import { mfTensors } from '../export/mf-artifact.js';
import { buildRatingArtifact } from '../export/rating-artifact.js';
import type { MfParams } from '../models/mf.js';
import { UsageError } from '../options.js';
import { MF_FOLDIN_LAMBDA } from '../pipeline/mf-kind.js';
import { evaluateImport, type ImportEvaluation } from './evaluate-import.js';
import { importedDataset, type ItemCatalogue } from './imported-dataset.js';
import { checkTable, type ImportedFactors } from './tables.js';

export interface ImportRequest {
  factors: ImportedFactors;
  catalogue?: ItemCatalogue;
  /** `--ratings`: the data the vectors were trained on; evaluated on `split`, and the seen lists of the artifact. */
  ratings?: RatingsDataset;
  split?: string;
  /** Leave out ratings of users or items the model has no vector for (else they are an error). */
  dropUnknown?: boolean;
  seed: number;
  quantization: Quantization;
  /** `--rating-range min,max`: the scale of a biased model's predictions when no --ratings give it. */
  ratingRange?: [number, number];
  /** Implicit fold-in of visitors against the imported item vectors (manifest.foldin.implicit). */
  foldin: { alpha: number; lambda: number };
  index: IndexMode;
  out: string;
  log: (line: string) => void;
}

export interface ImportReport {
  kind: 'mf' | 'bpr';
  format: ImportFormat;
  counts: { users: number; items: number; dim: number };
  split: string | null;
  evaluation: ImportEvaluation | null;
  sizes: WrittenSizes;
  out: string;
}

/**
 * Vectors trained elsewhere -> an ordinary artifact (the mf exporter's tensors, the rating artifact builder, the same
 * encoder, checksum and manifest), so publish, rollback, the report and every route take it unchanged. With biases
 * (item_bias, user_bias or a global mean) or a given rating range it is an `mf` rating model; otherwise a `bpr`-like
 * dot model (no rating scale). manifest.source names the reader and files. With ratings it is evaluated as train evaluates.
 */
export async function importArtifact(req: ImportRequest): Promise<ImportReport> {
  const f = req.factors;
  const file = f.files[0];
  checkTable(f.items, file, 'item');
  if (f.users) checkTable(f.users, file, 'user');
  if (f.users && f.users.dim !== f.items.dim) {
    throw new DataError(file, undefined, undefined, `user vectors have ${f.users.dim} dimensions and item vectors ${f.items.dim}`, 'a dot-product model needs both the same width');
  }
  const biased = f.items.bias !== undefined || f.users?.bias !== undefined || f.globalBias !== undefined;
  if (biased && !f.users) throw new DataError(file, undefined, undefined, 'has biases but no user vectors', 'a rating model needs user vectors beside the item vectors and biases');
  const ds = importedDataset(f, req.catalogue, req.ratings, req.dropUnknown);
  if (req.ratings && ds.ratings.rating.length < req.ratings.ratings.rating.length) {
    req.log(`--drop-unknown: left out ${req.ratings.ratings.rating.length - ds.ratings.rating.length} of ${req.ratings.ratings.rating.length} ratings whose user or item has no vector`);
  }
  // A rating model: biases, or a plain dot product given a scale (as mf --no-bias). Without either the vectors rank
  // (implicit ALS, two-tower): a --ratings file is then what they were fitted on, not a scale their dot products have.
  const explicit = biased || req.ratingRange !== undefined;
  const ratingRange = req.ratingRange ?? (biased && req.ratings ? ds.ratingRange : undefined);
  if (biased && !ratingRange) throw new UsageError('an imported model with biases predicts ratings: pass --ratings <data> or --rating-range min,max so predictions are clipped to its scale');
  const kind = explicit ? 'mf' : 'bpr';
  const dim = f.items.dim;
  const nUsers = ds.userIds.length;
  const params: MfParams = {
    nUsers,
    nItems: ds.itemIds.length,
    dim,
    mu: f.globalBias ?? 0,
    userFactors: f.users?.values ?? new Float32Array(0),
    itemFactors: f.items.values,
    userBias: f.users?.bias ?? new Float32Array(nUsers),
    itemBias: f.items.bias ?? new Float32Array(ds.itemIds.length),
  };
  const tensors = mfTensors(params, req.quantization, biased).filter((t) => nUsers > 0 || t.name !== 'user_factors' && t.name !== 'user_bias');
  const splitName = req.ratings ? (req.split ?? (explicit ? 'random-80-20' : RANKING_SPLIT)) : 'none';
  // seed: the split's, so that `npm run report --data` re-creates the evaluation split.
  const hyper = { dim, bias: biased, importedFrom: f.format, seed: req.seed };
  const build = (trainRows: Int32Array) =>
    buildRatingArtifact({
      kind,
      tensors,
      dataset: ds,
      ratingRange: ratingRange ?? null,
      trainRows,
      split: splitName,
      hyper,
      quantization: req.quantization,
      // The rating fold-in solves for a user bias too: biased models only (as mf --no-bias gets none).
      foldin: { implicit: { ...req.foldin }, ...(biased ? { rating: { lambda: MF_FOLDIN_LAMBDA } } : {}) },
      source: { format: f.format, files: f.files },
    });

  let evaluation: ImportEvaluation | null = null;
  if (req.ratings) {
    const split = chooseSplit(ds, splitName, req.seed);
    const ranking = !explicit || split.name === RANKING_SPLIT;
    evaluation = await evaluateImport({ ...ds, ratingRange: ratingRange ?? ds.ratingRange }, split, params, explicit, ranking, await build(split.train));
    req.log(`evaluated on ${split.name} of ${ds.name} (${split.test.length} held-out ratings): the figures are fair only if the vectors were trained without those rows`);
  }
  const all = Int32Array.from({ length: ds.ratings.rating.length }, (_, r) => r);
  const { sizes } = await finishArtifact(await build(all), {
    ...(evaluation ? { metrics: { float: evaluation.metrics, quantized: evaluation.quantized, baselines: evaluation.baselines } } : {}),
    index: req.index,
    seed: req.seed,
    out: req.out,
    log: req.log,
  });
  return { kind, format: f.format, counts: { users: nUsers, items: ds.itemIds.length, dim }, split: req.ratings ? splitName : null, evaluation, sizes, out: req.out };
}

