import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TensorInput } from '../../shared/artifact/encode.js';
import type { HeadSpec } from '../../shared/artifact/schema.js';
import { ITEM_FEATURES_TENSOR } from '../../shared/model/head.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings, recommendForUser, similarItems } from '../../shared/model/queries.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { loadHandmadeInMemory } from '../helpers/handmade-artifact.js';

// A 2-layer head worked out by hand. Inputs: user (2) + item (2) + item_features (1) = 5.
const USERS = [[1, 2], [0, -1]];
const ITEMS = [[1, 0], [0.5, 0.5], [-1, 1]];
const FEATURES = [[1], [0], [2]];
const K0 = [[1, 0], [0, 1], [1, -1], [2, 0], [0, 1]]; // rows: user0 user1 item0 item1 feature
const B0 = [0, -1];
const K1 = [[2], [-1]];
const B1 = [0.5];
// relu(x K0 + B0) K1 + B1, by hand:
// (u0,i0) x=[1,2,1,0,1]:     h=[2, 1]           -> 4 - 1 + 0.5 = 3.5
// (u0,i1) x=[1,2,.5,.5,0]:   h=[2.5, 0.5]       -> 5 - 0.5 + 0.5 = 5
// (u0,i2) x=[1,2,-1,1,2]:    h=[2, 4]           -> 4 - 4 + 0.5 = 0.5
// (u1,i0) x=[0,-1,1,0,1]:    h=[1, relu(-2)=0]  -> 2.5
// (u1,i1) x=[0,-1,.5,.5,0]:  h=[1.5, 0]         -> 3.5
// (u1,i2) x=[0,-1,-1,1,2]:   h=[1, 1]           -> 1.5
const HAND = [[3.5, 5, 0.5], [2.5, 3.5, 1.5]];
const HIDDEN = [[[2, 1], [2.5, 0.5], [2, 4]], [[1, 0], [1.5, 0], [1, 1]]];

function headModel(head: HeadSpec, last: { kernel: number[][]; bias: number[] }, ratingRange: [number, number] = [1, 5]): Promise<LoadedModel> {
  const t = (name: string, rows: number[][]): TensorInput => ({ name, data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length], dtype: 'f32' });
  const tensors: TensorInput[] = [
    t(ITEM_FEATURES_TENSOR, FEATURES),
    t('head_0_kernel', K0),
    { name: 'head_0_bias', data: Float32Array.from(B0), shape: [2], dtype: 'f32' },
    t('head_1_kernel', last.kernel),
    { name: 'head_1_bias', data: Float32Array.from(last.bias), shape: [last.bias.length], dtype: 'f32' },
  ];
  return loadHandmadeInMemory({
    kind: 'hybrid',
    items: ITEMS.map((vector, i) => ({ id: 'abc'[i], title: 'abc'[i], vector })),
    users: USERS.map((vector, u) => ({ id: `u${u}`, vector, seen: u === 0 ? ['b'] : [] })),
    rowBiases: false,
    ratingRange,
    head: { spec: head, tensors },
    dataset: 'hand',
  }, 'hand');
}

const REGRESSION: HeadSpec = {
  inputs: ['user', 'item', 'item_features'],
  layers: [
    { kernel: 'head_0_kernel', bias: 'head_0_bias', activation: 'relu' },
    { kernel: 'head_1_kernel', bias: 'head_1_bias', activation: 'linear' },
  ],
  output: { type: 'regression' },
};

describe('a dense head served through shared/ (hand-computed 2-layer MLP)', () => {
  beforeAll(useWasmBackend);

  it('predictRatings equals the hand-computed values, clipped to the rating range', async () => {
    const m = await headModel(REGRESSION, { kernel: K1, bias: B1 });
    const pairs = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]];
    const got = predictRatings(m, Int32Array.from(pairs, (p) => p[0]), Int32Array.from(pairs, (p) => p[1]));
    const want = pairs.map(([u, i]) => Math.min(5, Math.max(1, HAND[u][i])));
    got.forEach((g, k) => expect(g).toBeCloseTo(want[k], 5));
    m.dispose();
  });

  it('recommendForUser scores every item with the head (raw, unclipped) and skips seen items', async () => {
    const m = await headModel(REGRESSION, { kernel: K1, bias: B1 });
    const all = recommendForUser(m, 0, 3, false);
    expect(all.map((s) => s.index)).toEqual([1, 0, 2]);
    all.forEach((s) => expect(s.score).toBeCloseTo(HAND[0][s.index], 5));
    // u0 saw item 1 in training.
    expect(recommendForUser(m, 0, 3, true).map((s) => s.index)).toEqual([0, 2]);
    expect(recommendForUser(m, 1, 3, true).map((s) => s.index)).toEqual([1, 0, 2]);
    m.dispose();
  });

  it('a classes head predicts the expected rating over its softmax', async () => {
    const K1c = [[1, 0, -1], [0, 1, 0]];
    const classes: HeadSpec = {
      ...REGRESSION,
      layers: [REGRESSION.layers[0], { kernel: 'head_1_kernel', bias: 'head_1_bias', activation: 'softmax' }],
      output: { type: 'classes', values: [1, 2, 3] },
    };
    const m = await headModel(classes, { kernel: K1c, bias: [0, 0, 0.5] }, [1, 3]);
    const expected = (h: number[]) => {
      const logits = [h[0], h[1], -h[0] + 0.5];
      const e = logits.map(Math.exp);
      const s = e.reduce((a, b) => a + b);
      return e.reduce((acc, x, c) => acc + (x / s) * (c + 1), 0);
    };
    const got = predictRatings(m, Int32Array.of(0, 0, 1), Int32Array.of(0, 2, 1));
    [expected(HIDDEN[0][0]), expected(HIDDEN[0][2]), expected(HIDDEN[1][1])].forEach((w, k) => expect(got[k]).toBeCloseTo(w, 5));
    expect(expected(HIDDEN[0][0])).toBeCloseTo(1.3064, 3); // h=[2,1]: logits [2, 1, -1.5]
    m.dispose();
  });

  it('similar items still use the item embeddings (cosine), head or not', async () => {
    const m = await headModel(REGRESSION, { kernel: K1, bias: B1 });
    // item 1 (0.5, 0.5) is at 45 degrees from item 0 (1, 0) and 90 from item 2 (-1, 1).
    expect(similarItems(m, 1, 2).map((s) => s.index)).toEqual([0, 2]);
    m.dispose();
  });

  it('holds and frees its tensors: no leak across load, queries and dispose', async () => {
    const before = tf.memory().numTensors;
    const m = await headModel(REGRESSION, { kernel: K1, bias: B1 });
    predictRatings(m, Int32Array.of(0, 1), Int32Array.of(2, 2));
    recommendForUser(m, 1, 2, true);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['a kernel that does not fit the inputs', { ...REGRESSION, inputs: ['user', 'item'] }, /head layer 0: kernel is \[5,2\], the inputs user \+ item \(2 \+ 2\) need 4 rows/],
    ['a missing tensor', { ...REGRESSION, layers: [REGRESSION.layers[0], { kernel: 'nope', bias: 'head_1_bias', activation: 'linear' }] }, /head layer 1 kernel: the artifact has no tensor "nope"/],
    ['softmax on a hidden layer', { ...REGRESSION, layers: [{ ...REGRESSION.layers[0], activation: 'softmax' }, REGRESSION.layers[1]] }, /softmax is only allowed on the last layer/],
    ['classes without softmax', { ...REGRESSION, output: { type: 'classes', values: [1] } }, /class values needs a softmax last layer/],
    ['unknown inputs', { ...REGRESSION, inputs: ['user', 'item', 'mood'] }, /must list user and item once each/],
  ] as [string, HeadSpec, RegExp][])('refuses %s with an ArtifactError, leaking nothing', async (_, head, message) => {
    const before = tf.memory().numTensors;
    await expect(headModel(head, { kernel: K1, bias: B1 })).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });
});
