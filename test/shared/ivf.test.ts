import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DType } from '../../shared/artifact/schema.js';
import { inMemory, type DecodedArtifact, type DecodedTensor } from '../../shared/artifact/decode.js';
import { quantizeQ8, rowFactorsQ8 } from '../../shared/artifact/q8.js';
import { IVF_TENSORS } from '../../shared/model/ivf.js';
import { buildIvf } from '../../training/export/ivf-index.js';
import { loadModel, TENSOR_NAMES } from '../../shared/model/loaded.js';
import { normalizeRows } from '../../shared/model/row-math.js';
import { similarItems } from '../../shared/model/queries.js';
import { createRng, randomNormal } from '../../training/data/random.js';
import { useWasmBackend } from '../../training/tf-node.js';

// Known answer: 1,200 items around 12 well separated directions in 16-d; an index of 12 partitions must recover
// them, and similar items through the index must equal exact search once every partition is probed.
const N = 1200;
const D = 16;
const CLUSTERS = 12;

function plantedItems(): { data: Float32Array; cluster: Int32Array } {
  const rng = createRng(3);
  const centres = Float32Array.from({ length: CLUSTERS * D }, () => randomNormal(rng));
  const data = new Float32Array(N * D);
  const cluster = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    cluster[i] = i % CLUSTERS;
    const len = 0.5 + rng();
    for (let k = 0; k < D; k++) data[i * D + k] = len * (centres[cluster[i] * D + k] + 0.15 * randomNormal(rng));
  }
  return { data, cluster };
}

function artifact(data: Float32Array, index?: { centroids: Float32Array; assign: Int32Array; parts: number; probe: unknown }, q8 = true): DecodedArtifact {
  const tensors = new Map<string, DecodedTensor>();
  if (q8) {
    const q = quantizeQ8(data, N, D);
    const deq = Float32Array.from(q.values, (v, j) => v * q.scales[Math.floor(j / D)]);
    tensors.set(TENSOR_NAMES.itemFactors, { shape: [N, D], dtype: DType.q8, data: deq, q8: { ...q, ...rowFactorsQ8(q.values, q.scales, N, D) } });
  } else {
    tensors.set(TENSOR_NAMES.itemFactors, { shape: [N, D], dtype: DType.f32, data });
  }
  if (index) {
    tensors.set(IVF_TENSORS.centroids, { shape: [index.parts, D], dtype: DType.f32, data: index.centroids });
    tensors.set(IVF_TENSORS.assign, { shape: [N], dtype: DType.f32, data: Float32Array.from(index.assign) });
  }
  return {
    manifest: {
      format: 'edgerec-artifact',
      formatVersion: 2,
      model: { kind: 'mf', hyper: index ? { ivfProbe: index.probe as number } : {} },
      counts: { users: 0, items: N },
      tensors: [],
      tensorsSha256: '',
      tensorsBytes: 0,
      metrics: { float: {}, quantized: {}, baselines: {} },
      dataset: { name: 't', fingerprint: 'x', ratings: 0, split: 's' },
      createdAt: '2026-01-01T00:00:00.000Z',
    },
    ...inMemory({ items: Array.from({ length: N }, (_, i) => ({ id: String(i), title: `t${i}` })), users: [], seen: { indptr: [], indices: [] } }),
    tensors,
  };
}

describe('coarse index (IVF) for similar items', () => {
  const { data, cluster } = plantedItems();
  let built: { centroids: Float32Array; assign: Int32Array };

  beforeAll(async () => {
    await useWasmBackend();
    built = buildIvf(normalizeRows(data, N, D), N, D, { parts: CLUSTERS, iterations: 6, seed: 5 });
  });

  it('k-means recovers the planted clusters (seeded floor): 10+ of 12 partitions hold one cluster, none is split in 3', () => {
    const byPart = new Map<number, Set<number>>();
    const byCluster = new Map<number, Set<number>>();
    built.assign.forEach((p, i) => {
      byPart.set(p, (byPart.get(p) ?? new Set()).add(cluster[i]));
      byCluster.set(cluster[i], (byCluster.get(cluster[i]) ?? new Set()).add(p));
    });
    expect([...byPart.values()].filter((s) => s.size === 1).length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...[...byCluster.values()].map((s) => s.size))).toBeLessThanOrEqual(2);
  });

  it('on the kernel, probing every partition is exact search on q8 weights bit for bit (ids in order, equal scores)', () => {
    // Same query vector, i16 rounding, integer dot products and cosine factors as the exact engine path: a probed
    // item scores exactly what exact search gives it, so the only loss is the partitions left unprobed.
    const exact = loadModel('e', 'v', artifact(data));
    const ivf = loadModel('i', 'v', artifact(data, { ...built, parts: CLUSTERS, probe: CLUSTERS }));
    try {
      expect(exact.scorer).toBe('engine');
      expect(ivf.ivf?.engine).toBeDefined();
      expect(ivf.ivf?.codes).toBeUndefined();
      for (const i of [0, 7, 599, 1199]) {
        const want = similarItems(exact, i, 10, new Set([(i + 1) % N]));
        const got = similarItems(ivf, i, 10, new Set([(i + 1) % N]));
        expect(got).toEqual(want);
        expect(got.some((s) => s.index === i || s.index === (i + 1) % N)).toBe(false);
      }
      // Hidden items are left out as exact search leaves them out.
      ivf.hidden = new Set([similarItems(exact, 5, 1)[0].index]);
      exact.hidden = ivf.hidden;
      expect(similarItems(ivf, 5, 10)).toEqual(similarItems(exact, 5, 10));
    } finally {
      exact.dispose();
      ivf.dispose();
    }
  });

  it('without a kernel (scorer tfjs), probing every partition equals tfjs exact search on q8 weights within 1e-6', () => {
    // The TS scan over dequantised int8 codes against the tfjs scan over the same rows (1e-6: f32 summation order).
    const exact = loadModel('e', 'v', artifact(data), { scorer: 'tfjs' });
    const ivf = loadModel('i', 'v', artifact(data, { ...built, parts: CLUSTERS, probe: CLUSTERS }), { scorer: 'tfjs' });
    try {
      expect(ivf.ivf?.probe).toBe(CLUSTERS);
      expect(ivf.ivf?.codes).toBeInstanceOf(Int8Array);
      for (const i of [0, 7, 599, 1199]) {
        const want = similarItems(exact, i, 10, new Set([i + 1]));
        const got = similarItems(ivf, i, 10, new Set([i + 1]));
        expect(got.map((s) => s.index)).toEqual(want.map((s) => s.index));
        got.forEach((s, r) => expect(Math.abs(s.score - want[r].score)).toBeLessThan(1e-6));
        expect(got.some((s) => s.index === i || s.index === i + 1)).toBe(false);
      }
    } finally {
      exact.dispose();
      ivf.dispose();
    }
  });

  it('probing every partition equals exact search on f32 weights too (rows kept as f32)', () => {
    const exact = loadModel('e', 'v', artifact(data, undefined, false));
    const ivf = loadModel('i', 'v', artifact(data, { ...built, parts: CLUSTERS, probe: CLUSTERS }, false));
    try {
      expect(ivf.ivf?.codes).toBeInstanceOf(Float32Array);
      for (const i of [0, 7, 599, 1199]) {
        const want = similarItems(exact, i, 10);
        const got = similarItems(ivf, i, 10);
        expect(got.map((s) => s.index)).toEqual(want.map((s) => s.index));
        got.forEach((s, r) => expect(Math.abs(s.score - want[r].score)).toBeLessThan(1e-6));
      }
    } finally {
      exact.dispose();
      ivf.dispose();
    }
  });

  it('one probe finds the neighbours inside the query item\'s own cluster', () => {
    const ivf = loadModel('i', 'v', artifact(data, { ...built, parts: CLUSTERS, probe: 1 }));
    try {
      for (const i of [3, 100, 1000]) {
        const got = similarItems(ivf, i, 10);
        expect(got).toHaveLength(10);
        expect(got.every((s) => cluster[s.index] === cluster[i])).toBe(true);
      }
    } finally {
      ivf.dispose();
    }
  });

  it('keeps the index outside the backend: same tensors as without it, none left by a query', () => {
    const before = tf.memory().numTensors;
    const ivf = loadModel('i', 'v', artifact(data, { ...built, parts: CLUSTERS, probe: 2 }));
    const withIndex = tf.memory().numTensors - before;
    const plain = loadModel('e', 'v', artifact(data));
    expect(tf.memory().numTensors - before - withIndex).toBe(withIndex);
    const held = tf.memory().numTensors;
    similarItems(ivf, 5, 10);
    expect(tf.memory().numTensors).toBe(held);
    ivf.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    [{ probe: 0 }, /ivfProbe is 0: it must be an integer in 1\.\.12/],
    [{ probe: 'x' }, /ivfProbe is "x"/],
    [{ assign: Int32Array.from({ length: N }, (_, i) => (i === 9 ? 12 : 0)) }, /item 9 is in partition 12, outside 0\.\.11/],
  ])('refuses a bad index (%o)', (over, message) => {
    expect(() => loadModel('i', 'v', artifact(data, { ...built, parts: CLUSTERS, probe: 2, ...over }))).toThrow(message);
  });

  it('refuses half an index', () => {
    const a = artifact(data, { ...built, parts: CLUSTERS, probe: 2 });
    a.tensors.delete(IVF_TENSORS.assign);
    expect(() => loadModel('i', 'v', a)).toThrow(/needs both ivf_centroids and ivf_assign/);
  });
});
