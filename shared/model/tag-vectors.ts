import * as tf from '@tensorflow/tfjs-core';
import { BadRequestError } from '../errors.js';
import type { LoadedModel } from './loaded.js';
import type { Scored } from './queries.js';

export type TagSpace = NonNullable<LoadedModel['tags']>;

/** The model's tag embeddings, or a 400 saying which kinds have them. */
export function requireTags(model: LoadedModel): TagSpace {
  if (!model.tags) {
    throw new BadRequestError(
      `model ${JSON.stringify(model.name)} (kind ${model.manifest.model.kind}) has no tag embeddings: ` +
        'tag queries need a kind that learns them (itemtag, bpr)',
      'no_tag_embeddings',
    );
  }
  return model.tags;
}

/**
 * Tag embeddings that live in the item space (same dimension, trained jointly), so an item vector plus or minus a
 * tag vector means something. A kind whose tags have their own space (bpr) is refused with a 400.
 */
export function requireTagsInItemSpace(model: LoadedModel): TagSpace {
  const tags = requireTags(model);
  if (tags.dim !== model.dim) {
    throw new BadRequestError(
      `model ${JSON.stringify(model.name)} (kind ${model.manifest.model.kind}) keeps its tags in their own ` +
        `${tags.dim}-d space, not in the items' ${model.dim}-d space: item ± tag arithmetic needs a kind that embeds ` +
        'items and tags together (itemtag)',
      'tags_not_in_item_space',
    );
  }
  return tags;
}

/** The k tags whose vectors have the highest cosine with tag `t` (the tag itself excluded); indices are tag indices. */
export function similarTags(model: LoadedModel, t: number, k: number): Scored[] {
  const tags = requireTags(model);
  const n = tags.index.size;
  const want = Math.min(n, k + 1);
  let values!: Float32Array, indices!: Int32Array;
  tf.tidy(() => {
    // [1, d] times [d, T]: a transposeA matMul is several times slower on the wasm backend (bench/filters.ts).
    const q = tf.reshape(tf.gather(tags.unitT, [t], 1), [1, tags.dim]);
    const top = tf.topk(tf.reshape(tf.matMul(q, tags.unitT), [n]), want);
    values = top.values.dataSync() as Float32Array;
    indices = top.indices.dataSync() as Int32Array;
  });
  const out: Scored[] = [];
  for (let r = 0; r < indices.length && out.length < k; r++) {
    if (indices[r] !== t) out.push({ index: indices[r], score: values[r] });
  }
  return out;
}
