import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgerecError } from '../../shared/errors.js';
import {
  buildItemFilter,
  passes,
  rankItems,
  recommendForUserWhere,
  similarItemsWhere,
  topKWhere,
  type ItemFilter,
} from '../../shared/model/filters.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { recommendForUser, similarItems, type Scored } from '../../shared/model/queries.js';
import { cosineTo } from '../../shared/model/vectors.js';
import { createRng } from '../../training/data/random.js';
import { GAMES, loadHandmade, type HandmadeModel } from '../helpers/handmade-artifact.js';

const N = 400;
const D = 8;

/** 400 random items in 8-d; tags with shares 50% ('Common'), 10% ('Some') and 1% ('Rare'); 20 users, some seen items. */
function randomModel(): HandmadeModel {
  const rng = createRng(3);
  const vec = () => Array.from({ length: D }, () => rng() * 2 - 1);
  return {
    kind: 'mf',
    items: Array.from({ length: N }, (_, i) => ({
      id: `i${i}`,
      title: `Item ${i}`,
      tags: [rng() < 0.5 ? 'Common' : '', rng() < 0.1 ? 'Some' : '', i % 100 === 7 ? 'Rare' : ''].filter(Boolean),
      vector: vec(),
      bias: rng() - 0.5,
    })),
    users: Array.from({ length: 20 }, (_, u) => ({ id: `u${u}`, vector: vec(), bias: 0.1 * u, seen: [`i${u}`, `i${u + 50}`, `i${u + 123}`] })),
    globalBias: 3,
    ratingRange: [1, 5],
  };
}

/** What a filter must give: the unfiltered ranking of every item, filtered, cut at k. */
function bruteForce(all: Scored[], filter: ItemFilter, k: number): number[] {
  return all.filter((s) => passes(filter, s.index)).slice(0, k).map((s) => s.index);
}

describe('item filters', () => {
  let m: LoadedModel;
  let games: LoadedModel;
  beforeAll(async () => {
    m = await loadHandmade(randomModel(), 'random');
    games = await loadHandmade(GAMES, 'games');
  });
  afterAll(() => {
    m?.dispose();
    games?.dispose();
  });

  it('builds the allow-list from any of the tags (case-sensitive) and the deny-list from ids', () => {
    const f = buildItemFilter(games, { tags: ['War', 'Sport'], exclude: ['wc'] })!;
    expect([...f.allowed!].map((i) => games.items.ids[i]).sort()).toEqual(['dw', 'fm', 'wc']);
    expect([...f.excluded].map((i) => games.items.ids[i])).toEqual(['wc']);
    expect(games.items.ids.filter((_, i) => passes(f, i))).toEqual(['dw', 'fm']);
    expect(buildItemFilter(games, { tags: [], exclude: [] })).toBeUndefined();
    expect(buildItemFilter(games, { exclude: ['gs'] })!.allowed).toBeUndefined();
  });

  it('an unknown tag is a 404 that suggests the right case; an unknown excluded id is a 404 naming it', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as EdgerecError;
      }
      throw new Error('expected an error');
    };
    const e1 = err(() => buildItemFilter(games, { tags: ['war'] }));
    expect([e1.status, e1.code]).toEqual([404, 'unknown_tag']);
    expect(e1.message).toBe('no item in model "games" has tag "war": tags match case-sensitively: did you mean "War"?');
    const e2 = err(() => buildItemFilter(games, { exclude: ['nope'] }));
    expect([e2.status, e2.code, e2.message]).toEqual([404, 'unknown_item', 'item "nope" is not in model "games"']);
  });

  it.each(['Common', 'Some', 'Rare'])('similar items with tag %s equal the brute-force filtered ranking', (tag) => {
    const filter = buildItemFilter(m, { tags: [tag], exclude: ['i1', 'i2', 'i3'] })!;
    for (const i of [0, 7, 250]) {
      const all = similarItems(m, i, N);
      const got = similarItemsWhere(m, i, 10, filter);
      expect(got.map((s) => s.index)).toEqual(bruteForce(all, filter, 10));
      got.forEach((g) => expect(g.score).toBeCloseTo(all.find((a) => a.index === g.index)!.score, 5));
    }
  });

  it.each(['Common', 'Some', 'Rare'])('recommendations with tag %s equal the brute-force filtered ranking', (tag) => {
    const filter = buildItemFilter(m, { tags: [tag], exclude: ['i10', 'i11'] })!;
    for (const u of [0, 5, 19]) {
      for (const excludeSeen of [true, false]) {
        const all = recommendForUser(m, u, N, excludeSeen);
        const got = recommendForUserWhere(m, u, 10, excludeSeen, filter);
        expect(got.map((s) => s.index)).toEqual(bruteForce(all, filter, 10));
      }
    }
  });

  it('fewer items pass than asked for: all of them, nothing masked out leaks in', () => {
    const filter = buildItemFilter(m, { tags: ['Rare'] })!; // items 7, 107, 207, 307
    expect(similarItemsWhere(m, 7, 10, filter).map((s) => m.items.ids[s.index]).sort()).toEqual(['i107', 'i207', 'i307']);
    expect(recommendForUserWhere(m, 0, 10, true, filter)).toHaveLength(4);
  });

  it('grows k when the first request is too small: allowed items at the bottom of the ranking', () => {
    const all = recommendForUser(m, 3, N, true);
    const bottom = all.slice(-5).map((s) => s.index);
    const filter: ItemFilter = { allowed: new Set(bottom), excluded: new Set() };
    const wants: number[] = [];
    const got = topKWhere(N, 3, filter, (want) => {
      wants.push(want);
      return recommendForUser(m, 3, want, true);
    });
    expect(got.map((s) => s.index)).toEqual(bottom.slice(0, 3));
    // First guess from the selectivity (3 * 400 / 5 + 3 = 243), then doubled to the whole catalogue.
    expect(wants).toEqual([243, 400]);
  });

  it('rankItems ranks the worst first with worst: true, masks skip and filter', () => {
    const filter = buildItemFilter(m, { tags: ['Some'] })!;
    const best = rankItems(m, () => cosineTo(m, 0), N, { filter, skip: [0] });
    const worst = rankItems(m, () => cosineTo(m, 0), 5, { filter, skip: [0], worst: true });
    expect(worst.map((s) => s.index)).toEqual(best.slice(-5).reverse().map((s) => s.index));
    worst.forEach((w, j) => expect(w.score).toBe(best[best.length - 1 - j].score));
    expect(best.every((s) => s.index !== 0 && filter.allowed!.has(s.index))).toBe(true);
  });

  it('leaks no tensors', () => {
    const filter = buildItemFilter(m, { tags: ['Some'], exclude: ['i5'] });
    const before = tf.memory().numTensors;
    similarItemsWhere(m, 3, 10, filter);
    recommendForUserWhere(m, 3, 10, true, filter);
    rankItems(m, () => cosineTo(m, 3), 10, { filter, worst: true });
    expect(tf.memory().numTensors).toBe(before);
  });
});
