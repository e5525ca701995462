import * as tf from '@tensorflow/tfjs-core';
import type { LoadedModel } from './loaded.js';

/** Columns of a [d, N] matrix read back as a [d, cols.length] row-major Float32Array (one gather, one read). */
export function columns(mT: tf.Tensor2D, cols: readonly number[]): Float32Array {
  if (cols.length === 0) return new Float32Array(0);
  let out!: Float32Array;
  tf.tidy(() => {
    out = tf.gather(mT, Int32Array.from(cols), 1).dataSync() as Float32Array;
  });
  return out;
}

/** [N] cosine of item i with every item. Call inside a tidy. */
export function cosineTo(model: LoadedModel, i: number): tf.Tensor1D {
  return cosineWith(model, tf.gather(model.itemsUnitT, [i], 1));
}

/**
 * [N] dot products of a [d] or [d, 1] query with every unit item vector (cosine when the query is unit length).
 * Call inside a tidy. The query is reshaped to [1, d] rather than multiplied with transposeA: on the wasm backend
 * matMul(q[d,1], M, true) took 0.44 ms on 10k x 64 items and matMul(q[1,d], M) 0.07 ms (bench/filters.ts).
 */
export function cosineWith(model: LoadedModel, q: tf.Tensor): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.reshape(q, [1, model.dim]), model.itemsUnitT), [model.items.size]);
}
