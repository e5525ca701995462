import type { RatingsDataset } from '../data/types.js';

/**
 * Item metadata features for the hybrid models (notebook 004's "item_meta"): numeric columns through a quantile
 * transform, plus tags (MovieLens genres) as multi-hot. For MovieLens the numeric columns are the item's popularity
 * (its number of ratings) and its release year (from the title's "(1995)").
 *
 * Popularity is counted on the training rows only: counting test ratings too (as 004 does before its split) would
 * leak which pairs are in the test set.
 */
export interface ItemFeatures {
  /** [items, width], row-major. */
  data: Float32Array;
  width: number;
  names: string[];
}

/** Tags beyond this many (by frequency) are dropped; MovieLens has 19 genres, Steam-style data has hundreds. */
const MAX_TAGS = 64;

export function buildItemFeatures(ds: RatingsDataset, trainRows: Int32Array): ItemFeatures {
  const nItems = ds.itemIds.length;
  const popularity = new Float64Array(nItems);
  for (const r of trainRows) popularity[ds.ratings.item[r]]++;
  const year = Float64Array.from(ds.itemMeta, (m) => releaseYear(m.title));
  const numeric: { name: string; values: Float64Array }[] = [{ name: 'popularity', values: popularity }];
  if (year.some((y) => Number.isFinite(y))) numeric.push({ name: 'release_year', values: year });

  const tagCount = new Map<string, number>();
  for (const m of ds.itemMeta) for (const t of m.tags) tagCount.set(t, (tagCount.get(t) ?? 0) + 1);
  const tags = [...tagCount.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_TAGS)
    .map(([t]) => t)
    .sort();
  const tagIndex = new Map(tags.map((t, k) => [t, k]));

  const width = numeric.length + tags.length;
  const data = new Float32Array(nItems * width);
  numeric.forEach((col, c) => {
    // Fitted on the training rows, as 004 fits its QuantileTransformer on the train frame: a column's quantiles
    // weigh each item by how often it is rated.
    const sample = Float64Array.from(trainRows, (r) => col.values[ds.ratings.item[r]]).filter((v) => Number.isFinite(v));
    const q = fitQuantiles(sample.length ? sample : Float64Array.of(0));
    const median = interp(0.5, q.references, q.quantiles);
    for (let i = 0; i < nItems; i++) {
      const v = col.values[i];
      // A missing year (ml-100k's "unknown" item) takes the median.
      data[i * width + c] = quantileTransform(Number.isFinite(v) ? v : median, q);
    }
  });
  ds.itemMeta.forEach((m, i) => {
    for (const t of m.tags) {
      const k = tagIndex.get(t);
      if (k !== undefined) data[i * width + numeric.length + k] = 1;
    }
  });
  return { data, width, names: [...numeric.map((c) => c.name), ...tags.map((t) => `tag:${t}`)] };
}

/** The year in a MovieLens-style title, "Toy Story (1995)"; NaN when there is none. */
export function releaseYear(title: string): number {
  const m = /\((\d{4})\)\s*$/.exec(title);
  return m ? Number(m[1]) : NaN;
}

export interface Quantiles {
  quantiles: Float64Array;
  references: Float64Array;
  /** Both negated and reversed, for the backward interpolation. */
  negQuantiles: Float64Array;
  negReferences: Float64Array;
}

/** scikit-learn's QuantileTransformer fit: min(1000, n) evenly spaced percentiles (linear interpolation). */
export function fitQuantiles(sample: Float64Array, nQuantiles = 1000): Quantiles {
  const sorted = Float64Array.from(sample).sort();
  const n = Math.min(nQuantiles, sorted.length);
  const references = new Float64Array(n);
  const quantiles = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    references[k] = n === 1 ? 0 : k / (n - 1);
    const pos = references[k] * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(sorted.length - 1, lo + 1);
    quantiles[k] = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
  const negQuantiles = Float64Array.from(quantiles, (_, k) => -quantiles[n - 1 - k]);
  const negReferences = Float64Array.from(references, (_, k) => -references[n - 1 - k]);
  return { quantiles, references, negQuantiles, negReferences };
}

/**
 * scikit-learn's uniform-output transform: the mean of interpolating forwards and backwards, so that a value
 * repeated across many quantiles (a popularity of 1) maps to the middle of its run rather than an end.
 */
export function quantileTransform(x: number, q: Quantiles): number {
  const { quantiles, references } = q;
  const n = quantiles.length;
  if (x <= quantiles[0]) return 0;
  if (x >= quantiles[n - 1]) return 1;
  return 0.5 * (interp(x, quantiles, references) - interp(-x, q.negQuantiles, q.negReferences));
}

/** numpy.interp: xs ascending; y at x by linear interpolation (the first matching segment from the left). */
function interp(x: number, xs: Float64Array, ys: Float64Array): number {
  const n = xs.length;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0;
  let hi = n - 1;
  // Largest lo with xs[lo] <= x.
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  const span = xs[lo + 1] - xs[lo];
  return span > 0 ? ys[lo] + ((x - xs[lo]) / span) * (ys[lo + 1] - ys[lo]) : ys[lo];
}
