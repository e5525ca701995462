/** Rating triples in columnar form; row r is (user[r], item[r], rating[r]) with indices into the dataset's id lists. */
export interface Ratings {
  user: Int32Array;
  item: Int32Array;
  rating: Float32Array;
  /** Unix seconds, when the source has them. */
  timestamp?: Float64Array;
}

export interface RatingsDataset {
  name: string;
  /** Original user ids; a user's index is its position here. */
  userIds: string[];
  /** Original item ids; an item's index is its position here. */
  itemIds: string[];
  /** Per item index. `title` is the id when the source has no titles; `tags` are genres for MovieLens. */
  itemMeta: { title: string; tags: string[] }[];
  /** All ratings, indices into userIds/itemIds. */
  ratings: Ratings;
  /** Min and max rating seen (e.g. [1, 5]). */
  ratingRange: [number, number];
  /** Official splits found beside the data (ml-100k u1..u5, ua, ub), as index arrays into `ratings` rows. */
  officialSplits?: Record<string, { train: Int32Array; test: Int32Array }>;
  /** sha256 hex of the raw input bytes, for the artifact's manifest. */
  fingerprint: string;
}

/** Row indices into dataset.ratings. */
export interface Split {
  name: string;
  train: Int32Array;
  test: Int32Array;
}

/**
 * Items described by tags (or links) and no users: the input of the itemtag model (notebooks 000 and 003).
 * Pairs are unique and grouped by item in item order; within an item, tags keep the order the source lists them.
 */
export interface ItemTagDataset {
  name: string;
  /** Original item ids; an item's index is its position here. */
  itemIds: string[];
  /** Per item index; the id when the source has no titles. */
  itemTitles: string[];
  /** Tag vocabulary in first-seen order; a tag's index is its position here. */
  tags: string[];
  /** (item, tag) index pairs, each at most once. */
  pairs: { item: Int32Array; tag: Int32Array };
  /**
   * Numeric per-item properties the source carries (Steam: positive_ratio, price, release_year, ...), NaN where
   * unknown; the targets of the embedding probe. Empty when the source has none.
   */
  properties: Record<string, Float64Array>;
  /** sha256 hex of the raw input bytes, for the artifact's manifest. */
  fingerprint: string;
}
