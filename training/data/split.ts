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

export const RANKING_SPLIT = 'ranking-75-25';

/**
 * Per-user stratified split for ranking evaluation, as the Microsoft "recommenders" benchmark tables make it
 * (python_stratified_split, ratio 0.75): each user's ratings are shuffled (seeded) and the first
 * round(0.75 * n) (half to even, as Python's round) stay in train, at least one; the rest are that user's test
 * items. Every rating counts as an implicit positive. Both index arrays are sorted ascending.
 */
export function rankingSplit(ds: RatingsDataset, testFraction = 0.25, seed = 42): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const { user } = ds.ratings;
  const n = user.length;
  const nUsers = ds.userIds.length;
  // Rows grouped by user (CSR, stable), so that each user's shuffle depends only on the seed and the row order.
  const start = new Int32Array(nUsers + 1);
  for (let r = 0; r < n; r++) start[user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) start[u + 1] += start[u];
  const rows = new Int32Array(n);
  const fill = start.slice(0, nUsers);
  for (let r = 0; r < n; r++) rows[fill[user[r]]++] = r;
  const rng = createRng(seed);
  const isTest = new Uint8Array(n);
  let nTest = 0;
  for (let u = 0; u < nUsers; u++) {
    const own = rows.subarray(start[u], start[u + 1]);
    if (own.length === 0) continue;
    shuffleInPlace(own, rng);
    const keep = Math.max(1, roundHalfEven(own.length * (1 - testFraction)));
    for (let k = keep; k < own.length; k++) isTest[own[k]] = 1;
    nTest += own.length - keep;
  }
  const train = new Int32Array(n - nTest);
  const test = new Int32Array(nTest);
  for (let r = 0, a = 0, b = 0; r < n; r++) {
    if (isTest[r]) test[b++] = r;
    else train[a++] = r;
  }
  const pct = Number((testFraction * 100).toFixed(4));
  return { name: `ranking-${Number((100 - pct).toFixed(4))}-${pct}`, train, test };
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (Math.abs(d - 0.5) > 1e-9) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}

export const USERS_SPLIT = 'users-90-10';
/** Users with fewer ratings are never held out by usersSplit: folded in from 20 they must keep 10 to score. */
export const MIN_HELD_OUT_RATINGS = 30;

/**
 * Holds out whole users, for measuring fold-in (a visitor the model never saw): round(testFraction * users)
 * users, drawn (seeded) among those with at least MIN_HELD_OUT_RATINGS ratings; every row of theirs is a test row,
 * every other row a training row. Both index arrays are sorted ascending.
 */
export function usersSplit(ds: RatingsDataset, testFraction = 0.1, seed = 42): Split {
  const nUsers = ds.userIds.length;
  const count = new Int32Array(nUsers);
  for (const u of ds.ratings.user) count[u]++;
  const eligible = Int32Array.from({ length: nUsers }, (_, u) => u).filter((u) => count[u] >= MIN_HELD_OUT_RATINGS);
  const want = Math.round(nUsers * testFraction);
  if (eligible.length < want || want === 0) {
    throw new Error(
      `${USERS_SPLIT} needs ${want || 1} users with at least ${MIN_HELD_OUT_RATINGS} ratings to hold out; ${ds.name} has ${eligible.length}: use another split`,
    );
  }
  shuffleInPlace(eligible, createRng(seed));
  const held = new Uint8Array(nUsers);
  for (const u of eligible.subarray(0, want)) held[u] = 1;
  const rows = Int32Array.from({ length: ds.ratings.user.length }, (_, r) => r);
  return { name: USERS_SPLIT, train: rows.filter((r) => !held[ds.ratings.user[r]]), test: rows.filter((r) => held[ds.ratings.user[r]] === 1) };
}

/**
 * The split named on the command line: 'random-80-20', 'ranking-75-25', 'users-90-10' (all seeded) or an official
 * fold (u1..ub).
 */
export function chooseSplit(ds: RatingsDataset, name: string, seed: number): Split {
  if (name === 'random-80-20') return randomSplit(ds.ratings.rating.length, 0.2, seed);
  if (name === RANKING_SPLIT) return rankingSplit(ds, 0.25, seed);
  if (name === USERS_SPLIT) return usersSplit(ds, 0.1, seed);
  return officialSplit(ds, name);
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
