import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgerecError } from '../../shared/errors.js';
import { buildItemFilter } from '../../shared/model/filters.js';
import { ExampleMethod, fitLogistic, MAX_EXAMPLES, recommendFromExamples } from '../../shared/model/from-examples.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { createRng } from '../../training/data/random.js';
import { loadHandmade, type HandmadeModel } from '../helpers/handmade-artifact.js';

/**
 * Unit vectors on a half circle at these angles (degrees). Liked at 7 and 19, disliked at their mirror images 173
 * and 161: by symmetry the fitted w points along +x with b = 0, so every item ranks by cos(angle).
 */
const ANGLES = [0, 7, 19, 33, 50, 68, 90, 115, 140, 161, 173];
const halfCircle: HandmadeModel = {
  kind: 'itemtag',
  items: ANGLES.map((a) => ({
    id: `a${a}`,
    title: `${a} degrees`,
    tags: [a < 90 ? 'East' : 'West'],
    vector: [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)],
  })),
};

/** Mean over examples of the loss gradient, recomputed here independently: zero at the optimum. */
function gradientNorm(x: number[][], y: number[], w: Float64Array, b: number, lambda: number): number {
  const pos = y.filter((v) => v > 0).length;
  const g = new Array(w.length + 1).fill(0);
  x.forEach((row, i) => {
    const weight = y[i] > 0 ? 0.5 / pos : 0.5 / (y.length - pos);
    const m = y[i] * (row.reduce((s, v, j) => s + v * w[j], 0) + b);
    const s = (-weight * y[i]) / (1 + Math.exp(m));
    row.forEach((v, j) => (g[j] += s * v));
    g[w.length] += s;
  });
  w.forEach((v, j) => (g[j] += lambda * v));
  return Math.max(...g.map(Math.abs));
}

describe('fitLogistic', () => {
  it('separable toy data: w along the separating axis, every example classified, converged', () => {
    const rng = createRng(9);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 40; i++) {
      const label = i % 2 ? 1 : -1;
      const v = [label * (0.6 + 0.3 * rng()), rng() - 0.5, rng() - 0.5];
      const n = Math.hypot(...v);
      rows.push(v.map((c) => c / n));
      y.push(label);
    }
    const fit = fitLogistic(Float32Array.from(rows.flat()), Int8Array.from(y), 3);
    expect(fit.converged).toBe(true);
    expect(fit.trainAccuracy).toBe(1);
    expect(fit.lambda).toBeCloseTo(1 / 40, 12);
    const cosToAxis = fit.w[0] / Math.hypot(...fit.w);
    expect(cosToAxis).toBeGreaterThan(0.95);
    // The optimality condition, checked with an independent gradient (float32 inputs: 1e-5).
    expect(gradientNorm(rows.map((r) => r.map(Math.fround)), y, fit.w, fit.b, fit.lambda)).toBeLessThan(1e-5);
  });

  it('is deterministic: the same examples give bit-identical weights', () => {
    const x = Float32Array.of(1, 0, 0.8, 0.6, -1, 0, -0.6, -0.8);
    const y = Int8Array.of(1, 1, -1, -1);
    const a = fitLogistic(x, y, 2);
    const b = fitLogistic(x, y, 2);
    expect(Array.from(a.w)).toEqual(Array.from(b.w));
    expect(a.b).toBe(b.b);
    expect(a.iterations).toBe(b.iterations);
  });

  it('mirror-symmetric classes give w along the mirror axis and b = 0', () => {
    const x = Float32Array.of(0.6, 0.8, 0.8, 0.6, -0.6, 0.8, -0.8, 0.6);
    const fit = fitLogistic(x, Int8Array.of(1, 1, -1, -1), 2);
    expect(fit.w[0]).toBeGreaterThan(0.1);
    expect(Math.abs(fit.w[1])).toBeLessThan(1e-6);
    expect(Math.abs(fit.b)).toBeLessThan(1e-6);
  });

  it('refuses a single class', () => {
    expect(() => fitLogistic(Float32Array.of(1, 0), Int8Array.of(1), 2)).toThrow(/needs both labels, got 1 positive of 1/);
  });
});

describe('recommendations from examples on known geometry', () => {
  let m: LoadedModel;
  beforeAll(async () => {
    m = await loadHandmade(halfCircle, 'half-circle');
  });
  afterAll(() => m?.dispose());
  const ix = (...angles: number[]) => angles.map((a) => m.items.indexOf(`a${a}`, 'half-circle'));
  const angles = (r: { index: number }[]) => r.map((s) => Number(m.items.ids[s.index].slice(1)));

  it('liked 7 and 19, disliked 161 and 173: the classifier ranks by cos(angle), examples excluded', () => {
    const a = recommendFromExamples(m, ix(7, 19), ix(173, 161), 3);
    expect(a.method).toBe(ExampleMethod.logistic);
    expect(angles(a.best)).toEqual([0, 33, 50]);
    expect(angles(a.worst)).toEqual([140, 115, 90]);
    expect(a.fit!.converged).toBe(true);
    expect(a.fit!.trainAccuracy).toBe(1);
    // Scores are decision values w . x + b: positive on the liked side, negative on the other, 0 at 90 degrees.
    expect(a.best.every((s) => s.score > 0)).toBe(true);
    expect(a.worst[0].score).toBeLessThan(0);
    expect(a.worst[2].score).toBeCloseTo(0, 5);
  });

  it('one liked item, nothing disliked: its nearest neighbours, as similar items gives them', () => {
    const a = recommendFromExamples(m, ix(33), [], 4);
    expect(a.method).toBe(ExampleMethod.nearLiked);
    expect(angles(a.best)).toEqual([19, 50, 7, 0]);
    expect(angles(a.worst)).toEqual([173, 161, 140, 115]);
    const sim = similarItems(m, ix(33)[0], 4);
    expect(a.best.map((s) => s.index)).toEqual(sim.map((s) => s.index));
    a.best.forEach((s, j) => expect(s.score).toBeCloseTo(sim[j].score, 5));
  });

  it('only disliked items: the farthest from their mean first', () => {
    const a = recommendFromExamples(m, [], ix(161, 173), 3);
    expect(a.method).toBe(ExampleMethod.farFromDisliked);
    expect(angles(a.best)).toEqual([0, 7, 19]);
    expect(angles(a.worst)).toEqual([140, 115, 90]);
  });

  it('a filter narrows both lists', () => {
    const a = recommendFromExamples(m, ix(7, 19), ix(173, 161), 3, buildItemFilter(m, { tags: ['West'] }));
    expect(angles(a.best)).toEqual([90, 115, 140]);
    expect(angles(a.worst)).toEqual([140, 115, 90]);
  });

  it('refuses no examples and too many', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as EdgerecError).code;
      }
    };
    expect(code(() => recommendFromExamples(m, [], [], 3))).toBe('no_examples');
    const many = Array.from({ length: MAX_EXAMPLES + 1 }, (_, i) => i % 11);
    expect(code(() => recommendFromExamples(m, many, [], 3))).toBe('too_many_examples');
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    recommendFromExamples(m, ix(7), ix(173), 3);
    recommendFromExamples(m, ix(7), [], 3, buildItemFilter(m, { tags: ['East'] }));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('recommendations from examples: a planted taste in 16-d (seeded quality floor)', () => {
  it('10 liked and 10 disliked along a hidden direction: the best 10 lie on its positive side, the worst on its negative', async () => {
    const rng = createRng(21);
    const d = 16;
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const taste = Array.from({ length: d }, gauss);
    const items = Array.from({ length: 300 }, (_, i) => ({ id: `x${i}`, title: `x${i}`, vector: Array.from({ length: d }, gauss) }));
    const along = (v: number[]) => v.reduce((s, x, j) => s + x * taste[j], 0) / (Math.hypot(...v) * Math.hypot(...taste));
    const m = await loadHandmade({ kind: 'itemtag', items }, 'planted');
    try {
      const order = items.map((it, i) => ({ i, a: along(it.vector) })).sort((p, q) => q.a - p.a);
      // Examples drawn from the clear cases (top and bottom 15%), every third one.
      const liked = order.slice(0, 45).filter((_, j) => j % 3 === 0).slice(0, 10).map((p) => p.i);
      const disliked = order.slice(-45).filter((_, j) => j % 3 === 0).slice(0, 10).map((p) => p.i);
      const a = recommendFromExamples(m, liked, disliked, 10);
      const score = (s: { index: number }) => along(items[s.index].vector);
      expect(a.best.every((s) => score(s) > 0.2)).toBe(true);
      expect(a.worst.every((s) => score(s) < -0.2)).toBe(true);
    } finally {
      m.dispose();
    }
  });
});
