import type { ItemFilter } from './filters.js';
import { foldInImplicit } from './foldin.js';
import type { LoadedModel } from './loaded.js';
import { recommendForVector, type Scored } from './queries.js';

/**
 * Top-k for a visitor known only by the items they viewed, liked or rated: folded in (the implicit ALS user step)
 * and ranked in the model's ranking space; the given items are never returned.
 */
export function recommendForItems(model: LoadedModel, items: Int32Array, k: number, filter?: ItemFilter): Scored[] {
  const x = foldInImplicit(model, items);
  const exclude = new Set(items);
  return recommendForVector(model, x, k, exclude, filter);
}
