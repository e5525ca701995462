import { ItemTagBuilder } from './item-tag-dataset.js';
import type { ItemTagDataset, RatingsDataset } from './types.js';

/**
 * Per-item properties of a ratings dataset, for the embedding probe: mean_rating, log_ratings (log10 of 1 + the
 * number of ratings) and release_year (from a MovieLens title ending in "(1995)"); NaN where unknown.
 */
export function ratingItemProperties(ds: RatingsDataset): Record<string, Float64Array> {
  const n = ds.itemIds.length;
  const sum = new Float64Array(n);
  const count = new Float64Array(n);
  const { item, rating } = ds.ratings;
  for (let r = 0; r < rating.length; r++) {
    sum[item[r]] += rating[r];
    count[item[r]]++;
  }
  return {
    mean_rating: sum.map((s, i) => (count[i] > 0 ? s / count[i] : NaN)),
    log_ratings: count.map((c) => Math.log10(1 + c)),
    release_year: Float64Array.from(ds.itemMeta, (m) => {
      const y = /\((\d{4})(?:[-–]\d{0,4})?\)\s*$/.exec(m.title);
      return y ? Number(y[1]) : NaN;
    }),
  };
}

/** A ratings dataset seen as items with tags (MovieLens genres), its rating-derived properties attached. */
export function itemTagsFromRatings(ds: RatingsDataset): ItemTagDataset {
  const builder = new ItemTagBuilder();
  ds.itemIds.forEach((id, i) => builder.add(id, ds.itemMeta[i].title, ds.itemMeta[i].tags));
  return { ...builder.build(ds.name, ds.fingerprint), properties: ratingItemProperties(ds) };
}
