import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TensorInput } from '../../shared/artifact/encode.js';
import type { HeadSpec } from '../../shared/artifact/schema.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { recommendForUser } from '../../shared/model/queries.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { loadHandmadeInMemory, type HandmadeModel } from '../helpers/handmade-artifact.js';

const USERS = [[1, 2], [0, -1]];
const ITEMS = [[1, 0], [0.5, 0.5], [-1, 1]];

/** Users [1, 2] and [0, -1], items [1, 0], [0.5, 0.5], [-1, 1]; biases or a head as given. */
function model(o: { biases?: { user: number[]; item: number[]; global: number }; head?: HandmadeModel['head'] }): Promise<LoadedModel> {
  return loadHandmadeInMemory({
    kind: o.head ? 'deep' : 'mf',
    items: ITEMS.map((vector, i) => ({ id: 'abc'[i], title: 'abc'[i], vector, bias: o.biases?.item[i] })),
    users: USERS.map((vector, u) => ({ id: `u${u}`, vector, bias: o.biases?.user[u] })),
    ...(o.biases ? { globalBias: o.biases.global } : { rowBiases: false }),
    ratingRange: [1, 5],
    head: o.head,
    dataset: 'hand',
  }, 'hand');
}
const vec = (name: string, v: number[]): TensorInput => ({ name, data: Float32Array.from(v), shape: [v.length], dtype: 'f32' });
const mat = (name: string, rows: number[][]): TensorInput => ({ name, data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length], dtype: 'f32' });

describe('scoreAllItems: every item for a batch of users, as recommendForUser scores them', () => {
  beforeAll(useWasmBackend);

  it('dot-product model: global + user bias + item bias + u . v, unclipped, [B, N] row-major', async () => {
    const m = await model({ biases: { user: [0.5, -1], item: [0, 1, 2], global: 3 } });
    const before = tf.memory().numTensors;
    const s = scoreAllItems(m, Int32Array.of(1, 0, 1));
    expect(tf.memory().numTensors).toBe(before);
    // u0 . items = 1, 1.5, 1; u1 . items = 0, -0.5, -1.  + 3 + b_u + b_i
    const u0 = [1 + 3.5 + 0, 1.5 + 3.5 + 1, 1 + 3.5 + 2];
    const u1 = [0 + 2 + 0, -0.5 + 2 + 1, -1 + 2 + 2];
    [...u1, ...u0, ...u1].forEach((want, k) => expect(s[k]).toBeCloseTo(want, 5));
    expect(recommendForUser(m, 0, 3, false).map((r) => r.index)).toEqual([2, 1, 0]);
    expect(scoreAllItems(m, new Int32Array(0))).toHaveLength(0);
    expect(() => scoreAllItems(m, Int32Array.of(2))).toThrow(/user index 2 is outside the model's 2 users/);
    m.dispose();
  });

  it('head model: the network output per (user, item), the same numbers recommendForUser ranks', async () => {
    // relu([u ; v] K0 + b0) K1 + b1 with K0 = [[1,0],[0,1],[1,-1],[2,0]], b0 = [0,-1], K1 = [[2],[-1]], b1 = [0.5].
    const head: HeadSpec = {
      inputs: ['user', 'item'],
      layers: [
        { kernel: 'k0', bias: 'b0', activation: 'relu' },
        { kernel: 'k1', bias: 'b1', activation: 'linear' },
      ],
      output: { type: 'regression' },
    };
    const m = await model({ head: { spec: head, tensors: [mat('k0', [[1, 0], [0, 1], [1, -1], [2, 0]]), vec('b0', [0, -1]), mat('k1', [[2], [-1]]), vec('b1', [0.5])] } });
    // u0 = [1,2]: i0 h = relu([2,1] + b0) = [2,0] -> 4.5; i1 h = [2.5,0.5] -> 5; i2 h = [2,2] -> 2.5.
    // u1 = [0,-1]: i0 h = relu([1,-3]) = [1,0] -> 2.5; i1 h = [1.5,0] -> 3.5; i2 h = relu([1,-1]) = [1,0] -> 2.5.
    const s = scoreAllItems(m, Int32Array.of(0, 1));
    [4.5, 5, 2.5, 2.5, 3.5, 2.5].forEach((want, k) => expect(s[k]).toBeCloseTo(want, 5));
    const rec = recommendForUser(m, 0, 3, false);
    expect(rec.map((r) => r.index)).toEqual([1, 0, 2]);
    rec.forEach((r) => expect(r.score).toBeCloseTo(s[r.index], 5));
    m.dispose();
  });
});
