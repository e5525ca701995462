import { describe, expect, it } from 'vitest';
import { tagListsOf } from '../../training/data/item-tag-dataset.js';
import {
  cosineNeighbours,
  jaccard,
  jaccardNeighbours,
  meanOverlap,
  overlapQueries,
  randomOthers,
  tagOverlap,
} from '../../training/eval/tag-overlap.js';

// Items 0..4 with tags: {0,1}, {0,1,2}, {2}, {3}, {} (item 4 has none).
const TAGS = tagListsOf(5, Int32Array.of(0, 0, 1, 1, 1, 2, 3), Int32Array.of(0, 1, 0, 1, 2, 2, 3));
const N_TAGS = 4;

describe('tag overlap', () => {
  it.each([
    [0, 1, 2 / 3],
    [1, 2, 1 / 3],
    [0, 2, 0],
    [0, 0, 1],
    [3, 4, 0],
    [4, 4, 0],
  ])('jaccard(%i, %i) = %f', (a, b, j) => {
    expect(jaccard(TAGS, a, b, N_TAGS)).toBeCloseTo(j, 12);
  });

  it('queries are the items with tags, or a seeded sample of them', () => {
    expect(Array.from(overlapQueries(TAGS))).toEqual([0, 1, 2, 3]);
    const sample = overlapQueries(TAGS, { maxQueries: 2, seed: 1 });
    expect(sample).toHaveLength(2);
    expect(overlapQueries(TAGS, { maxQueries: 2, seed: 1 })).toEqual(sample);
    expect(Array.from(sample).every((i) => i >= 0 && i <= 3)).toBe(true);
  });

  it('meanOverlap averages the Jaccard of every (query, neighbour) pair', () => {
    const lists: Record<number, number[]> = { 0: [1, 2], 1: [0], 3: [4] };
    const m = meanOverlap(TAGS, N_TAGS, Int32Array.of(0, 1, 3), (i) => lists[i]);
    expect(m).toBeCloseTo((2 / 3 + 0 + 2 / 3 + 0) / 4, 12);
  });

  it('cosineNeighbours ranks by cosine, excludes the item, ties go to the lower index', () => {
    const v = Float32Array.of(1, 0, /* */ 0, 2, /* */ 1, 1, /* */ -1, 0, /* */ 0, 3);
    const nb = cosineNeighbours(v, 5, 2, 3);
    expect(Array.from(nb(0))).toEqual([2, 1, 4]);
    expect(Array.from(nb(1))).toEqual([4, 2, 0]);
    expect(Array.from(cosineNeighbours(v, 5, 2, 10)(3))).toEqual([1, 4, 2, 0]);
  });

  it('randomOthers draws k distinct other items, reproducibly', () => {
    const draw = randomOthers(50, 10, 9);
    const a = Array.from(draw(7));
    expect(new Set(a).size).toBe(10);
    expect(a).not.toContain(7);
    expect(Array.from(randomOthers(50, 10, 9)(7))).toEqual(a);
    expect(Array.from(randomOthers(3, 10, 9)(0)).sort()).toEqual([1, 2]);
  });

  it('jaccardNeighbours puts the items with the most similar tag sets first', () => {
    const nb = jaccardNeighbours(TAGS, N_TAGS, 2, 3);
    expect(nb(0)[0]).toBe(1);
    expect(nb(2)[0]).toBe(1);
    expect(nb(4)).toHaveLength(2);
  });

  it('tagOverlap names its keys by k and scores perfect neighbours above random ones', () => {
    const r = tagOverlap(TAGS, N_TAGS, (i) => (i === 0 ? [1] : i === 1 ? [0] : i === 2 ? [1] : [2]), { k: 1, seed: 1 });
    expect(Object.keys(r)).toEqual(['tag_overlap_at_1', 'tag_overlap_at_1_random']);
    expect(r.tag_overlap_at_1).toBeCloseTo((2 / 3 + 2 / 3 + 1 / 3 + 0) / 4, 12);
  });
});
