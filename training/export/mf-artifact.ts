import type { TensorInput } from '../../shared/artifact/encode.js';
import { DType, type Quantization } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import type { MfParams } from '../models/mf.js';

/**
 * The tensors of a factor model (mf, svdpp) under the standard names the Worker serves; tables stored as
 * `quantization` says, biases always f32 (they are few and carry the most signal per byte).
 */
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
