import type { LoadedModel } from '../shared/model/loaded.js';
import type { Scored } from '../shared/model/queries.js';

/** An item as answers show it: original id, title, tags when the model has them. */
export function itemView(model: LoadedModel, index: number) {
  const m = model.itemMeta[index];
  return m.tags?.length ? { id: m.id, title: m.title, tags: m.tags } : { id: m.id, title: m.title };
}

export function resultsView(model: LoadedModel, scored: Scored[]) {
  return scored.map((s) => ({ ...itemView(model, s.index), score: round(s.score) }));
}

/** Scores to 6 decimals: float32 carries about 7 significant digits, the rest is noise in the JSON. */
export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
