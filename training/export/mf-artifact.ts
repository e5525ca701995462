import { encodeTensors, float32Bytes, type TensorInput } from '../../shared/artifact/encode.js';
import { DType, FORMAT_NAME, FORMAT_VERSION, type Manifest } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import type { RatingsDataset } from '../data/types.js';
import type { MfParams } from '../models/mf.js';
import { buildItemsFile } from './items.js';
import type { ArtifactParts } from './artifact-files.js';

/** How embedding tables are stored; biases always stay f32 (they are few and carry the most signal per byte). */
export const Quantization = { q8: DType.q8, f16: DType.f16, f32: DType.f32 } as const;
export type Quantization = (typeof Quantization)[keyof typeof Quantization];

export interface MfArtifactInput {
  params: MfParams;
  dataset: RatingsDataset;
  trainRows: Int32Array;
  split: string;
  hyper: Record<string, number | string | boolean>;
  quantization: Quantization;
  bias: boolean;
}

export function mfTensors(p: MfParams, quantization: Quantization, bias: boolean): TensorInput[] {
  const t: TensorInput[] = [
    { name: TENSOR_NAMES.userFactors, data: p.userFactors, shape: [p.nUsers, p.dim], dtype: quantization },
    { name: TENSOR_NAMES.itemFactors, data: p.itemFactors, shape: [p.nItems, p.dim], dtype: quantization },
  ];
  if (bias) {
    t.push(
      { name: TENSOR_NAMES.userBias, data: p.userBias, shape: [p.nUsers], dtype: DType.f32 },
      { name: TENSOR_NAMES.itemBias, data: p.itemBias, shape: [p.nItems], dtype: DType.f32 },
      { name: TENSOR_NAMES.globalBias, data: Float32Array.of(p.mu), shape: [1], dtype: DType.f32 },
    );
  }
  return t;
}

/** Encodes an mf model; metrics are filled in by the caller once the encoded weights have been re-evaluated. */
export async function buildMfArtifact(input: MfArtifactInput): Promise<ArtifactParts & { float32Bytes: number }> {
  const tensors = mfTensors(input.params, input.quantization, input.bias);
  const encoded = await encodeTensors(tensors);
  const ds = input.dataset;
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: 'mf', hyper: { ...input.hyper, quantization: input.quantization } },
    ratingRange: ds.ratingRange,
    counts: { users: ds.userIds.length, items: ds.itemIds.length },
    tensors: encoded.entries,
    tensorsSha256: encoded.sha256,
    tensorsBytes: encoded.bytes.byteLength,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: { name: ds.name, fingerprint: ds.fingerprint, ratings: ds.ratings.rating.length, split: input.split },
    createdAt: new Date().toISOString(),
  };
  return {
    manifest,
    tensors: encoded.bytes,
    items: buildItemsFile(ds, input.trainRows),
    float32Bytes: float32Bytes(tensors),
  };
}
