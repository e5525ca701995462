// Item-tag data with planted clusters: items of one cluster draw their tags from that cluster's small vocabulary
// (plus an occasional tag shared by everyone), so the right neighbours of an item are obvious: its cluster-mates.
import { ItemTagBuilder } from '../../training/data/item-tag-dataset.js';
import { createRng } from '../../training/data/random.js';
import type { ItemTagDataset } from '../../training/data/types.js';

export interface PlantedOptions {
  clusters: number;
  itemsPerCluster: number;
  /** Tags owned by each cluster; every item takes 2 or 3 of its cluster's. */
  tagsPerCluster: number;
  /** Tags any item may take (one, with probability `noise`). */
  sharedTags: number;
  noise: number;
  seed: number;
}

export const PLANTED: PlantedOptions = { clusters: 8, itemsPerCluster: 40, tagsPerCluster: 4, sharedTags: 6, noise: 0.3, seed: 11 };

export function plantedItemTags(over: Partial<PlantedOptions> = {}): { dataset: ItemTagDataset; cluster: Int32Array } {
  const o = { ...PLANTED, ...over };
  const rng = createRng(o.seed);
  const builder = new ItemTagBuilder();
  const n = o.clusters * o.itemsPerCluster;
  const cluster = new Int32Array(n);
  // Interleave clusters so that item order says nothing about them.
  for (let i = 0; i < n; i++) {
    const c = i % o.clusters;
    cluster[i] = c;
    const own = Array.from({ length: o.tagsPerCluster }, (_, t) => `c${c}-t${t}`);
    for (let k = own.length - 1; k > 0; k--) {
      const j = Math.floor(rng() * (k + 1));
      [own[k], own[j]] = [own[j], own[k]];
    }
    const tags = own.slice(0, rng() < 0.5 ? 2 : 3);
    if (rng() < o.noise) tags.push(`shared-${Math.floor(rng() * o.sharedTags)}`);
    builder.add(`g${i}`, `Planted game ${i} (cluster ${c})`, tags, { score: c + 0.1 * (i % 5) });
  }
  return { dataset: builder.build('planted', `planted-${o.seed}`), cluster };
}
