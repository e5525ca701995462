import * as tf from '@tensorflow/tfjs-core';
import { BadRequestError } from '../errors.js';
import { rankItems, type ItemFilter } from './filters.js';
import type { LoadedModel } from './loaded.js';
import type { Scored } from './queries.js';
import { requireTagsInItemSpace } from './tag-vectors.js';
import { columns, cosineWith } from './vectors.js';

/** An item moved along tag directions: indices into the model's items and tags. Tags may repeat (2x the step). */
export interface TagArithmetic {
  item: number;
  plus: readonly number[];
  minus: readonly number[];
}

export interface ArithmeticAnswer {
  results: Scored[];
  /** Cosine between the moved (renormalised) query and the item it started from: how far the tags moved it. */
  cosineToItem: number;
}

/** Below this length the item and tag vectors cancel out and the direction of their sum is noise. */
const MIN_NORM = 1e-4;

/**
 * The renormalised unit(item) + sum unit(plus) - sum unit(minus), as the game-tag notebook (000) builds
 * "Age of Mythology minus Fantasy". Only for models whose tags share the item space (a 400 otherwise).
 */
export function arithmeticVector(model: LoadedModel, q: TagArithmetic): Float32Array {
  const tags = requireTagsInItemSpace(model);
  const d = model.dim;
  const item = columns(model.itemsUnitT, [q.item]);
  const plus = columns(tags.unitT, q.plus);
  const minus = columns(tags.unitT, q.minus);
  const v = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    let x = item[c];
    for (let j = 0; j < q.plus.length; j++) x += plus[c * q.plus.length + j];
    for (let j = 0; j < q.minus.length; j++) x -= minus[c * q.minus.length + j];
    v[c] = x;
  }
  const norm = Math.hypot(...v);
  if (!(norm >= MIN_NORM)) {
    throw new BadRequestError(
      `the item and tag vectors cancel out (length ${norm.toExponential(2)} before renormalising): ` +
        'remove a minus tag or add a plus tag',
      'degenerate_query',
    );
  }
  return Float32Array.from(v, (x) => x / norm);
}

/** The k items closest (cosine) to the moved vector, the starting item excluded. */
export function itemArithmetic(model: LoadedModel, q: TagArithmetic, k: number, filter?: ItemFilter): ArithmeticAnswer {
  const v = arithmeticVector(model, q);
  const item = columns(model.itemsUnitT, [q.item]);
  let cosineToItem = 0;
  for (let c = 0; c < v.length; c++) cosineToItem += v[c] * item[c];
  const results = rankItems(model, () => cosineWith(model, tf.tensor1d(v)), k, { filter, skip: [q.item] });
  return { results, cosineToItem };
}
