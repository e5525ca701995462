import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgerecError } from '../../shared/errors.js';
import { arithmeticVector, itemArithmetic } from '../../shared/model/arithmetic.js';
import { buildItemFilter } from '../../shared/model/filters.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { similarTags } from '../../shared/model/tag-vectors.js';
import { GAMES, GAMES_OWN_TAG_SPACE, loadHandmade, type HandmadeModel } from '../helpers/handmade-artifact.js';

/** The same arithmetic in float64 on the hand-written vectors: an independent reference. */
function reference(m: HandmadeModel, item: string, plus: string[], minus: string[]) {
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
  const tag = (id: string) => unit(m.tags!.find((t) => t.id === id)!.vector);
  let q = unit(m.items.find((i) => i.id === item)!.vector);
  for (const t of plus) q = q.map((x, j) => x + tag(t)[j]);
  for (const t of minus) q = q.map((x, j) => x - tag(t)[j]);
  q = unit(q);
  return m.items
    .filter((i) => i.id !== item)
    .map((i) => ({ id: i.id, score: unit(i.vector).reduce((s, x, j) => s + x * q[j], 0) }))
    .sort((a, b) => b.score - a.score);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as EdgerecError).code;
  }
  return 'no error';
}

describe('item ± tag arithmetic on a hand-made 4-d model (tags in the item space)', () => {
  let m: LoadedModel;
  beforeAll(async () => {
    m = await loadHandmade(GAMES, 'games');
  });
  afterAll(() => m?.dispose());

  const ix = (id: string) => m.items.indexOf(id, 'games');
  const tx = (id: string) => m.tags!.index.indexOf(id, 'games');
  const ids = (r: { index: number }[]) => r.map((s) => m.items.ids[s.index]);

  it('Age of Myth minus Fantasy: Grand Strategy first, then War Command (worked on paper)', () => {
    const { results, cosineToItem } = itemArithmetic(m, { item: ix('aom'), plus: [], minus: [tx('Fantasy')] }, 5);
    expect(ids(results)).toEqual(['gs', 'wc', 'fm', 'fq', 'dw']);
    expect(results.map((r) => r.score)).toEqual([0.923, 0.653, 0.265, -0.194, -0.257].map((x) => expect.closeTo(x, 3)));
    // (0.924, -0.383) against (0.707, 0.707): cos 22.5 deg + 45 deg = cos 67.5 deg.
    expect(cosineToItem).toBeCloseTo(Math.cos((67.5 * Math.PI) / 180), 5);
  });

  it.each([
    ['aom', [], ['Fantasy']],
    ['aom', ['War'], ['Fantasy']],
    ['aom', ['Fantasy'], []],
    ['fm', ['Strategy', 'Strategy'], ['War']],
  ])('%s + %j - %j equals the float64 reference: ids in order, scores within 1e-6', (item, plus, minus) => {
    const got = itemArithmetic(m, { item: ix(item), plus: plus.map(tx), minus: minus.map(tx) }, 5).results;
    const want = reference(GAMES, item, plus, minus);
    expect(ids(got)).toEqual(want.map((w) => w.id));
    got.forEach((g, j) => expect(Math.abs(g.score - want[j].score)).toBeLessThan(1e-6));
  });

  it('adding War turns the answer to War Command', () => {
    const { results } = itemArithmetic(m, { item: ix('aom'), plus: [tx('War')], minus: [tx('Fantasy')] }, 2);
    expect(ids(results)).toEqual(['wc', 'gs']);
  });

  it('with no tags it is similar items (same order, same scores)', () => {
    const got = itemArithmetic(m, { item: ix('aom'), plus: [], minus: [] }, 5).results;
    const want = similarItems(m, ix('aom'), 5);
    expect(ids(got)).toEqual(ids(want));
    got.forEach((g, j) => expect(g.score).toBeCloseTo(want[j].score, 6));
  });

  it('the moved vector is unit length', () => {
    const v = arithmeticVector(m, { item: ix('dw'), plus: [tx('Strategy')], minus: [tx('War'), tx('Fantasy')] });
    expect(Math.hypot(...v)).toBeCloseTo(1, 6);
  });

  it('applies an item filter: only War items, the starting item still excluded', () => {
    const filter = buildItemFilter(m, { tags: ['War'], exclude: [] });
    const { results } = itemArithmetic(m, { item: ix('aom'), plus: [], minus: [tx('Fantasy')] }, 5, filter);
    expect(ids(results)).toEqual(['wc', 'dw']);
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    itemArithmetic(m, { item: ix('aom'), plus: [tx('War')], minus: [tx('Fantasy')] }, 3, buildItemFilter(m, { tags: ['War'] }));
    similarTags(m, tx('War'), 2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('similar tags: War -> Strategy (0.470), then Fantasy (0)', () => {
    const r = similarTags(m, tx('War'), 5);
    expect(r.map((s) => m.tags!.index.ids[s.index])).toEqual(['Strategy', 'Fantasy']);
    const cos = (1 * 0.2 + 0.3 * 1) / (Math.hypot(1, 0.3) * Math.hypot(0.2, 1));
    expect(r[0].score).toBeCloseTo(cos, 6);
    expect(r[1].score).toBeCloseTo(0, 6);
  });
});

describe('arithmetic refuses what it cannot answer', () => {
  it('tags in their own space (bpr): 400 tags_not_in_item_space', async () => {
    const m = await loadHandmade(GAMES_OWN_TAG_SPACE, 'games-bpr');
    try {
      expect(codeOf(() => arithmeticVector(m, { item: 0, plus: [], minus: [0] }))).toBe('tags_not_in_item_space');
      expect(() => arithmeticVector(m, { item: 0, plus: [], minus: [0] })).toThrow(/own 3-d space, not in the items' 4-d space/);
      // Similar tags still work within their own space.
      expect(similarTags(m, 2, 1).map((s) => m.tags!.index.ids[s.index])).toEqual(['Strategy']);
    } finally {
      m.dispose();
    }
  });

  it('no tag embeddings: 400 no_tag_embeddings', async () => {
    const m = await loadHandmade({ ...GAMES, tags: undefined }, 'plain');
    try {
      expect(codeOf(() => arithmeticVector(m, { item: 0, plus: [], minus: [] }))).toBe('no_tag_embeddings');
      expect(codeOf(() => similarTags(m, 0, 3))).toBe('no_tag_embeddings');
    } finally {
      m.dispose();
    }
  });

  it('an item minus its own direction cancels out: 400 degenerate_query', async () => {
    const m = await loadHandmade({
      kind: 'itemtag',
      items: [
        { id: 'x', title: 'X', vector: [0, 2, 0] },
        { id: 'y', title: 'Y', vector: [1, 0, 0] },
      ],
      tags: [{ id: 'F', vector: [0, 3, 0] }],
    });
    try {
      expect(codeOf(() => itemArithmetic(m, { item: 0, plus: [], minus: [0] }, 1))).toBe('degenerate_query');
    } finally {
      m.dispose();
    }
  });
});
