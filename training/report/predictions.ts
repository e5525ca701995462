import type { Manifest } from '../../shared/artifact/schema.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings } from '../../shared/model/queries.js';
import { loadDataset } from '../data/load.js';
import type { RatingsDataset } from '../data/types.js';
import { chooseSplit } from '../data/split.js';

const BATCH = 50_000;

export interface TestPredictions {
  split: string;
  /** Held-out ratings and what the artifact predicts for them (clipped to the rating range). */
  truth: Float32Array;
  predicted: Float32Array;
  ratingRange: [number, number];
}

/** Explicit models predict ratings; ranking-only kinds (bpr, itemtag) have no true-vs-predicted picture. */
export function isExplicit(manifest: Manifest): boolean {
  return manifest.ratingRange !== undefined && 'rmse' in (manifest.metrics?.float ?? {});
}

/**
 * Re-creates the artifact's test split from the data it was trained on (the split name and seed are in the
 * manifest) and predicts it through shared/, i.e. with the quantised weights the Worker serves.
 */
export async function predictTestSplit(model: LoadedModel, data: string | RatingsDataset, format = 'auto'): Promise<TestPredictions> {
  const m = model.manifest;
  const ds = typeof data === 'string' ? await loadDataset(data, format) : data;
  if (ds.fingerprint !== m.dataset.fingerprint) {
    throw new Error(
      `the data given (${ds.name}, fingerprint ${ds.fingerprint.slice(0, 12)}…) is not what this artifact was trained on ` +
        `(${m.dataset.name}, ${m.dataset.fingerprint.slice(0, 12)}…): pass the same --data as to npm run train, or leave --data out`,
    );
  }
  const seed = m.model.hyper.seed;
  if (typeof seed !== 'number') {
    throw new Error(`manifest.json has no numeric model.hyper.seed (got ${JSON.stringify(seed)}), so its test split cannot be re-created; leave --data out`);
  }
  const split = chooseSplit(ds, m.dataset.split, seed);
  // Indices can differ between the data and the artifact only if ids were remapped; map through the original ids.
  const userIndex = ds.userIds.map((id) => (model.users.has(id) ? model.users.indexOf(id, model.name) : -1));
  const itemIndex = ds.itemIds.map((id) => (model.items.has(id) ? model.items.indexOf(id, model.name) : -1));
  const rows = Array.from(split.test).filter((r) => userIndex[ds.ratings.user[r]] >= 0 && itemIndex[ds.ratings.item[r]] >= 0);
  const users = Int32Array.from(rows, (r) => userIndex[ds.ratings.user[r]]);
  const items = Int32Array.from(rows, (r) => itemIndex[ds.ratings.item[r]]);
  // In batches: one call would hold [rows, dim] tensors (and a head's activations) in the wasm heap at once.
  const predicted = new Float32Array(rows.length);
  for (let s = 0; s < rows.length; s += BATCH) {
    predicted.set(predictRatings(model, users.subarray(s, s + BATCH), items.subarray(s, s + BATCH)), s);
  }
  return {
    split: split.name,
    truth: Float32Array.from(rows, (r) => ds.ratings.rating[r]),
    predicted,
    ratingRange: m.ratingRange ?? ds.ratingRange,
  };
}
