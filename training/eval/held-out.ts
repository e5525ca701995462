import type { RatingsDataset, Split } from '../data/types.js';
import { clip, mae, rmse } from './metrics.js';

/** The test rows of a split as (user, item, rating) columns, and RMSE / MAE of predictions for them. */
export interface HeldOutRatings {
  users: Int32Array;
  items: Int32Array;
  truth: Float32Array;
  /** Predictions aligned with the rows, clipped to the dataset's rating range first. */
  score: (pred: ArrayLike<number>) => { rmse: number; mae: number };
}

export function heldOutRatings(ds: RatingsDataset, split: Split): HeldOutRatings {
  const users = Int32Array.from(split.test, (r) => ds.ratings.user[r]);
  const items = Int32Array.from(split.test, (r) => ds.ratings.item[r]);
  const truth = Float32Array.from(split.test, (r) => ds.ratings.rating[r]);
  const score = (pred: ArrayLike<number>) => {
    const clipped = Float32Array.from(pred, (p) => clip(p, ds.ratingRange));
    return { rmse: rmse(clipped, truth), mae: mae(clipped, truth) };
  };
  return { users, items, truth, score };
}
