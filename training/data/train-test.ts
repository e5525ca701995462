import { createHash } from 'node:crypto';
import { IdIndex } from './common.js';
import { DataError } from './errors.js';
import type { RatingsDataset } from './types.js';

/** The split a `--train <file> --test <file>` pair defines: the first file's rows train, the second's test. */
export const FILES_SPLIT = 'files';

interface Named {
  path: string;
  dataset: RatingsDataset;
}

/**
 * One dataset from a training file and a test file, each read by the reader that reads it alone: users and items are
 * the training file's, in its order, then those only the test file has; rows are the training rows, then the test
 * rows; `officialSplits.files` names them. A (user, item) pair in both files is refused: the test would then grade a
 * rating the model was trained on.
 */
export function joinTrainTest(train: Named, test: Named): RatingsDataset {
  const a = train.dataset;
  const b = test.dataset;
  const users = new IdIndex();
  const items = new IdIndex();
  for (const id of a.userIds) users.intern(id);
  for (const id of a.itemIds) items.intern(id);
  const itemMeta = [...a.itemMeta];
  const userOf = Int32Array.from(b.userIds, (id) => users.intern(id));
  const itemOf = Int32Array.from(b.itemIds, (id, i) => {
    const before = items.size;
    const index = items.intern(id);
    if (index === before) itemMeta.push(b.itemMeta[i]);
    return index;
  });
  const nA = a.ratings.rating.length;
  const n = nA + b.ratings.rating.length;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const rating = new Float32Array(n);
  user.set(a.ratings.user);
  item.set(a.ratings.item);
  rating.set(a.ratings.rating);
  for (let r = 0; r < n - nA; r++) {
    user[nA + r] = userOf[b.ratings.user[r]];
    item[nA + r] = itemOf[b.ratings.item[r]];
    rating[nA + r] = b.ratings.rating[r];
  }
  refuseOverlap(train.path, test.path, { user, item, userIds: users.ids, itemIds: items.ids }, nA);
  const timestamp = a.ratings.timestamp && b.ratings.timestamp ? new Float64Array(n) : undefined;
  if (timestamp) {
    timestamp.set(a.ratings.timestamp!);
    timestamp.set(b.ratings.timestamp!, nA);
  }
  const rows = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, k) => from + k);
  return {
    name: `${a.name}+${b.name}`,
    userIds: users.ids,
    itemIds: items.ids,
    itemMeta,
    ratings: timestamp ? { user, item, rating, timestamp } : { user, item, rating },
    ratingRange: [Math.min(a.ratingRange[0], b.ratingRange[0]), Math.max(a.ratingRange[1], b.ratingRange[1])],
    officialSplits: { [FILES_SPLIT]: { train: rows(0, nA), test: rows(nA, n) } },
    fingerprint: createHash('sha256').update(`${a.fingerprint}\0${b.fingerprint}`).digest('hex'),
  };
}

function refuseOverlap(
  trainPath: string,
  testPath: string,
  rows: { user: Int32Array; item: Int32Array; userIds: string[]; itemIds: string[] },
  nTrain: number,
): void {
  const { user, item, userIds, itemIds } = rows;
  const trained = new Set<number>();
  for (let r = 0; r < nTrain; r++) trained.add(user[r] * itemIds.length + item[r]);
  let overlap = 0;
  let first = -1;
  for (let r = nTrain; r < user.length; r++) {
    if (!trained.has(user[r] * itemIds.length + item[r])) continue;
    if (overlap++ === 0) first = r;
  }
  if (overlap === 0) return;
  throw new DataError(
    testPath,
    undefined,
    undefined,
    `${overlap} of its ratings are also in the training file ${trainPath} (the first: user ${JSON.stringify(userIds[user[first]])}, item ${JSON.stringify(itemIds[item[first]])})`,
    'a test rating must not be trained on: remove those pairs from one of the files',
  );
}
