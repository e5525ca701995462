import type { ItemsFile } from '../../shared/artifact/schema.js';
import type { RatingsDataset } from '../data/types.js';

/** items.json: original ids with titles and tags, users' ids, and what each user saw in training (CSR). */
export function buildItemsFile(ds: RatingsDataset, trainRows: Int32Array): ItemsFile {
  const nUsers = ds.userIds.length;
  const counts = new Int32Array(nUsers + 1);
  for (const r of trainRows) counts[ds.ratings.user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) counts[u + 1] += counts[u];
  const indices = new Int32Array(trainRows.length);
  const fill = counts.slice(0, nUsers);
  for (const r of trainRows) indices[fill[ds.ratings.user[r]]++] = ds.ratings.item[r];
  for (let u = 0; u < nUsers; u++) indices.subarray(counts[u], counts[u + 1]).sort();
  return {
    items: ds.itemIds.map((id, i) => {
      const m = ds.itemMeta[i];
      return m.tags.length ? { id, title: m.title, tags: m.tags } : { id, title: m.title };
    }),
    users: ds.userIds,
    seen: { indptr: Array.from(counts), indices: Array.from(indices) },
  };
}
