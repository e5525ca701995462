// One LoadedModel contract, two scorers: the same q8 artifact loaded on the int8 engine and on tfjs (the wasm
// backend, asserted) answers the same top-k. The engine's answers are pinned to a plain-JS reference computed here
// from the decoded codes (bit-exact); engine against tfjs is compared within a tolerance derived from the engine's
// i16 query rounding, per query:
//
//   quantizeQuery rounds each query element by at most qScale / 2 (qScale = max|q| / 32767), so the score of row i
//   moves by at most factor_i * sum_j |codes_ij| * qScale / 2 (the integer dot product itself is exact). Both
//   scorers read the same dequantised rows, so beyond that only f32 rounding differs (tfjs sums d products in f32:
//   <= d * 2^-24 * sum_j |q_j v_ij|, ~4e-6 relative at d = 64; SLACK below covers it).
//
// The r-th best score of a list whose every entry moves by <= eps moves by <= eps, so scores are compared rank by
// rank; ids are compared where the tfjs scores around a rank are more than 2 eps apart (well separated).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Int8Engine, type TopKResult } from '../../shared/engine/int8-engine.js';
import { cosineFactors, quantizeQuery } from '../../shared/engine/kernel-inputs.js';
import { referenceTopK } from '../../shared/engine/reference-topk.js';
import { defaultInt8Scan, ITEM_TERMS, setDefaultInt8Scan } from '../../shared/model/engine-scorer.js';
import { buildItemFilter, passes, recommendForUserWhere, similarItemsWhere } from '../../shared/model/filters.js';
import { explain } from '../../shared/model/explain.js';
import { foldInImplicit } from '../../shared/model/foldin.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings, recommendForUser, recommendForVector, seenItems, similarItems, type Scored } from '../../shared/model/queries.js';
import { recommendForItems } from '../../shared/model/visitor.js';
import { createRng } from '../../training/data/random.js';
import { loadHandmade, type HandmadeModel } from '../helpers/handmade-artifact.js';

const N = 1500;
const D = 40; // not a multiple of 16: the kernel's row padding is exercised
const R = 24;
const K = 10;
/** f32 rounding beyond the query-rounding bound (see the header), absolute plus relative to the score. */
const slack = (s: number) => 1e-6 + 1e-5 * Math.abs(s);

function model(withRanker: boolean): HandmadeModel {
  const rng = createRng(withRanker ? 11 : 7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const vec = (d: number, len = 1) => Array.from({ length: d }, () => gauss() * len);
  return {
    kind: 'mf',
    quantization: 'q8',
    items: Array.from({ length: N }, (_, i) => ({
      id: `i${i}`,
      title: `Item ${i}`,
      tags: [i % 3 === 0 ? 'Third' : '', i % 97 === 5 ? 'Rare' : ''].filter(Boolean),
      // Lengths spread over 0.2..2 as trained item vectors are (popular items grow long).
      vector: vec(D, 0.1 + rng() * 0.9),
      bias: gauss() * 0.3,
    })),
    users: Array.from({ length: 30 }, (_, u) => ({
      id: `u${u}`,
      vector: vec(D, 0.5),
      bias: 0.05 * u,
      seen: Array.from({ length: 20 + u }, (_, s) => `i${(u * 37 + s * 11) % N}`).filter((v, j, a) => a.indexOf(v) === j),
    })),
    globalBias: 3.5,
    ratingRange: [1, 5],
    foldin: { implicit: { alpha: 10, lambda: 0.1 } },
    ...(withRanker
      ? {
          ranker: {
            spec: { kind: 'ials' as const, alpha: 10, lambda: 0.1, epochs: 5 },
            items: Array.from({ length: N }, () => vec(R, 0.3)),
            users: Array.from({ length: 30 }, () => vec(R, 0.3)),
          },
        }
      : {}),
  };
}

/** Per-query bound on how far the engine's scores sit from exact ones over the same rows (header). */
function roundingBound(codes: Int8Array, factor: Float32Array, cols: number, query: Float32Array): number {
  const { scale } = quantizeQuery(query, cols);
  let worst = 0;
  for (let i = 0; i < factor.length; i++) {
    let l1 = 0;
    for (let c = i * cols; c < (i + 1) * cols; c++) l1 += Math.abs(codes[c]);
    worst = Math.max(worst, Math.abs(factor[i]) * l1 * (scale / 2));
  }
  return worst;
}

/** Engine vs tfjs answers to the same query: rank-by-rank scores within eps, ids equal where well separated. */
function sameTopK(engine: Scored[], tfjs: Scored[], eps: number, k: number): number {
  expect(engine).toHaveLength(Math.min(k, tfjs.length));
  let compared = 0;
  engine.forEach((s, r) => {
    const t = tfjs[r];
    expect(Math.abs(s.score - t.score)).toBeLessThanOrEqual(eps + slack(t.score));
    const gapAbove = r === 0 ? Infinity : tfjs[r - 1].score - t.score;
    const gapBelow = r + 1 < tfjs.length ? t.score - tfjs[r + 1].score : Infinity;
    if (Math.min(gapAbove, gapBelow) > 2 * (eps + slack(t.score))) {
      expect(s.index).toBe(t.index);
      compared++;
    }
  });
  return compared;
}

const asScored = (r: TopKResult): Scored[] => Array.from(r.indices, (index, j) => ({ index, score: r.scores[j] }));

describe('engine and tfjs behind one LoadedModel (q8 artifact, mf with biases)', () => {
  let eng: LoadedModel;
  let tfm: LoadedModel;
  // The plain-JS reference's view of the artifact: the decoded codes, as the engine must read them.
  let codes: Int8Array, scales: Float32Array, cosF: Float32Array, bias: Float32Array, users: Float32Array, userBias: Float32Array;

  beforeAll(async () => {
    const m = model(false);
    eng = await loadHandmade(m, 'eng');
    tfm = await loadHandmade(m, 'tfjs', { scorer: 'tfjs' });
    expect(tf.getBackend()).toBe('wasm');
    expect(eng.scorer).toBe('engine');
    expect(tfm.scorer).toBe('tfjs');
    expect(tfm.engine).toBeUndefined();
    // The codes and scales as the kernel holds them (the model keeps no other copy).
    codes = Int8Array.from({ length: N * D }, (_, j) => eng.engine!.items.row(Math.floor(j / D))[j % D]);
    scales = eng.engine!.items.termValues(ITEM_TERMS.dot, 'factor')!.slice();
    cosF = cosineFactors(codes, scales, N, D);
    bias = eng.itemBias.dataSync() as Float32Array;
    users = eng.userFactors.dataSync() as Float32Array;
    userBias = eng.userBias.dataSync() as Float32Array;
  });
  afterAll(() => {
    eng?.dispose();
    tfm?.dispose();
  });

  /** Item i's unit vector as loaded.ts lays it out (what both scorers query with). */
  const unit = (i: number) => {
    const inv = 1 / Math.fround(Math.sqrt(Array.from(codes.subarray(i * D, (i + 1) * D), (c) => Math.fround(c * scales[i]) ** 2).reduce((a, b) => a + b, 0)));
    return Float32Array.from(codes.subarray(i * D, (i + 1) * D), (c) => Math.fround(c * scales[i]) * inv);
  };

  it('similar items: engine = plain-JS reference exactly; = tfjs within the query-rounding bound', () => {
    let separated = 0;
    for (const i of [0, 1, 17, 700, 1499]) {
      const got = similarItems(eng, i, K);
      const ref = referenceTopK({ codes, rows: N, cols: D, factor: cosF }, unit(i), K, { exclude: [i] });
      expect(got).toEqual(asScored(ref));
      const eps = roundingBound(codes, cosF, D, unit(i));
      // The bound at d = 40 for a unit query: sqrt(40) / 65534 ~ 1e-4 at worst.
      expect(eps).toBeLessThan(Math.sqrt(D) / 65534 + 1e-9);
      separated += sameTopK(got, similarItems(tfm, i, K + 1), eps, K);
      expect(got.some((s) => s.index === i)).toBe(false);
    }
    expect(separated).toBeGreaterThanOrEqual(40);
  });

  it('recommendations: u.v + b_i in the kernel, b_u + global after; seen items excluded in the bitmap', () => {
    let separated = 0;
    for (let u = 0; u < 30; u += 3) {
      const q = users.subarray(u * D, (u + 1) * D);
      const seen = seenItems(eng, u);
      const ref = referenceTopK({ codes, rows: N, cols: D, factor: scales, add: bias }, q, K, { exclude: seen });
      const offset = Math.fround(userBias[u] + eng.globalBias);
      const want = asScored(ref).map((s) => ({ index: s.index, score: Math.fround(s.score + offset) }));
      const got = recommendForUser(eng, u, K, true);
      expect(got).toEqual(want);
      expect(got.some((s) => seen.includes(s.index))).toBe(false);
      separated += sameTopK(got, recommendForUser(tfm, u, K + 1, true), roundingBound(codes, scales, D, q), K);
      // exclude_seen=false: the seen items compete again.
      sameTopK(recommendForUser(eng, u, K, false), recommendForUser(tfm, u, K + 1, false), roundingBound(codes, scales, D, q), K);
    }
    expect(separated).toBeGreaterThanOrEqual(60);
  });

  it('fold-in visitors: the raw dot product (no bias) over item_factors, the given items excluded', () => {
    const items = Int32Array.of(3, 40, 41, 900);
    const x = foldInImplicit(eng, items);
    // The engine's YtY comes from the codes summed in double (no f32 [d, N] matrix), tfjs' from an f32 matMul: the
    // solves agree to f32 rounding, not bit for bit.
    const want = foldInImplicit(tfm, items);
    x.forEach((v, j) => expect(Math.abs(v - want[j])).toBeLessThanOrEqual(1e-6 * Math.max(...Array.from(want, Math.abs))));
    const got = recommendForVector(eng, x, K, new Set(items));
    expect(got).toEqual(asScored(referenceTopK({ codes, rows: N, cols: D, factor: scales }, x, K, { exclude: items })));
    expect(sameTopK(got, recommendForVector(tfm, x, K + 1, new Set(items)), roundingBound(codes, scales, D, x), K)).toBeGreaterThanOrEqual(6);
  });

  it('filters and hidden items go into the bitmap: exactly the brute-force filtered ranking', () => {
    const filter = buildItemFilter(eng, { tags: ['Rare'], exclude: ['i5', 'i102'] })!;
    // Every item, ranked by the reference, then filtered: what a filtered top-k must be.
    const all = asScored(referenceTopK({ codes, rows: N, cols: D, factor: cosF }, unit(8), N, { exclude: [8] }));
    const want = all.filter((s) => passes(filter, s.index)).slice(0, K);
    expect(want.length).toBe(K);
    expect(similarItemsWhere(eng, 8, K, filter)).toEqual(want);
    sameTopK(similarItemsWhere(eng, 8, K, filter), similarItemsWhere(tfm, 8, K, filter), roundingBound(codes, cosF, D, unit(8)), K);
    // A filter passing fewer than k items answers what passes.
    const few = buildItemFilter(eng, { tags: ['Rare'] })!;
    expect(recommendForUserWhere(eng, 4, 100, true, few).map((s) => s.index).sort((a, b) => a - b)).toEqual(
      [...few.allowed!].filter((j) => !seenItems(eng, 4).includes(j)).sort((a, b) => a - b),
    );
    // The visitor route's filter, through the kernel too.
    const visitor = recommendForItems(eng, Int32Array.of(9, 10), K, buildItemFilter(eng, { tags: ['Third'] }));
    expect(visitor.every((s) => s.index % 3 === 0 && s.index !== 9)).toBe(true);
    expect(visitor).toHaveLength(K);
    const before = similarItems(eng, 8, K);
    eng.hidden = new Set([before[0].index, before[3].index]);
    try {
      const after = similarItems(eng, 8, K);
      expect(after.map((s) => s.index)).toEqual(all.filter((s) => !eng.hidden.has(s.index)).slice(0, K).map((s) => s.index));
      expect(recommendForUser(eng, 2, N, false).some((s) => eng.hidden.has(s.index))).toBe(false);
    } finally {
      eng.hidden = new Set();
    }
    // The bitmap is cleared after every query: the same query answers as before.
    expect(similarItems(eng, 8, K)).toEqual(before);
  });
});

describe('the ranker of a rating kind on the engine', () => {
  let eng: LoadedModel;
  let tfm: LoadedModel;
  beforeAll(async () => {
    const m = model(true);
    eng = await loadHandmade(m, 'eng');
    tfm = await loadHandmade(m, 'tfjs', { scorer: 'tfjs' });
  });
  afterAll(() => {
    eng?.dispose();
    tfm?.dispose();
  });

  it('recommendations and visitors rank by rank_user . rank_item from the ranker codes', () => {
    const r = eng.engine!.ranker!;
    expect(r).toBeDefined();
    const rankItems = tfm.ranker!.itemsT.dataSync() as Float32Array; // [R, N], dequantised
    const rankUsers = Float32Array.from({ length: 30 * R }, (_, j) => r.userRow(Math.floor(j / R))[j % R]);
    // Reference over the ranker's codes, recovered from the dequantised rows: code = value / scale, exact for q8.
    let separated = 0;
    for (let u = 0; u < 30; u += 4) {
      const q = rankUsers.subarray(u * R, (u + 1) * R);
      const got = recommendForUser(eng, u, K, true);
      const seen = new Set(seenItems(eng, u));
      // Plain JS, f64 dot products over the dequantised ranker rows: the exact score the engine approximates.
      const exact = Array.from({ length: N }, (_, j) => {
        let s = 0;
        for (let c = 0; c < R; c++) s += q[c] * rankItems[c * N + j];
        return { index: j, score: s };
      })
        .filter((s) => !seen.has(s.index))
        .sort((a, b) => b.score - a.score || a.index - b.index);
      // |q|max * sum_j |v_ij| / 65534 bounds the query rounding; R * |v|max * |q|max bounds the whole score.
      const qmax = Math.max(...Array.from(q, Math.abs));
      const eps = Math.max(...exact.map((_, j) => {
        let l1 = 0;
        for (let c = 0; c < R; c++) l1 += Math.abs(rankItems[c * N + j]);
        return (l1 * qmax) / 65534;
      }));
      separated += sameTopK(got, exact.slice(0, K + 1), eps, K);
      sameTopK(got, recommendForUser(tfm, u, K + 1, true), eps, K);
    }
    expect(separated).toBeGreaterThanOrEqual(40);
    const items = Int32Array.of(1, 2, 3);
    const x = foldInImplicit(eng, items);
    const v = recommendForVector(eng, x, K, new Set(items));
    expect(v.map((s) => s.index)).not.toContain(1);
    sameTopK(v, recommendForVector(tfm, x, K + 1, new Set(items)), 1e-3 * Math.max(...Array.from(x, Math.abs)), K);
  });
});

describe('engine lifecycle', () => {
  it('f32 artifacts stay on tfjs; q8 without a kernel is an error naming the fix; dispose releases the kernel', async () => {
    const m = model(false);
    const f32 = await loadHandmade({ ...m, quantization: 'f32' }, 'f32');
    try {
      expect(f32.scorer).toBe('tfjs');
      expect(f32.engineBytes).toBe(0);
    } finally {
      f32.dispose();
    }
    const saved = defaultInt8Scan();
    setDefaultInt8Scan(undefined);
    try {
      const tensorsBefore = tf.memory().numTensors;
      // loadHandmade calls useWasmBackend(), which registers the kernel again: load through it with the default gone.
      const { readArtifact } = await import('../../training/export/artifact-files.js');
      const { writeHandmadeArtifact } = await import('../helpers/handmade-artifact.js');
      const { loadModel } = await import('../../shared/model/loaded.js');
      const artifact = await readArtifact(await writeHandmadeArtifact(m));
      expect(() => loadModel('x', 'v', artifact)).toThrow(/int8 kernel.*useWasmBackend\(\).*scorer: 'tfjs'/);
      // Nothing leaked by the refused load.
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      const engine = loadModel('x', 'v', artifact, { int8Scan: saved });
      expect(engine.scorer).toBe('engine');
      // Resident: the kernel's memory holds the codes (rows padded to 48 bytes) and three f32 columns.
      expect(engine.engineBytes).toBeGreaterThanOrEqual(N * 48 + 3 * N * 4);
      // No f32 copy of the item table is built for a q8 dot-product model: not by loading, not by similar items or
      // recommendations, and (format 2) not by ratings, explanations or fold-in either: they read the kernel's codes.
      const bytes0 = tf.memory().numBytes;
      const r0 = engine.residentBytes;
      similarItems(engine, 3, K);
      recommendForUser(engine, 3, K, true);
      const rating = predictRatings(engine, Int32Array.of(1), Int32Array.of(2));
      explain(engine, Int32Array.of(4, 5), [6, 7]);
      foldInImplicit(engine, Int32Array.of(1, 2));
      expect(tf.memory().numBytes).toBe(bytes0);
      expect(engine.residentBytes).toBe(r0);
      expect(Array.from(predictRatings(engine, Int32Array.of(1), Int32Array.of(2)))).toEqual(Array.from(rating));
      const kernel: Int8Engine = engine.engine!.items;
      expect(kernel.rows).toBe(N);
      engine.dispose();
      expect(kernel.rows).toBe(0);
      expect(() => kernel.topK(new Float32Array(D), 1)).toThrow(/no matrix loaded/);
    } finally {
      setDefaultInt8Scan(saved);
    }
  });
});
