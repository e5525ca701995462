import type { LoadedModel } from './loaded.js';
import type { Scored } from './queries.js';

const orders = new WeakMap<LoadedModel, Int32Array>();

/**
 * The k items with the most training interactions (ties: lower index first), leaving out `exclude` and hidden
 * items; score = the interaction count. The order is sorted once per loaded model.
 */
export function popularItems(model: LoadedModel, k: number, exclude: ReadonlySet<number> = new Set()): Scored[] {
  let order = orders.get(model);
  if (!order) {
    const counts = model.popularity;
    order = Int32Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a] || a - b);
    orders.set(model, order);
  }
  const out: Scored[] = [];
  for (let r = 0; r < order.length && out.length < k; r++) {
    const j = order[r];
    if (!exclude.has(j) && !model.hidden.has(j)) out.push({ index: j, score: model.popularity[j] });
  }
  return out;
}
