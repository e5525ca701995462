import { ratingRange } from './common.js';
import { movieLensFingerprint, toMovieLensFiles, writeMovieLensFiles } from './movielens-format.js';
import { createRng, randomNormal, shuffleInPlace, type Rng } from './random.js';
import { GENRE_WORDS, TitleMaker } from './synthetic-titles.js';
import type { Ratings, RatingsDataset } from './types.js';

export const SYNTHETIC_GENRES: readonly string[] = GENRE_WORDS.map((g) => g.name);

export interface SyntheticOptions {
  users: number;
  items: number;
  /** Ratings per user (every user gets exactly this many, capped at `items`). */
  ratingsPerUser: number;
  /** Latent dimension; defaults to the number of genres, which makes the genre directions orthogonal. */
  dim?: number;
  seed: number;
  /** Standard deviation of the rating noise, before rounding. Default 0.5. */
  noise?: number;
}

/** The planted model behind a synthetic dataset, for tests that check a learner recovers it. */
export interface SyntheticTruth {
  dim: number;
  globalMean: number;
  /** users x dim, row-major. */
  userFactors: Float32Array;
  /** items x dim, row-major. */
  itemFactors: Float32Array;
  userBias: Float32Array;
  itemBias: Float32Array;
  /** Genre index (into SYNTHETIC_GENRES) each user likes most, and the one they dislike. */
  favouriteGenre: Int32Array;
  dislikedGenre: Int32Array;
  /** Each item's main genre; its tags may add a second one. */
  itemGenre: Int32Array;
}

const GLOBAL_MEAN = 2.8;
const FACTOR_JITTER = 0.15;
/** How strongly users pick what they like (logit per unit of predicted affinity). */
const CHOICE_SHARPNESS = 1.5;
/** Spread of a per-item visibility term in that logit: gives the long tail of rarely rated items. */
const POPULARITY_SPREAD = 0.8;
/** ml-100k's time window (Sep 1997 - Apr 1998), so synthetic timestamps look like the real ones. */
const TIME_START = 874_724_710;
const TIME_END = 893_286_638;

function weightedPick(rng: Rng, weights: readonly number[], exclude: readonly number[] = []): number {
  let total = 0;
  for (let g = 0; g < weights.length; g++) if (!exclude.includes(g)) total += weights[g];
  let x = rng() * total;
  for (let g = 0; g < weights.length; g++) {
    if (exclude.includes(g)) continue;
    x -= weights[g];
    if (x < 0) return g;
  }
  // Only reached through float rounding: fall back to the last allowed genre.
  for (let g = weights.length - 1; g >= 0; g--) if (!exclude.includes(g)) return g;
  throw new Error('every genre is excluded');
}

/** One unit direction per genre; orthogonalised (Gram-Schmidt) whenever the dimension allows. */
function genreDirections(rng: Rng, genres: number, dim: number): Float64Array[] {
  const dirs: Float64Array[] = [];
  for (let g = 0; g < genres; g++) {
    const v = Float64Array.from({ length: dim }, () => randomNormal(rng));
    if (g < dim) {
      for (const d of dirs) {
        let dot = 0;
        for (let k = 0; k < dim; k++) dot += v[k] * d[k];
        for (let k = 0; k < dim; k++) v[k] -= dot * d[k];
      }
    }
    const norm = Math.hypot(...v);
    for (let k = 0; k < dim; k++) v[k] /= norm;
    dirs.push(v);
  }
  return dirs;
}

/** Writes `weights[j] * dirs[genres[j]]` summed, plus isotropic jitter, into `out`. */
function mix(out: Float32Array, rng: Rng, dirs: Float64Array[], genres: number[], weights: number[]): void {
  for (let k = 0; k < out.length; k++) {
    let x = FACTOR_JITTER * randomNormal(rng);
    for (let j = 0; j < genres.length; j++) x += weights[j] * dirs[genres[j]][k];
    out[k] = x;
  }
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * A planted low-rank ratings dataset with readable titles. Each genre is a latent direction; items lie near their
 * genre(s), users like one genre, like a second one less and dislike a third. rating = clip(round(mean + user bias
 * + item bias + u.v + noise), 1, 5). Users choose which items to rate with probability rising with how much they
 * would like them, so unseen items are on average worse than seen ones, as in real data. Deterministic per seed.
 */
export function generateSyntheticWithTruth(opts: SyntheticOptions): { dataset: RatingsDataset; truth: SyntheticTruth } {
  checkCount('users', opts.users, 1);
  checkCount('items', opts.items, 1);
  checkCount('ratingsPerUser', opts.ratingsPerUser, 1);
  const G = GENRE_WORDS.length;
  const dim = opts.dim ?? G;
  checkCount('dim', dim, 1);
  const noise = opts.noise ?? 0.5;
  if (!(noise >= 0)) throw new RangeError(`noise must be >= 0, got ${noise}`);
  const { users: nU, items: nI } = opts;
  const perUser = Math.min(opts.ratingsPerUser, nI);

  const rng = createRng(opts.seed);
  const dirs = genreDirections(rng, G, dim);
  const items = plantItems(rng, nI, dim, dirs);
  const users = plantUsers(rng, nU, dim, dirs);
  const ratings = drawRatings(rng, items, users, dim, perUser, noise);

  const dataset: RatingsDataset = {
    name: 'synthetic',
    userIds: Array.from({ length: nU }, (_, u) => String(u + 1)),
    itemIds: Array.from({ length: nI }, (_, i) => String(i + 1)),
    itemMeta: items.itemMeta,
    ratings,
    ratingRange: ratingRange(ratings.rating),
    fingerprint: '',
  };
  // Same bytes as writeSyntheticMovieLens produces, so the fingerprint survives a write and a reload.
  dataset.fingerprint = movieLensFingerprint(toMovieLensFiles(dataset, SYNTHETIC_GENRES));
  const { itemFactors, itemBias, itemGenre } = items;
  const { userFactors, userBias, favouriteGenre, dislikedGenre } = users;
  return {
    dataset,
    truth: { dim, globalMean: GLOBAL_MEAN, userFactors, itemFactors, userBias, itemBias, favouriteGenre, dislikedGenre, itemGenre },
  };
}

const GENRE_WEIGHTS = GENRE_WORDS.map((g) => g.weight);

/** Items near their genre (one, or two with probability 0.3), with a bias, a visibility and a readable title. */
function plantItems(rng: Rng, nI: number, dim: number, dirs: Float64Array[]) {
  const titles = new TitleMaker(rng);
  const itemFactors = new Float32Array(nI * dim);
  const itemBias = new Float32Array(nI);
  const visibility = new Float64Array(nI);
  const itemGenre = new Int32Array(nI);
  const itemMeta: RatingsDataset['itemMeta'] = [];
  for (let i = 0; i < nI; i++) {
    const main = weightedPick(rng, GENRE_WEIGHTS);
    const genres = rng() < 0.3 ? [main, weightedPick(rng, GENRE_WEIGHTS, [main])] : [main];
    mix(itemFactors.subarray(i * dim, (i + 1) * dim), rng, dirs, genres, [1, 0.6]);
    itemBias[i] = 0.4 * randomNormal(rng);
    visibility[i] = POPULARITY_SPREAD * randomNormal(rng);
    itemGenre[i] = main;
    // Tags in genre order, as the MovieLens reader returns them.
    itemMeta.push({ title: titles.make(main), tags: [...genres].sort((a, b) => a - b).map((g) => GENRE_WORDS[g].name) });
  }
  return { itemFactors, itemBias, visibility, itemGenre, itemMeta };
}

/** Users who like one genre, like a second less and dislike a third, with a bias. */
function plantUsers(rng: Rng, nU: number, dim: number, dirs: Float64Array[]) {
  const userFactors = new Float32Array(nU * dim);
  const userBias = new Float32Array(nU);
  const favouriteGenre = new Int32Array(nU);
  const dislikedGenre = new Int32Array(nU);
  for (let u = 0; u < nU; u++) {
    const fav = weightedPick(rng, GENRE_WEIGHTS);
    const second = weightedPick(rng, GENRE_WEIGHTS, [fav]);
    const disliked = weightedPick(rng, GENRE_WEIGHTS, [fav, second]);
    mix(userFactors.subarray(u * dim, (u + 1) * dim), rng, dirs, [fav, second, disliked], [1.2, 0.5, -0.9]);
    userBias[u] = 0.35 * randomNormal(rng);
    favouriteGenre[u] = fav;
    dislikedGenre[u] = disliked;
  }
  return { userFactors, userBias, favouriteGenre, dislikedGenre };
}

/**
 * `perUser` ratings per user: the items are a draw without replacement favouring what the user would like (and
 * visible items), rated round(mean + biases + u.v + noise) clipped to 1..5, at increasing timestamps.
 */
function drawRatings(
  rng: Rng,
  items: ReturnType<typeof plantItems>,
  users: ReturnType<typeof plantUsers>,
  dim: number,
  perUser: number,
  noise: number,
): Ratings {
  const { itemFactors, itemBias, visibility } = items;
  const { userFactors, userBias } = users;
  const nU = userBias.length;
  const nI = itemBias.length;
  const n = nU * perUser;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const rating = new Float32Array(n);
  const timestamp = new Float64Array(n);
  const affinity = new Float64Array(nI);
  const key = new Float64Array(nI);
  const sorted = new Float64Array(nI);
  const chosen = new Int32Array(perUser);
  let row = 0;
  for (let u = 0; u < nU; u++) {
    const uf = userFactors.subarray(u * dim, (u + 1) * dim);
    for (let i = 0; i < nI; i++) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += uf[k] * itemFactors[i * dim + k];
      affinity[i] = dot;
      // Gumbel-top-k: the k largest keys are a draw without replacement with P proportional to exp(logit).
      key[i] = CHOICE_SHARPNESS * (dot + itemBias[i]) + visibility[i] - Math.log(-Math.log(1 - rng()));
    }
    // The k-th largest key as a threshold: a native numeric sort beats sorting indices with a comparator.
    sorted.set(key);
    const threshold = sorted.sort()[nI - perUser];
    let m = 0;
    for (let i = 0; i < nI && m < perUser; i++) if (key[i] >= threshold) chosen[m++] = i;
    shuffleInPlace(chosen, rng);
    let t = TIME_START + Math.floor(rng() * (TIME_END - TIME_START) * 0.8);
    for (const i of chosen) {
      const r = GLOBAL_MEAN + userBias[u] + itemBias[i] + affinity[i] + noise * randomNormal(rng);
      user[row] = u;
      item[row] = i;
      rating[row] = Math.min(5, Math.max(1, Math.round(r)));
      timestamp[row] = Math.min(TIME_END, t);
      t += 1 + Math.floor(-Math.log(1 - rng()) * 3 * 86_400);
      row++;
    }
  }
  return { user, item, rating, timestamp };
}

export function generateSynthetic(opts: SyntheticOptions): RatingsDataset {
  return generateSyntheticWithTruth(opts).dataset;
}

/** Writes the dataset as an ml-100k folder (u.data, u.item in latin-1, u.genre) that loadMovieLens100K reads back. */
export async function writeSyntheticMovieLens(dir: string, ds: RatingsDataset): Promise<void> {
  await writeMovieLensFiles(dir, toMovieLensFiles(ds, SYNTHETIC_GENRES));
}
