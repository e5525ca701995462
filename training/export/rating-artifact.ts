import { encodeTensors, float32Bytes, type TensorInput } from '../../shared/artifact/encode.js';
import { DType, FORMAT_NAME, FORMAT_VERSION, type FoldinSpec, type HeadSpec, type Manifest, type RankerSpec, type Quantization } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import type { IalsParams } from '../models/ials.js';
import type { RatingsDataset } from '../data/types.js';
import type { ArtifactParts } from './artifact-files.js';
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
}

/**
 * Dense weights (head kernels, item features) are small next to the embedding tables and feed every score, so they
 * never go below f16: int8 per row is for the tables.
 */
export function denseDType(q: Quantization): DType {
  return q === DType.f32 ? DType.f32 : DType.f16;
}

/** Encodes any explicit-rating model; metrics are filled in by the caller once the encoded weights are re-evaluated. */
export async function buildRatingArtifact(input: RatingArtifactInput): Promise<ArtifactParts & { float32Bytes: number; inputs: TensorInput[] }> {
  const tensors = [...input.tensors];
  if (input.ranker) {
    const { params } = input.ranker;
    tensors.push(
      { name: TENSOR_NAMES.rankUserFactors, data: params.userFactors, shape: [params.nUsers, params.dim], dtype: input.quantization },
      { name: TENSOR_NAMES.rankItemFactors, data: params.itemFactors, shape: [params.nItems, params.dim], dtype: input.quantization },
    );
  }
  const encoded = await encodeTensors(tensors);
  const ds = input.dataset;
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: input.kind, hyper: { ...input.hyper, quantization: input.quantization } },
    ratingRange: ds.ratingRange,
    counts: { users: ds.userIds.length, items: ds.itemIds.length },
    tensors: encoded.entries,
    tensorsSha256: encoded.sha256,
    tensorsBytes: encoded.bytes.byteLength,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: { name: ds.name, fingerprint: ds.fingerprint, ratings: ds.ratings.rating.length, split: input.split },
    ...(input.head ? { head: input.head } : {}),
    ...(input.ranker ? { ranker: input.ranker.spec } : {}),
    ...(input.foldin ? { foldin: input.foldin } : {}),
    ...(input.refit ? { refit: input.refit } : {}),
    createdAt: new Date().toISOString(),
  };
  return {
    manifest,
    tensors: encoded.bytes,
    items: buildItemsFile(ds, input.trainRows),
    float32Bytes: float32Bytes(tensors),
    // What was encoded: an index is added by encoding these again with it (training/export/ivf-index.ts).
    inputs: tensors,
  };
}
