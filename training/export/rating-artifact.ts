import type { TensorInput } from '../../shared/artifact/encode.js';
import { DType, type FoldinSpec, type HeadSpec, type Manifest, type RankerSpec, type Quantization } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import type { IalsParams } from '../models/ials.js';
import type { RatingsDataset } from '../data/types.js';
import { buildArtifact, type BuiltArtifact } from './artifact-builder.js';
import { buildItemsFile } from './items.js';

export interface RatingArtifactInput {
  kind: string;
  tensors: TensorInput[];
  head?: HeadSpec;
  dataset: RatingsDataset;
  trainRows: Int32Array;
  split: string;
  hyper: Record<string, number | string | boolean>;
  quantization: Quantization;
  /** An implicit ranker trained beside the rating model: rank_* tensors (quantised like the other tables) and manifest.ranker. */
  ranker?: { spec: RankerSpec; params: IalsParams };
  foldin?: FoldinSpec;
  /** What the weights were fitted on (manifest.refit); absent: not recorded. */
  refit?: 'all' | 'none';
  /** manifest.ratingRange: default the dataset's; null: none (a ranker's vectors have no rating scale). */
  ratingRange?: [number, number] | null;
  /** Tag vocabulary of tag_factors (items.json `tags`, manifest counts.tags). */
  tags?: string[];
  /** Vectors trained elsewhere (npm run import): the reader and files. */
  source?: Manifest['source'];
}

/**
 * Dense weights (head kernels, item features) are small next to the embedding tables and feed every score, so they
 * never go below f16: int8 per row is for the tables.
 */
export function denseDType(q: Quantization): DType {
  return q === DType.f32 ? DType.f32 : DType.f16;
}

/**
 * Encodes any model trained on a ratings dataset (the rating kinds, bpr, imported vectors); metrics are filled in by
 * the caller once the encoded weights are re-evaluated.
 */
export async function buildRatingArtifact(input: RatingArtifactInput): Promise<BuiltArtifact> {
  const tensors = [...input.tensors];
  if (input.ranker) {
    const { params } = input.ranker;
    tensors.push(
      { name: TENSOR_NAMES.rankUserFactors, data: params.userFactors, shape: [params.nUsers, params.dim], dtype: input.quantization },
      { name: TENSOR_NAMES.rankItemFactors, data: params.itemFactors, shape: [params.nItems, params.dim], dtype: input.quantization },
    );
  }
  const ds = input.dataset;
  return buildArtifact({
    kind: input.kind,
    tensors,
    hyper: input.hyper,
    quantization: input.quantization,
    ratingRange: input.ratingRange === undefined ? ds.ratingRange : (input.ratingRange ?? undefined),
    counts: input.tags ? { users: ds.userIds.length, items: ds.itemIds.length, tags: input.tags.length } : { users: ds.userIds.length, items: ds.itemIds.length },
    dataset: ratingsDatasetBlock(ds, input.split),
    items: input.tags ? { ...buildItemsFile(ds, input.trainRows), tags: input.tags } : buildItemsFile(ds, input.trainRows),
    head: input.head,
    ranker: input.ranker?.spec,
    foldin: input.foldin,
    refit: input.refit,
    source: input.source,
  });
}

/** manifest.dataset of a ratings dataset. */
function ratingsDatasetBlock(ds: RatingsDataset, split: string): Manifest['dataset'] {
  return { name: ds.name, fingerprint: ds.fingerprint, ratings: ds.ratings.rating.length, split };
}
