import type { ItemView, RecommendationView, ResultView } from '../shared/api/answers.js';
import type { LoadedModel } from '../shared/model/loaded.js';
import type { Reason } from '../shared/model/explain.js';
import type { Scored } from '../shared/model/queries.js';

/**
 * An item as answers show it: original id, title, tags when the model has them. Read through model.item, which
 * decodes just this item from the catalogue blocks (an answer decodes its k results, never the catalogue).
 */
export function itemView(model: LoadedModel, index: number): ItemView {
  const m = model.item(index);
  return m.tags?.length ? { id: m.id, title: m.title, tags: m.tags } : { id: m.id, title: m.title };
}

export function resultsView(model: LoadedModel, scored: Scored[]): ResultView[] {
  return scored.map((s) => ({ ...itemView(model, s.index), score: round(s.score) }));
}

/** Scores to 6 decimals: float32 carries about 7 significant digits, the rest is noise in the JSON. */
export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** What a recommendation answer adds to an item beyond its score. */
export interface RecommendationExtras {
  /** Predicted ratings, aligned with the results (rating kinds): exactly what the rating route says for each pair. */
  ratings?: ArrayLike<number>;
  /** Supporting items per result (`?explain=true`). */
  because?: Reason[][];
}

export function recommendationsView(model: LoadedModel, scored: Scored[], extras: RecommendationExtras = {}): RecommendationView[] {
  return scored.map((s, n) => ({
    ...itemView(model, s.index),
    score: round(s.score),
    ...(extras.ratings ? { rating: round(extras.ratings[n]) } : {}),
    ...(extras.because
      ? { because: extras.because[n].map((r) => {
          const m = model.item(r.index);
          return { id: m.id, title: m.title, similarity: round(r.similarity) };
        }) }
      : {}),
  }));
}

/** Echoes the filters applied (only when there are any, so unfiltered answers keep their shape). */
export function filterView(f: { tags: string[]; exclude: string[] }) {
  return f.tags.length || f.exclude.length ? { filter: { tags: f.tags, exclude: f.exclude } } : {};
}
