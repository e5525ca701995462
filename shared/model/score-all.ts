import * as tf from '@tensorflow/tfjs-core';
import { headScoreAllItems } from './head.js';
import type { LoadedModel } from './loaded.js';
import { rankingScores } from './queries.js';

/**
 * Every item's score for each of `users`, row-major [users.length, N]: the score recommendForUser ranks by
 * (the ranker's dot product, else global + user bias + item bias + u . v, or the head's output), for a batch of users in one matMul. For
 * evaluating a loaded artifact over a whole test split, where one query per user would pay tfjs' per-call
 * overhead a thousand times.
 */
export function scoreAllItems(model: LoadedModel, users: Int32Array): Float32Array {
  const nUsers = model.users.size;
  for (const u of users) {
    if (!(u >= 0 && u < nUsers)) throw new RangeError(`user index ${u} is outside the model's ${nUsers} users`);
  }
  if (users.length === 0) return new Float32Array(0);
  let out!: Float32Array;
  tf.tidy(() => {
    let scores: tf.Tensor;
    if (model.ranker) {
      scores = tf.matMul(tf.gather(model.ranker.userFactors, users), model.ranker.itemsT);
    } else if (model.head) {
      // A head scores one user against all items per pass (its first layer is split into item and user parts).
      const head = model.head;
      const u = tf.gather(model.userFactors, users) as tf.Tensor2D; // [B, d]
      scores = tf.stack(Array.from(users, (_, b) => headScoreAllItems(head, tf.slice(u, [b, 0], [1, model.dim]) as tf.Tensor2D)));
    } else {
      const u = tf.gather(model.userFactors, users) as tf.Tensor2D; // [B, d]
      const dots = tf.mul(tf.matMul(u, model.itemsUnitT), model.itemNorms); // [B, N]: |v| (u . v/|v|)
      const offset = tf.reshape(tf.add(tf.gather(model.userBias, users), model.globalBias), [users.length, 1]);
      scores = tf.add(tf.add(dots, model.itemBias), offset);
    }
    out = scores.dataSync() as Float32Array;
  });
  return out;
}

/**
 * Every item's score for each of `count` points of the ranking space (row-major [count, r] in `vectors`, e.g.
 * folded-in visitors): the dot product recommendForVector ranks by, as [count, N].
 */
export function scoreVectors(model: LoadedModel, vectors: Float32Array, count: number): Float32Array {
  if (count === 0) return new Float32Array(0);
  const dim = vectors.length / count;
  return tf.tidy(() => {
    return rankingScores(model, tf.tensor2d(vectors, [count, dim])).dataSync() as Float32Array;
  }) as unknown as Float32Array;
}
