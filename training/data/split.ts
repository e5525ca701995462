import { createRng, shuffleInPlace } from './random.js';
import type { Ratings, RatingsDataset, Split } from './types.js';

/** 'random-80-20' for 0.2; fractions that are not whole percents keep their decimals ('random-87.5-12.5'). */
export function randomSplitName(testFraction: number): string {
  const test = Number((testFraction * 100).toFixed(4));
  const train = Number((100 - test).toFixed(4));
  return `random-${train}-${test}`;
}

/**
 * A uniformly random train/test split of rows 0..n-1 with round(n * testFraction) test rows, reproducible from
 * `seed`. Both index arrays are sorted ascending.
 */
export function randomSplit(n: number, testFraction: number, seed: number): Split {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, createRng(seed));
  const nTest = Math.round(n * testFraction);
  return {
    name: randomSplitName(testFraction),
    train: order.slice(nTest).sort(),
    test: order.slice(0, nTest).sort(),
  };
}

/** One of the splits shipped with the data (ml-100k: u1..u5, ua, ub). */
export function officialSplit(ds: RatingsDataset, name: string): Split {
  const splits = ds.officialSplits ?? {};
  const split = splits[name];
  if (!split) {
    const available = Object.keys(splits);
    throw new Error(
      available.length === 0
        ? `dataset ${ds.name} has no official splits (ml-100k ships u1..u5, ua and ub beside u.data); use a random split`
        : `dataset ${ds.name} has no official split ${JSON.stringify(name)}; available: ${available.join(', ')}`,
    );
  }
  return { name, train: split.train, test: split.test };
}

/** The given rows of `ratings` as a new Ratings (e.g. the train half of a split). */
export function selectRows(ratings: Ratings, rows: Int32Array): Ratings {
  const n = rows.length;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const rating = new Float32Array(n);
  const timestamp = ratings.timestamp ? new Float64Array(n) : undefined;
  for (let k = 0; k < n; k++) {
    const r = rows[k];
    user[k] = ratings.user[r];
    item[k] = ratings.item[r];
    rating[k] = ratings.rating[r];
    if (timestamp) timestamp[k] = ratings.timestamp![r];
  }
  return timestamp ? { user, item, rating, timestamp } : { user, item, rating };
}
