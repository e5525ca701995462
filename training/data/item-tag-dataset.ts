import { IdIndex } from './common.js';
import type { PairSet } from './pair-set.js';
import { createRng, shuffleInPlace } from './random.js';
import type { ItemTagDataset } from './types.js';

/**
 * Collects items with their tags in source order and builds an ItemTagDataset. Tags are indexed in first-seen order
 * (as notebook 000 does); a tag listed twice for one item counts once.
 */
export class ItemTagBuilder {
  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly titles: string[] = [];
  private readonly tagIndex = new IdIndex();
  private readonly pairItem: number[] = [];
  private readonly pairTag: number[] = [];
  private readonly props = new Map<string, number[]>();

  /** Index of an item added before, or undefined. */
  indexOf(id: string): number | undefined {
    return this.index.get(id);
  }

  /** Adds a new item (the caller turns a repeated id into a DataError naming the line). Returns its index. */
  add(id: string, title: string, tags: readonly string[], properties?: Record<string, number>): number {
    if (this.index.has(id)) throw new Error(`item ${JSON.stringify(id)} was added twice`);
    const i = this.ids.push(id) - 1;
    this.index.set(id, i);
    this.titles.push(title);
    const mine = new Set<number>();
    for (const t of tags) {
      const k = this.tagIndex.intern(t);
      if (mine.has(k)) continue;
      mine.add(k);
      this.pairItem.push(i);
      this.pairTag.push(k);
    }
    if (properties) {
      for (const [name, value] of Object.entries(properties)) {
        let col = this.props.get(name);
        if (!col) this.props.set(name, (col = []));
        col[i] = value;
      }
    }
    return i;
  }

  /** Adds a tag to an item already added (pair-per-line formats); a repeated pair is ignored. */
  addPair(item: number, tag: string, seenPairs: PairSet): void {
    const k = this.tagIndex.intern(tag);
    // 2^26 tags x 2^27 items stays below 2^53: the key is exact.
    const key = item * 67_108_864 + k;
    if (seenPairs.has(key)) return;
    seenPairs.add(key);
    this.pairItem.push(item);
    this.pairTag.push(k);
  }

  get size(): number {
    return this.ids.length;
  }

  build(name: string, fingerprint: string): ItemTagDataset {
    const n = this.ids.length;
    // Pair-per-line formats may list an item's tags apart: a stable sort by item groups them, keeping source order.
    const order = Array.from(this.pairItem.keys()).sort((a, b) => this.pairItem[a] - this.pairItem[b] || a - b);
    const properties: Record<string, Float64Array> = {};
    for (const [key, col] of this.props) {
      const out = new Float64Array(n).fill(NaN);
      for (let i = 0; i < n; i++) if (col[i] !== undefined) out[i] = col[i];
      properties[key] = out;
    }
    return {
      name,
      itemIds: this.ids,
      itemTitles: this.titles,
      tags: this.tagIndex.ids,
      pairs: { item: Int32Array.from(order, (p) => this.pairItem[p]), tag: Int32Array.from(order, (p) => this.pairTag[p]) },
      properties,
      fingerprint,
    };
  }
}

/** Tag indices of every item (CSR): item i has tags indices[indptr[i] .. indptr[i+1]). */
export interface TagLists {
  indptr: Int32Array;
  indices: Int32Array;
}

export function tagListsOf(nItems: number, item: Int32Array, tag: Int32Array): TagLists {
  const indptr = new Int32Array(nItems + 1);
  for (let p = 0; p < item.length; p++) indptr[item[p] + 1]++;
  for (let i = 0; i < nItems; i++) indptr[i + 1] += indptr[i];
  const fill = indptr.slice(0, nItems);
  const indices = new Int32Array(item.length);
  for (let p = 0; p < item.length; p++) indices[fill[item[p]]++] = tag[p];
  return { indptr, indices };
}

export function tagNamesOf(ds: ItemTagDataset): string[][] {
  const { indptr, indices } = tagListsOf(ds.itemIds.length, ds.pairs.item, ds.pairs.tag);
  return ds.itemIds.map((_, i) => Array.from(indices.subarray(indptr[i], indptr[i + 1]), (t) => ds.tags[t]));
}

/**
 * Keeps tags seen on at least `minCount` items (notebook 003 keeps links seen 3+ times), then drops items left
 * without tags: they carry no signal for the model and would sit at random positions among the neighbours.
 * Indices are renumbered in the original order.
 */
export function filterTags(ds: ItemTagDataset, minCount: number): { dataset: ItemTagDataset; droppedTags: number; droppedItems: number } {
  const counts = new Int32Array(ds.tags.length);
  for (const t of ds.pairs.tag) counts[t]++;
  const tagMap = new Int32Array(ds.tags.length).fill(-1);
  const tags: string[] = [];
  for (let t = 0; t < ds.tags.length; t++) if (counts[t] >= minCount) tagMap[t] = tags.push(ds.tags[t]) - 1;
  const hasTag = new Uint8Array(ds.itemIds.length);
  for (let p = 0; p < ds.pairs.item.length; p++) if (tagMap[ds.pairs.tag[p]] >= 0) hasTag[ds.pairs.item[p]] = 1;
  const itemMap = new Int32Array(ds.itemIds.length).fill(-1);
  const keep: number[] = [];
  for (let i = 0; i < ds.itemIds.length; i++) if (hasTag[i]) itemMap[i] = keep.push(i) - 1;
  if (keep.length === ds.itemIds.length && tags.length === ds.tags.length) return { dataset: ds, droppedTags: 0, droppedItems: 0 };

  const item: number[] = [];
  const tag: number[] = [];
  for (let p = 0; p < ds.pairs.item.length; p++) {
    const t = tagMap[ds.pairs.tag[p]];
    if (t < 0) continue;
    item.push(itemMap[ds.pairs.item[p]]);
    tag.push(t);
  }
  const properties = Object.fromEntries(
    Object.entries(ds.properties).map(([k, col]) => [k, Float64Array.from(keep, (i) => col[i])]),
  );
  return {
    dataset: {
      ...ds,
      itemIds: keep.map((i) => ds.itemIds[i]),
      itemTitles: keep.map((i) => ds.itemTitles[i]),
      tags,
      pairs: { item: Int32Array.from(item), tag: Int32Array.from(tag) },
      properties,
    },
    droppedTags: ds.tags.length - tags.length,
    droppedItems: ds.itemIds.length - keep.length,
  };
}

/** Pair indices (into ds.pairs) of a train/held-out split. */
export interface PairSplit {
  name: string;
  train: Int32Array;
  test: Int32Array;
}

/**
 * Holds out about `testFraction` of the (item, tag) pairs, seeded, but never an item's or a tag's last training
 * pair: an item without training pairs would keep its random initial vector and sit among everyone's neighbours.
 * Both index arrays are sorted ascending.
 */
export function splitPairs(nItems: number, nTags: number, item: Int32Array, tag: Int32Array, testFraction: number, seed: number, name: string): PairSplit {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const n = item.length;
  const order = shuffleInPlace(Int32Array.from({ length: n }, (_, p) => p), createRng(seed));
  const itemLeft = new Int32Array(nItems);
  const tagLeft = new Int32Array(nTags);
  for (let p = 0; p < n; p++) {
    itemLeft[item[p]]++;
    tagLeft[tag[p]]++;
  }
  const isTest = new Uint8Array(n);
  const want = Math.round(n * testFraction);
  let taken = 0;
  for (let k = 0; k < n && taken < want; k++) {
    const p = order[k];
    if (itemLeft[item[p]] <= 1 || tagLeft[tag[p]] <= 1) continue;
    itemLeft[item[p]]--;
    tagLeft[tag[p]]--;
    isTest[p] = 1;
    taken++;
  }
  const train = new Int32Array(n - taken);
  const test = new Int32Array(taken);
  for (let p = 0, a = 0, b = 0; p < n; p++) {
    if (isTest[p]) test[b++] = p;
    else train[a++] = p;
  }
  return { name, train, test };
}
