// The catalogue blocks of a version-2 artifact: item ids, titles and tags, user ids and the seen lists, stored in
// tensors.bin as int32 / uint8 tensors (so the checksum covers them and nothing is parsed as JSON at load). Only the
// tag vocabularies stay in items.json. Written by packArtifact (training/export/artifact-files.ts writes through it),
// read by decodeArtifact.
import { ArtifactError } from '../errors.js';
import type { ItemMeta, ItemsFile } from './schema.js';
import { compareBytes, encodeStrings, isWellFormed, sortedOrder, StringTable } from './strings.js';

/** Names of the catalogue tensors in tensors.bin. */
export const CATALOG_TENSORS = {
  itemIds: 'catalog.item_ids',
  itemIdOffsets: 'catalog.item_ids.offsets',
  itemIdOrder: 'catalog.item_ids.order',
  titles: 'catalog.titles',
  titleOffsets: 'catalog.titles.offsets',
  itemTagIndptr: 'catalog.item_tags.indptr',
  itemTagIndices: 'catalog.item_tags.indices',
  userIds: 'catalog.user_ids',
  userIdOffsets: 'catalog.user_ids.offsets',
  userIdOrder: 'catalog.user_ids.order',
  seenIndptr: 'seen.indptr',
  seenIndices: 'seen.indices',
} as const;

/** items.json of a version-2 artifact: the small vocabularies only. */
export interface ItemsJson {
  /** Distinct item tags (genres); catalog.item_tags.indices index it. */
  itemTags: string[];
  /** Tag vocabulary of tag embeddings (tag_factors rows), when the model has them. */
  tags?: string[];
}

export interface Catalog {
  itemIds: StringTable;
  titles: StringTable;
  /** Tag indices are int32 as stored; a loaded model keeps them in the narrowest type the vocabulary needs. */
  itemTags: { indptr: Int32Array; indices: Int32Array | Uint16Array | Uint8Array; vocabulary: string[] };
  userIds: StringTable;
  seenIndptr: Int32Array;
  seenIndices: Int32Array;
  tags?: string[];
}

export interface CatalogBlock {
  name: string;
  dtype: 'i32' | 'u8';
  data: Int32Array | Uint8Array;
}

/** An item as answers show it (decoded now: one id, one title, its tags). */
export function itemMeta(c: Catalog, i: number): ItemMeta {
  const { indptr, indices, vocabulary } = c.itemTags;
  const id = c.itemIds.get(i);
  const title = c.titles.get(i);
  if (indptr[i] === indptr[i + 1]) return { id, title };
  return { id, title, tags: Array.from(indices.subarray(indptr[i], indptr[i + 1]), (t) => vocabulary[t]) };
}

/** The catalogue as the plain ItemsFile training builds (every string materialised: for Node tools and tests). */
export function toItemsFile(c: Catalog): ItemsFile {
  return {
    items: Array.from({ length: c.itemIds.size }, (_, i) => itemMeta(c, i)),
    users: c.userIds.all(),
    seen: { indptr: Array.from(c.seenIndptr), indices: Array.from(c.seenIndices) },
    ...(c.tags ? { tags: c.tags } : {}),
  };
}

/**
 * Copies every block out of the buffer it was decoded from (so that a loaded model does not keep tensors.bin alive),
 * packed for residency: string spans as lengths from 100k strings (StringTable.owned), tag indices as uint8/uint16 when the
 * vocabulary allows (at 1M items of short titles and a genre or two, ~9 MB less than the stored int32 blocks).
 */
export function ownCatalog(c: Catalog): Catalog {
  const { indptr, indices, vocabulary } = c.itemTags;
  // Typed-array constructors convert natively (TypedArray.from iterates in JS).
  const narrow = vocabulary.length <= 256 ? new Uint8Array(indices) : vocabulary.length <= 65536 ? new Uint16Array(indices) : indices.slice();
  return {
    itemIds: c.itemIds.owned(),
    titles: c.titles.owned(),
    itemTags: { indptr: indptr.slice(), indices: narrow, vocabulary },
    userIds: c.userIds.owned(),
    seenIndptr: c.seenIndptr.slice(),
    seenIndices: c.seenIndices.slice(),
    ...(c.tags ? { tags: c.tags } : {}),
  };
}

/** Bytes the catalogue's blocks hold. */
export function catalogBytes(c: Catalog): number {
  const { indptr, indices } = c.itemTags;
  return c.itemIds.byteLength + c.titles.byteLength + c.userIds.byteLength + indptr.byteLength + indices.byteLength + c.seenIndptr.byteLength + c.seenIndices.byteLength;
}

/**
 * The blocks of `items` for tensors.bin, and items.json. Refuses what the decoder's full check would refuse
 * (duplicate or empty ids, seen indices out of range), naming it.
 */
export function encodeCatalog(items: ItemsFile): { blocks: CatalogBlock[]; json: ItemsJson } {
  const n = items.items.length;
  // Strings are stored as UTF-8: one with a lone surrogate would come back changed (as U+FFFD).
  for (const [kind, list] of [['item id', items.items.map((m) => m.id)], ['title', items.items.map((m) => m.title)], ['user id', items.users]] as const) {
    list.forEach((s, i) => {
      if (typeof s !== 'string') throw new ArtifactError(`${kind} at index ${i} is ${JSON.stringify(s)}, not a string`);
      if (!isWellFormed(s)) throw new ArtifactError(`${kind} at index ${i} (${JSON.stringify(s)}) has a lone UTF-16 surrogate: it cannot be stored as UTF-8 unchanged`);
    });
  }
  const ids = encodeStrings(items.items.map((m) => m.id));
  const titles = encodeStrings(items.items.map((m) => m.title));
  const users = encodeStrings(items.users);
  const itemOrder = sortedOrder(ids.bytes, ids.offsets);
  const userOrder = sortedOrder(users.bytes, users.offsets);
  checkIdTable('item', new StringTable(ids.bytes, ids.offsets, itemOrder));
  checkIdTable('user', new StringTable(users.bytes, users.offsets, userOrder));
  const vocabulary = [...new Set(items.items.flatMap((m) => m.tags ?? []))].sort();
  const tagIndex = new Map(vocabulary.map((t, i) => [t, i]));
  const tagIndptr = new Int32Array(n + 1);
  const tagIndices: number[] = [];
  items.items.forEach((m, i) => {
    for (const t of m.tags ?? []) tagIndices.push(tagIndex.get(t)!);
    tagIndptr[i + 1] = tagIndices.length;
  });
  // A catalogue without users may leave its seen lists empty.
  const seenIndptr = items.users.length === 0 && !items.seen?.indptr.length ? new Int32Array(1) : Int32Array.from(items.seen.indptr);
  const seenIndices = Int32Array.from(items.seen?.indices ?? []);
  checkSeen(seenIndptr, seenIndices, items.users.length, n);
  const T = CATALOG_TENSORS;
  const blocks: CatalogBlock[] = [
    { name: T.itemIds, dtype: 'u8', data: ids.bytes },
    { name: T.itemIdOffsets, dtype: 'i32', data: ids.offsets },
    { name: T.itemIdOrder, dtype: 'i32', data: itemOrder },
    { name: T.titles, dtype: 'u8', data: titles.bytes },
    { name: T.titleOffsets, dtype: 'i32', data: titles.offsets },
    { name: T.itemTagIndptr, dtype: 'i32', data: tagIndptr },
    { name: T.itemTagIndices, dtype: 'i32', data: Int32Array.from(tagIndices) },
    { name: T.userIds, dtype: 'u8', data: users.bytes },
    { name: T.userIdOffsets, dtype: 'i32', data: users.offsets },
    { name: T.userIdOrder, dtype: 'i32', data: userOrder },
    { name: T.seenIndptr, dtype: 'i32', data: seenIndptr },
    { name: T.seenIndices, dtype: 'i32', data: seenIndices },
  ];
  return { blocks, json: { itemTags: vocabulary, ...(items.tags ? { tags: items.tags } : {}) } };
}

type Blocks = (name: string, dtype: 'i32' | 'u8', length?: number) => Int32Array | Uint8Array;

/**
 * The catalogue from its blocks. Always checked (O(1) each): every block is present with the length the counts
 * imply, and each blob is as long as its offsets say. With `full` (publish, Node tools) also everything the checksum
 * then vouches for: offsets ascending, UTF-8 well formed, ids non-empty and unique (the lookup order is a sorted
 * permutation), seen and tag indices in range.
 */
export function decodeCatalog(get: Blocks, json: ItemsJson, counts: { users: number; items: number }, full: boolean): Catalog {
  const T = CATALOG_TENSORS;
  const { items: n, users: nU } = counts;
  const i32 = (name: string, length?: number) => get(name, 'i32', length) as Int32Array;
  const table = (kind: string, bytesName: string, offsetsName: string, orderName: string | undefined, count: number) => {
    const offsets = i32(offsetsName, count + 1);
    const bytes = get(bytesName, 'u8') as Uint8Array;
    if (offsets[0] !== 0 || offsets[count] !== bytes.length) {
      throw new ArtifactError(`tensor ${offsetsName} runs ${offsets[0]}..${offsets[count]}, but ${bytesName} holds ${bytes.length} bytes`);
    }
    const t = new StringTable(bytes, offsets, orderName ? i32(orderName, count) : undefined);
    if (full) checkStrings(kind, t, offsetsName);
    return t;
  };
  if (!json || typeof json !== 'object' || !Array.isArray(json.itemTags) || json.itemTags.some((t) => typeof t !== 'string')) {
    throw new ArtifactError('items.json lacks its itemTags list (the item tag vocabulary)');
  }
  if (json.tags !== undefined && !(Array.isArray(json.tags) && json.tags.every((t) => typeof t === 'string' && t.length > 0))) {
    throw new ArtifactError('items.json tags is not a list of non-empty strings');
  }
  const itemIds = table('item', T.itemIds, T.itemIdOffsets, T.itemIdOrder, n);
  const titles = table('title', T.titles, T.titleOffsets, undefined, n);
  const userIds = table('user', T.userIds, T.userIdOffsets, T.userIdOrder, nU);
  const tagIndptr = i32(T.itemTagIndptr, n + 1);
  const tagIndices = i32(T.itemTagIndices);
  if (tagIndptr[0] !== 0 || tagIndptr[n] !== tagIndices.length) {
    throw new ArtifactError(`tensor ${T.itemTagIndptr} ends at ${tagIndptr[n]} but ${T.itemTagIndices} has ${tagIndices.length} entries`);
  }
  const seenIndptr = i32(T.seenIndptr, nU + 1);
  const seenIndices = i32(T.seenIndices);
  if (seenIndptr[0] !== 0 || seenIndptr[nU] !== seenIndices.length) {
    throw new ArtifactError(`tensor ${T.seenIndptr} ends at ${seenIndptr[nU]} but ${T.seenIndices} has ${seenIndices.length} entries`);
  }
  if (full) {
    checkIdTable('item', itemIds);
    checkIdTable('user', userIds);
    if (json.tags) checkIdTable('tag', StringTable.from(json.tags));
    checkAscending(tagIndptr, T.itemTagIndptr);
    for (const t of tagIndices) if (t < 0 || t >= json.itemTags.length) throw new ArtifactError(`tensor ${T.itemTagIndices} holds ${t}, outside the ${json.itemTags.length} item tags of items.json`);
    checkSeen(seenIndptr, seenIndices, nU, n);
  }
  return { itemIds, titles, itemTags: { indptr: tagIndptr, indices: tagIndices, vocabulary: json.itemTags }, userIds, seenIndptr, seenIndices, ...(json.tags ? { tags: json.tags } : {}) };
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function checkAscending(a: Int32Array, name: string): void {
  for (let i = 1; i < a.length; i++) if (a[i] < a[i - 1]) throw new ArtifactError(`tensor ${name} decreases at index ${i} (${a[i - 1]} then ${a[i]})`);
}

function checkStrings(kind: string, t: StringTable, offsetsName: string): void {
  checkAscending(t.offsets, offsetsName);
  for (let i = 0; i < t.size; i++) {
    try {
      strict.decode(t.bytes.subarray(t.offsets[i], t.offsets[i + 1]));
    } catch {
      throw new ArtifactError(`${kind} at index ${i} is not well-formed UTF-8`);
    }
  }
}

/** Ids are non-empty, each once (a duplicate would make lookups answer for the wrong row); `order` sorts them. */
function checkIdTable(kind: string, t: StringTable): void {
  const { bytes, offsets } = t;
  const order = t.order!;
  const n = t.size;
  if (order.length !== n) throw new ArtifactError(`the ${kind} id lookup order has ${order.length} entries for ${n} ids`);
  const placed = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (i < 0 || i >= n || placed[i]) throw new ArtifactError(`the ${kind} id lookup order is not a permutation of 0..${n - 1} (entry ${r} is ${i})`);
    placed[i] = 1;
    if (offsets[i] === offsets[i + 1]) throw new ArtifactError(`${kind} id at index ${i} is "", not a non-empty string`);
    if (r > 0) {
      const p = order[r - 1];
      const c = compareBytes(bytes, offsets[p], offsets[p + 1], bytes, offsets[i], offsets[i + 1]);
      if (c === 0) throw new ArtifactError(`the artifact lists ${kind} id ${JSON.stringify(t.get(i))} twice (at indices ${Math.min(p, i)} and ${Math.max(p, i)})`);
      if (c > 0) throw new ArtifactError(`the ${kind} id lookup order is not sorted at entry ${r}`);
    }
  }
}

function checkSeen(indptr: Int32Array, indices: Int32Array, users: number, items: number): void {
  if (indptr.length !== users + 1) throw new ArtifactError(`seen.indptr has ${indptr.length} entries, expected users + 1 = ${users + 1}`);
  if (indptr[users] !== indices.length) throw new ArtifactError(`seen.indptr ends at ${indptr[users]} but seen.indices has ${indices.length}`);
  checkAscending(indptr, 'seen.indptr');
  for (const i of indices) if (i < 0 || i >= items) throw new ArtifactError(`seen.indices holds ${i}, outside 0..${items - 1}`);
}

/** The catalogue of an in-memory ItemsFile (tools and tests that build a DecodedArtifact without bytes). */
export function catalogFromItems(items: ItemsFile): Catalog {
  const { blocks, json } = encodeCatalog(items);
  const byName = new Map(blocks.map((b) => [b.name, b.data]));
  return decodeCatalog((name) => byName.get(name)!, json, { users: items.users.length, items: items.items.length }, false);
}
