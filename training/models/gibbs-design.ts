import type { RatingsDataset } from '../data/types.js';

/**
 * One side (users or items) of a two-sided factorisation machine: every entity is a sparse row of features, each
 * feature has a bias weight and a factor vector, and the entity's bias and vector are the value-weighted sums of
 * its features'. Interactions between the sides only, so the model is mu + b_u + b_i + p_u . q_i: served as mf.
 * Kept in both orientations (by entity and by feature) for the Gibbs sampler's column updates.
 */
export interface SideDesign {
  /** Entities (users or items). */
  n: number;
  nFeatures: number;
  /** Group names (each has its own prior); `group[j]` indexes them. */
  groups: string[];
  group: Int32Array;
  eStart: Int32Array;
  eFeat: Int32Array;
  eVal: Float64Array;
  fStart: Int32Array;
  fEnt: Int32Array;
  fVal: Float64Array;
}

/** Optional feature groups beside the id: items a user rated (SVD++), users who rated an item, item tags (genres). */
export interface DesignFeatures {
  items: boolean;
  raters: boolean;
  tags: boolean;
}

/** A feature group: `count` features, and per entity its (feature, value) pairs within the group. */
interface Group {
  name: string;
  count: number;
  entries(entity: number): [number, number][];
}

export function buildSide(n: number, groups: Group[]): SideDesign {
  const offsets = groups.map((_, g) => groups.slice(0, g).reduce((s, x) => s + x.count, 0));
  const nFeatures = groups.reduce((s, x) => s + x.count, 0);
  const group = new Int32Array(nFeatures);
  groups.forEach((g, k) => group.fill(k, offsets[k], offsets[k] + g.count));
  const eStart = new Int32Array(n + 1);
  const feats: number[] = [];
  const vals: number[] = [];
  for (let e = 0; e < n; e++) {
    groups.forEach((g, k) => {
      for (const [f, v] of g.entries(e)) {
        feats.push(offsets[k] + f);
        vals.push(v);
      }
    });
    eStart[e + 1] = feats.length;
  }
  const fStart = new Int32Array(nFeatures + 1);
  for (const f of feats) fStart[f + 1]++;
  for (let f = 0; f < nFeatures; f++) fStart[f + 1] += fStart[f];
  const fill = fStart.slice(0, nFeatures);
  const fEnt = new Int32Array(feats.length);
  const fVal = new Float64Array(feats.length);
  for (let e = 0; e < n; e++) {
    for (let k = eStart[e]; k < eStart[e + 1]; k++) {
      const at = fill[feats[k]]++;
      fEnt[at] = e;
      fVal[at] = vals[k];
    }
  }
  return { n, nFeatures, groups: groups.map((g) => g.name), group, eStart, eFeat: Int32Array.from(feats), eVal: Float64Array.from(vals), fStart, fEnt, fVal };
}

/** The user and item sides for a dataset's training rows; implicit lists are normalised by |N|^-1/2, as SVD++. */
export function buildDesigns(ds: RatingsDataset, rows: Int32Array, use: DesignFeatures): { users: SideDesign; items: SideDesign } {
  const nU = ds.userIds.length;
  const nI = ds.itemIds.length;
  const byUser: number[][] = Array.from({ length: nU }, () => []);
  const byItem: number[][] = Array.from({ length: nI }, () => []);
  for (const r of rows) {
    byUser[ds.ratings.user[r]].push(ds.ratings.item[r]);
    byItem[ds.ratings.item[r]].push(ds.ratings.user[r]);
  }
  const normalised = (list: number[]): [number, number][] => list.map((x) => [x, 1 / Math.sqrt(list.length)]);
  const id: (count: number) => Group = (count) => ({ name: 'id', count, entries: (e) => [[e, 1]] });
  const tagIndex = new Map<string, number>();
  const tags = ds.itemMeta.map((m) => (m?.tags ?? []).map((t) => tagIndex.get(t) ?? tagIndex.set(t, tagIndex.size).get(t)!));
  const userGroups: Group[] = [id(nU)];
  if (use.items) userGroups.push({ name: 'items', count: nI, entries: (u) => normalised(byUser[u]) });
  const itemGroups: Group[] = [id(nI)];
  if (use.tags && tagIndex.size) itemGroups.push({ name: 'tags', count: tagIndex.size, entries: (i) => normalised(tags[i] ?? []) });
  if (use.raters) itemGroups.push({ name: 'raters', count: nU, entries: (i) => normalised(byItem[i]) });
  return { users: buildSide(nU, userGroups), items: buildSide(nI, itemGroups) };
}
