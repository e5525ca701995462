// Models for the robustness tests and the swap-under-load bench: one whose ids, tags and titles are hostile (for
// fuzzing every route), a pair of versions with the same ids whose answers differ (for swapping under load), and
// hostile titles for the tiny preset. Written through the one artifact factory (test/helpers/handmade-artifact.ts).
import type { HandmadeModel, TinyArtifactOptions } from './handmade-artifact.js';
import { prng } from './prng.js';

/** Titles that break naive HTML templating, plus non-Latin text that must survive byte-exact. */
export const HOSTILE_TITLES = [
  '<script>alert("x")</script>',
  'Tom & Jerry "The Movie"',
  "It's <b>bold</b> & 'quoted'",
  '千と千尋の神隠し',
  'Амели',
  '"><img src=x onerror=alert(1)>',
  'مرحبا بالعالم',
  'Plain Title (1995)',
];

/**
 * A tiny artifact that folds visitors in (manifest.foldin.implicit), with training interactions per item of
 * 0, 2, 0, 0, 3, 0, 2, 1: the popular order is by count, ties by index (VISITOR_POPULAR).
 */
export const VISITOR_ARTIFACT: TinyArtifactOptions = {
  titles: HOSTILE_TITLES,
  users: ['u0', 'u1', 'u2', 'u3'],
  seen: [[1, 4], [4, 6], [1, 4, 6, 7], []],
  foldin: { alpha: 4, lambda: 0.1 },
};
export const VISITOR_POPULAR = ['5', '2', '7', '8', '1', '3', '4', '6'];

/** Item ids that stress URL encoding and escaping: every GET route must reach them when percent-encoded. */
export const HOSTILE_ITEM_IDS = [
  'a/b',
  '100%',
  '%2F',
  '..%2F',
  'ü-日本',
  'x y',
  '?q=1#f',
  '<b>&"\'',
  '+plus',
  'emoji😀',
  'L'.repeat(256),
  'back\\slash',
];

function vector(rand: () => number, dim: number): number[] {
  // Rounded so that f32 storage keeps them exactly and no two items tie.
  return Array.from({ length: dim }, () => Math.round((rand() * 2 - 1) * 1000) / 1000);
}

/**
 * The fuzz target: 6 plain items plus the hostile ids, users (one with a hostile id), tags in the item space (so
 * every route, arithmetic included, can answer 200), a rating range. Titles are the hostile ones.
 */
export function fuzzModel(): HandmadeModel {
  const rand = prng(7);
  const dim = 4;
  const ids = ['1', '2', '3', '4', '5', '6', ...HOSTILE_ITEM_IDS];
  const tags = ['Strategy', 'Fantasy', 'Sci/Fi', 'R&B 日本'];
  return {
    kind: 'handmade',
    items: ids.map((id, i) => ({
      id,
      title: HOSTILE_TITLES[i % HOSTILE_TITLES.length],
      tags: [tags[i % tags.length], ...(i % 3 === 0 ? [tags[(i + 1) % tags.length]] : [])],
      vector: vector(rand, dim),
      bias: Math.round((rand() - 0.5) * 100) / 100,
    })),
    tags: tags.map((id) => ({ id, vector: vector(rand, dim) })),
    users: ['u1', 'u2', 'ü/ser'].map((id, u) => ({ id, vector: vector(rand, dim), bias: 0.1 * u, seen: [ids[u], ids[u + 6]] })),
    globalBias: 3,
    ratingRange: [1, 5],
    foldin: { implicit: { alpha: 2, lambda: 0.5 }, rating: { lambda: 0.5 } },
  };
}

/**
 * Two versions of one catalogue: same item and user ids, independent random vectors, so nearly every query has a
 * different answer in each (the swap test checks every answer against the version it names, and asserts that
 * the two versions disagree on the queries it sends).
 */
export function swapPair(opts: { items: number; users: number; dim: number }): [HandmadeModel, HandmadeModel] {
  const make = (seed: number): HandmadeModel => {
    const rand = prng(seed);
    const itemIds = Array.from({ length: opts.items }, (_, i) => `i${i}`);
    return {
      kind: 'mf',
      items: itemIds.map((id) => ({ id, title: `Item ${id}`, vector: vector(rand, opts.dim), bias: Math.round((rand() - 0.5) * 100) / 100 })),
      users: Array.from({ length: opts.users }, (_, u) => ({
        id: `u${u}`,
        // Short user vectors: predicted ratings stay inside 1..5, so clipping does not make the versions agree.
        vector: vector(rand, opts.dim).map((x) => Math.round(x * 250) / 1000),
        bias: Math.round((rand() - 0.5) * 100) / 100,
        seen: [itemIds[u % opts.items], itemIds[(u * 7 + 3) % opts.items]],
      })),
      globalBias: 3,
      ratingRange: [1, 5],
    };
  };
  return [make(101), make(202)];
}
