// The swap bench's queries and how an answer is checked: each query's expected answer is computed on the Node side
// from the version it must come from.
import type { LoadedModel } from '../../shared/model/loaded.js';
import { recommendFromExamples } from '../../shared/model/from-examples.js';
import { predictRatings, recommendForUser, similarItems, type Scored } from '../../shared/model/queries.js';

export interface Query {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** The answer's comparable part, for the model it came from. */
  expected(m: LoadedModel): Answer;
  read(body: Record<string, unknown>): Answer;
}

/** Ranked ids with scores, or ratings. */
export type Answer = { ids: string[]; scores: number[] };

const TOLERANCE = 1e-4;

function ranked(m: LoadedModel, s: Scored[]): Answer {
  return { ids: s.map((x) => m.items.ids[x.index]), scores: s.map((x) => x.score) };
}
const fromResults = (r: unknown): Answer => {
  const rows = r as { id: string; score: number }[];
  return { ids: rows.map((x) => x.id), scores: rows.map((x) => x.score) };
};

/** Equal ids in order (a neighbouring pair may swap only on a score tie) and scores within TOLERANCE. */
export function same(got: Answer, want: Answer): boolean {
  if (got.ids.length !== want.ids.length || got.scores.length !== want.scores.length) return false;
  for (let j = 0; j < want.scores.length; j++) {
    if (!(Math.abs(got.scores[j] - want.scores[j]) <= TOLERANCE)) return false;
  }
  for (let j = 0; j < want.ids.length; j++) {
    if (got.ids[j] !== want.ids[j]) {
      const tie = [j - 1, j + 1].some((n) => n >= 0 && n < want.ids.length && want.ids[n] === got.ids[j] && Math.abs(want.scores[n] - want.scores[j]) <= TOLERANCE);
      if (!tie) return false;
    }
  }
  return true;
}

export function queries(items: number, users: number): Query[] {
  const out: Query[] = [];
  const pick = (n: number, count: number, salt: number) => Array.from({ length: count }, (_, i) => (i * 7919 + salt) % n);
  for (const i of pick(items, 30, 1)) {
    out.push({
      method: 'GET',
      path: `/v1/models/swap/items/i${i}/similar?k=5`,
      expected: (m) => ranked(m, similarItems(m, i, 5)),
      read: (b) => fromResults(b.results),
    });
  }
  for (const u of pick(users, 20, 3)) {
    out.push({
      method: 'GET',
      path: `/v1/models/swap/users/u${u}/recommendations?k=5`,
      expected: (m) => ranked(m, recommendForUser(m, u, 5, true)),
      read: (b) => fromResults(b.results),
    });
    const i = (u * 13 + 5) % items;
    out.push({
      method: 'GET',
      path: `/v1/models/swap/users/u${u}/items/i${i}/rating`,
      expected: (m) => ({ ids: [], scores: [...predictRatings(m, Int32Array.of(u), Int32Array.of(i))] }),
      read: (b) => ({ ids: [], scores: [b.rating as number] }),
    });
  }
  const pairs = pick(users, 5, 11).map((u, j) => [u, (u * 31 + j) % items]);
  out.push({
    method: 'POST',
    path: '/v1/models/swap/predict',
    body: JSON.stringify({ pairs: pairs.map(([u, i]) => [`u${u}`, `i${i}`]) }),
    expected: (m) => ({ ids: [], scores: [...predictRatings(m, Int32Array.from(pairs, (p) => p[0]), Int32Array.from(pairs, (p) => p[1]))] }),
    read: (b) => ({ ids: [], scores: (b.predictions as { rating: number }[]).map((p) => p.rating) }),
  });
  const liked = [1, 2].map((x) => (x * 17) % items);
  const disliked = [(5 * 17) % items];
  out.push({
    method: 'POST',
    path: '/v1/models/swap/recommendations/from-examples',
    body: JSON.stringify({ liked: liked.map((i) => `i${i}`), disliked: disliked.map((i) => `i${i}`), k: 5 }),
    expected: (m) => {
      const a = recommendFromExamples(m, liked, disliked, 5);
      const best = ranked(m, a.best);
      const worst = ranked(m, a.worst);
      return { ids: [...best.ids, ...worst.ids], scores: [...best.scores, ...worst.scores] };
    },
    read: (b) => {
      const best = fromResults(b.best);
      const worst = fromResults(b.worst);
      return { ids: [...best.ids, ...worst.ids], scores: [...best.scores, ...worst.scores] };
    },
  });
  return out;
}
