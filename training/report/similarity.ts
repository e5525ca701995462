import type { ItemMeta } from '../../shared/artifact/schema.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { createRng, randomInt } from '../data/random.js';

/** Training ratings per item, from the artifact's per-user seen lists (the artifact carries no other counts). */
export function trainCounts(seenIndices: ArrayLike<number>, nItems: number): Int32Array {
  const counts = new Int32Array(nItems);
  for (let k = 0; k < seenIndices.length; k++) counts[seenIndices[k]]++;
  return counts;
}

/** Indices of the `k` most-rated items, most first; ties by index so that the choice is reproducible. */
export function mostRated(counts: Int32Array, k: number): number[] {
  const order = Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a] || a - b);
  return order.slice(0, Math.min(k, order.length));
}

/**
 * The README's examples look at Star Wars (50), Toy Story (1) and The Silence of the Lambs (98) in ml-100k; other
 * data gets its most-rated items (the newer MovieLens sets number their movies differently: 50 is another film).
 */
const ML100K_FAMOUS = ['50', '1', '98'];

export function showcaseItems(model: LoadedModel, datasetName: string, counts: Int32Array, k = 3): number[] {
  if (datasetName === 'ml-100k' && ML100K_FAMOUS.every((id) => model.items.has(id))) {
    return ML100K_FAMOUS.map((id) => model.items.indexOf(id, model.name));
  }
  return mostRated(counts, k);
}

export interface SimilarTable {
  item: ItemMeta;
  ratings: number;
  rows: { item: ItemMeta; score: number; ratings: number }[];
}

/** The Worker's own similar-items query (shared/, on the loaded tensors), so the tables show what is served. */
export function similarTables(model: LoadedModel, items: number[], counts: Int32Array, k = 10): SimilarTable[] {
  return items.map((i) => ({
    item: model.itemMeta[i],
    ratings: counts[i],
    rows: similarItems(model, i, k).map((s) => ({ item: model.itemMeta[s.index], score: s.score, ratings: counts[s.index] })),
  }));
}

/** Cosines of `pairs` random pairs of distinct items (seeded): the background a similar-items score stands out from. */
export function randomPairCosines(unit: Float32Array, n: number, dim: number, pairs: number, seed: number): Float32Array {
  const out = new Float32Array(n < 2 ? 0 : pairs);
  const rng = createRng(seed);
  for (let p = 0; p < out.length; p++) {
    const a = randomInt(rng, n);
    let b = randomInt(rng, n - 1);
    if (b >= a) b++;
    out[p] = dot(unit, a, b, dim);
  }
  return out;
}

/** Each listed item's best cosine to any other item: what the top of a similar-items answer scores. */
export function nearestCosines(unit: Float32Array, n: number, dim: number, rows: number[]): Float32Array {
  return Float32Array.from(rows, (a) => {
    let best = -Infinity;
    for (let b = 0; b < n; b++) if (b !== a) best = Math.max(best, dot(unit, a, b, dim));
    return best;
  });
}

function dot(unit: Float32Array, a: number, b: number, dim: number): number {
  let s = 0;
  for (let c = 0, ia = a * dim, ib = b * dim; c < dim; c++) s += unit[ia + c] * unit[ib + c];
  return s;
}
