import * as tf from '@tensorflow/tfjs-core';
import { unitRow } from './engine-scorer.js';
import type { LoadedModel } from './loaded.js';

/** One supporting item of a recommendation: an item index and its cosine with the recommended item. */
export interface Reason {
  index: number;
  similarity: number;
}

/**
 * Why each of `results` was recommended: the (at most `n`) items of `basis` (the user's rated items or the
 * visitor's given ones) whose item vectors are most similar (cosine in item_factors' space) to it, most similar
 * first; only positive similarities count as support. One [S, d] x [d, K] product for the whole answer.
 */
export function explain(model: LoadedModel, basis: Int32Array, results: readonly number[], n = 3): Reason[][] {
  if (basis.length === 0 || results.length === 0) return results.map(() => []);
  const sims = model.engine ? engineCosines(model, basis, results) : tf.tidy(() => {
    const b = tf.transpose(tf.gather(model.itemsUnitT, basis, 1)); // [S, d]
    const r = tf.gather(model.itemsUnitT, Int32Array.from(results), 1); // [d, K]
    return tf.matMul(b, r).dataSync() as Float32Array; // [S, K]
  });
  const k = results.length;
  return results.map((_, col) => {
    const reasons: Reason[] = [];
    for (let s = 0; s < basis.length; s++) {
      const similarity = sims[s * k + col];
      if (similarity > 0) reasons.push({ index: basis[s], similarity });
    }
    return reasons.sort((a, b) => b.similarity - a.similarity || a.index - b.index).slice(0, n);
  });
}

/** [S, K] cosines from the int8 codes (unit rows as the tfjs path gathers them, dot products summed in f32). */
function engineCosines(model: LoadedModel, basis: Int32Array, results: readonly number[]): Float32Array {
  const e = model.engine!;
  const d = model.dim;
  const cols = results.map((j) => unitRow(e, j, d));
  const out = new Float32Array(basis.length * results.length);
  for (let s = 0; s < basis.length; s++) {
    const b = unitRow(e, basis[s], d);
    cols.forEach((r, k) => {
      let dot = 0;
      for (let c = 0; c < d; c++) dot = Math.fround(dot + Math.fround(b[c] * r[c]));
      out[s * results.length + k] = dot;
    });
  }
  return out;
}
