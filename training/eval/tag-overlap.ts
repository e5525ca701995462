import { createRng, shuffleInPlace } from '../data/random.js';
import { tagListsOf, type TagLists } from '../data/item-tag-dataset.js';
import { insertTop } from './ranking.js';

/**
 * Tag overlap@k: how much an item's k nearest neighbours share its tags, as the mean Jaccard index
 * |A ∩ B| / |A ∪ B| of the tag sets of a query item and each of its neighbours, over a seeded sample of query items
 * (those with at least one tag). The same for k random other items per query gives the chance level: an embedding
 * that learnt nothing scores about the random figure.
 */
export interface TagOverlapOptions {
  k: number;
  /** At most this many query items (a seeded sample); all items with tags when there are fewer. */
  maxQueries: number;
  seed: number;
}

export const TAG_OVERLAP_DEFAULTS: TagOverlapOptions = { k: 10, maxQueries: 2000, seed: 7 };

/** The query items: a seeded sample of the items with tags, ascending. */
export function overlapQueries(tags: TagLists, o: Partial<TagOverlapOptions> = {}): Int32Array {
  const { maxQueries, seed } = { ...TAG_OVERLAP_DEFAULTS, ...o };
  const nItems = tags.indptr.length - 1;
  const withTags: number[] = [];
  for (let i = 0; i < nItems; i++) if (tags.indptr[i + 1] > tags.indptr[i]) withTags.push(i);
  if (withTags.length <= maxQueries) return Int32Array.from(withTags);
  return shuffleInPlace(Int32Array.from(withTags), createRng(seed)).slice(0, maxQueries).sort();
}

/** Jaccard of the tag sets of items a and b; `mark` holds a's tags stamped with `stamp`. */
function jaccardMarked(tags: TagLists, b: number, sizeA: number, mark: Int32Array, stamp: number): number {
  let inter = 0;
  const end = tags.indptr[b + 1];
  for (let k = tags.indptr[b]; k < end; k++) if (mark[tags.indices[k]] === stamp) inter++;
  const union = sizeA + (end - tags.indptr[b]) - inter;
  return union > 0 ? inter / union : 0;
}

export function jaccard(tags: TagLists, a: number, b: number, nTags: number): number {
  const mark = new Int32Array(nTags);
  for (let k = tags.indptr[a]; k < tags.indptr[a + 1]; k++) mark[tags.indices[k]] = 1;
  return jaccardMarked(tags, b, tags.indptr[a + 1] - tags.indptr[a], mark, 1);
}

/** Mean Jaccard of each query with the items `neighbours(query)` returns. */
export function meanOverlap(tags: TagLists, nTags: number, queries: Int32Array, neighbours: (i: number) => ArrayLike<number>): number {
  const mark = new Int32Array(nTags);
  let sum = 0;
  let count = 0;
  queries.forEach((q, n) => {
    const stamp = n + 1;
    for (let k = tags.indptr[q]; k < tags.indptr[q + 1]; k++) mark[tags.indices[k]] = stamp;
    const sizeA = tags.indptr[q + 1] - tags.indptr[q];
    const nb = neighbours(q);
    for (let j = 0; j < nb.length; j++) {
      sum += jaccardMarked(tags, nb[j], sizeA, mark, stamp);
      count++;
    }
  });
  return count ? sum / count : NaN;
}

/** k distinct random items other than i, seeded by the caller's stream. */
export function randomOthers(nItems: number, k: number, seed: number): (i: number) => Int32Array {
  const rng = createRng(seed);
  return (i) => {
    const want = Math.min(k, nItems - 1);
    const out = new Int32Array(want);
    const chosen = new Set<number>();
    while (chosen.size < want) {
      const j = Math.floor(rng() * nItems);
      if (j !== i && !chosen.has(j)) out[chosen.size] = j, chosen.add(j);
    }
    return out;
  };
}

/**
 * Brute-force cosine neighbours on the float vectors: the k items most similar to i, i excluded, best first
 * (ties: lower index first, as tf.topk). O(N d) per query; the quantised re-evaluation uses shared/'s similarItems.
 */
export function cosineNeighbours(vectors: Float32Array, nItems: number, dim: number, k: number): (i: number) => Int32Array {
  const unit = new Float32Array(vectors.length);
  for (let r = 0; r < nItems; r++) {
    let ss = 0;
    for (let f = 0; f < dim; f++) ss += vectors[r * dim + f] ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let f = 0; f < dim; f++) unit[r * dim + f] = vectors[r * dim + f] * inv;
  }
  const want = Math.min(k, nItems - 1);
  return (i) => {
    if (want <= 0) return new Int32Array(0);
    const bestIdx = new Int32Array(want).fill(-1);
    const bestVal = new Float64Array(want).fill(-Infinity);
    const q = i * dim;
    for (let j = 0; j < nItems; j++) {
      if (j === i) continue;
      let s = 0;
      const b = j * dim;
      for (let f = 0; f < dim; f++) s += unit[q + f] * unit[b + f];
      // A full list (unfilled slots score -Infinity) keeps the best `want`; ties keep the earlier item.
      insertTop(bestVal, bestIdx, want, s, j);
    }
    return bestIdx;
  };
}

/**
 * The non-learned baseline: the k items whose known tag sets (`known`, e.g. the training pairs) have the highest
 * Jaccard with i's, ties in a seeded random order; items sharing no tag fill up at random. With every pair known this
 * is the best any neighbour list can score on most items, so it bounds what an embedding can reach.
 */
export function jaccardNeighbours(known: TagLists, nTags: number, k: number, seed: number): (i: number) => Int32Array {
  const nItems = known.indptr.length - 1;
  const postings = tagListsOf(nTags, known.indices, itemOfEachPair(known));
  const rng = createRng(seed);
  const jitter = Float64Array.from({ length: nItems }, () => rng());
  const inter = new Int32Array(nItems);
  const random = randomOthers(nItems, k, seed + 1);
  return (i) => {
    const touched: number[] = [];
    for (let a = known.indptr[i]; a < known.indptr[i + 1]; a++) {
      const t = known.indices[a];
      for (let b = postings.indptr[t]; b < postings.indptr[t + 1]; b++) {
        const j = postings.indices[b];
        if (j === i) continue;
        if (inter[j]++ === 0) touched.push(j);
      }
    }
    const sizeI = known.indptr[i + 1] - known.indptr[i];
    const score = (j: number) => inter[j] / (sizeI + known.indptr[j + 1] - known.indptr[j] - inter[j]);
    const ranked = touched.map((j) => [score(j), jitter[j], j] as const).sort((x, y) => y[0] - x[0] || y[1] - x[1]);
    for (const j of touched) inter[j] = 0;
    const out = ranked.slice(0, k).map((x) => x[2]);
    const have = new Set(out);
    const want = Math.min(k, nItems - 1);
    while (out.length < want) {
      for (const j of random(i)) if (out.length < want && !have.has(j)) out.push(j), have.add(j);
    }
    return Int32Array.from(out);
  };
}

function itemOfEachPair(lists: TagLists): Int32Array {
  const out = new Int32Array(lists.indices.length);
  for (let i = 0; i + 1 < lists.indptr.length; i++) out.fill(i, lists.indptr[i], lists.indptr[i + 1]);
  return out;
}

/**
 * tag_overlap_at_<k> of `neighbours` and tag_overlap_at_<k>_random, over the same queries. `neighbours(i)` returns
 * the k nearest items of i (itself excluded).
 */
export function tagOverlap(
  tags: TagLists,
  nTags: number,
  neighbours: (i: number) => ArrayLike<number>,
  o: Partial<TagOverlapOptions> = {},
): Record<string, number> {
  const opts = { ...TAG_OVERLAP_DEFAULTS, ...o };
  const queries = overlapQueries(tags, opts);
  const nItems = tags.indptr.length - 1;
  return {
    [`tag_overlap_at_${opts.k}`]: meanOverlap(tags, nTags, queries, neighbours),
    [`tag_overlap_at_${opts.k}_random`]: meanOverlap(tags, nTags, queries, randomOthers(nItems, opts.k, opts.seed + 1)),
  };
}
