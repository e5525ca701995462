// Filtered queries on a 10k x 64 model, tfjs wasm backend in Node, at several selectivities. Similar items three
// ways: post-filter after a larger topk (topKWhere), a -Infinity additive mask before topk (rankItems, what
// similarItemsWhere does), and scoring only the allowed items (gather their columns). Recommendations: the
// post-filter (recommendForUserWhere) against the unfiltered query.
//   npx tsx bench/filters.ts [--items 10000 --dim 64 --reps 200]
import * as tf from '@tensorflow/tfjs-core';
import { buildItemFilter, rankItems, recommendForUserWhere, similarItemsWhere, topKWhere, type ItemFilter } from '../shared/model/filters.js';
import { TENSOR_NAMES, type LoadedModel } from '../shared/model/loaded.js';
import { recommendForUser, similarItems, type Scored } from '../shared/model/queries.js';
import { cosineTo } from '../shared/model/vectors.js';
import { createRng } from '../training/data/random.js';
import { buildArtifact, serveAndMeasure, type BuiltArtifact } from '../training/export/artifact-builder.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('items', 10_000);
const U = 1000;
const D = arg('dim', 64);
const REPS = arg('reps', 200);
const K = 10;

/** Tag t is carried by a fraction SHARE[t] of the items, independently. */
const SHARE: Record<string, number> = { 'p0.5%': 0.005, 'p2%': 0.02, 'p10%': 0.1, 'p30%': 0.3, 'p70%': 0.7 };

/** The random model as an artifact, built as training builds one (served through loadModel by serveAndMeasure). */
function randomArtifact(): Promise<BuiltArtifact> {
  const rng = createRng(11);
  const items = Float32Array.from({ length: N * D }, () => rng() * 2 - 1);
  const users = Float32Array.from({ length: U * D }, () => rng() * 2 - 1);
  const meta = Array.from({ length: N }, (_, i) => ({
    id: String(i + 1),
    title: `item ${i + 1}`,
    tags: Object.keys(SHARE).filter((t) => rng() < SHARE[t]),
  }));
  return buildArtifact({
    kind: 'bench',
    tensors: [
      { name: TENSOR_NAMES.itemFactors, data: items, shape: [N, D], dtype: 'f32' },
      { name: TENSOR_NAMES.userFactors, data: users, shape: [U, D], dtype: 'f32' },
    ],
    hyper: {},
    quantization: 'f32',
    counts: { users: U, items: N },
    dataset: { name: 'bench', fingerprint: '', ratings: 0, split: '' },
    items: { items: meta, users: Array.from({ length: U }, (_, u) => `u${u}`), seen: { indptr: new Array(U + 1).fill(0), indices: [] } },
    createdAt: new Date(0).toISOString(),
  });
}

/** A third way for small allow-lists: score only the allowed items (gather their columns, one small matMul). */
function similarSubset(model: LoadedModel, i: number, k: number, filter: ItemFilter): Scored[] {
  const cand = Int32Array.from([...(filter.allowed ?? [])].filter((j) => j !== i && !filter.excluded.has(j)));
  if (cand.length === 0) return [];
  let values!: Float32Array, indices!: Int32Array;
  tf.tidy(() => {
    const q = tf.gather(model.itemsUnitT, [i], 1);
    const sub = tf.gather(model.itemsUnitT, cand, 1);
    const top = tf.topk(tf.reshape(tf.matMul(q, sub, true, false), [cand.length]), Math.min(cand.length, k));
    values = top.values.dataSync() as Float32Array;
    indices = top.indices.dataSync() as Int32Array;
  });
  return Array.from(indices, (j, r) => ({ index: cand[j], score: values[r] }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  await serveAndMeasure(await randomArtifact(), measure);
}

function measure(model: LoadedModel): void {
  const rows: Record<string, string | number>[] = [];
  const cases: [string, ItemFilter | undefined][] = [['none', undefined]];
  for (const t of Object.keys(SHARE)) cases.push([t, buildItemFilter(model, { tags: [t] })]);
  cases.push(['exclude 50 ids', buildItemFilter(model, { exclude: Array.from({ length: 50 }, (_, j) => String(j * 7 + 3)) })]);
  for (const [name, filter] of cases) {
    const times = { post: [] as number[], mask: [] as number[], subset: [] as number[], recs: [] as number[] };
    for (let r = 0; r < REPS + 20; r++) {
      const i = (r * 7919) % N;
      // Interleaved, so machine noise hits both alike; the first 20 rounds warm up.
      const t0 = performance.now();
      // Same scoring both ways (cosineTo), so only the filtering differs.
      const a = topKWhere(N, K, filter, (want) => rankItems(model, () => cosineTo(model, i), want, { skip: [i] }));
      const t1 = performance.now();
      const b = similarItemsWhere(model, i, K, filter);
      const t2 = performance.now();
      const c = filter?.allowed ? similarSubset(model, i, K, filter) : b;
      const t3 = performance.now();
      const recs = recommendForUserWhere(model, r % U, K, true, filter);
      const t4 = performance.now();
      if (r >= 20) {
        times.recs.push(t4 - t3);
        times.post.push(t1 - t0);
        times.mask.push(t2 - t1);
        times.subset.push(t3 - t2);
      }
      if (c.map((s) => s.index).join() !== b.map((s) => s.index).join()) throw new Error(`${name}: subset disagrees for item ${i}`);
      if (filter && recs.length !== Math.min(K, (filter.allowed?.size ?? N) - filter.excluded.size)) throw new Error(`${name}: ${recs.length} recommendations`);
      if (!filter && recs.map((s) => s.index).join() !== recommendForUser(model, r % U, K, true).map((s) => s.index).join()) throw new Error('recs differ');
      if (a.map((s) => s.index).join() !== b.map((s) => s.index).join()) throw new Error(`${name}: the two methods disagree for item ${i}`);
    }
    rows.push({
      filter: name,
      passing: filter ? (filter.allowed?.size ?? N) - filter.excluded.size : N,
      'post-filter ms (median)': median(times.post).toFixed(3),
      'mask ms (median)': median(times.mask).toFixed(3),
      'subset ms (median)': filter?.allowed ? median(times.subset).toFixed(3) : '-',
      'recs post-filter ms (median)': median(times.recs).toFixed(3),
    });
  }
  // The scoring itself: queries.ts similarItems multiplies with transposeA; cosineTo reshapes the query to [1, d].
  const cmp = { transposeA: [] as number[], reshape: [] as number[] };
  for (let r = 0; r < REPS + 20; r++) {
    const i = (r * 7919) % N;
    const t0 = performance.now();
    similarItems(model, i, K);
    const t1 = performance.now();
    rankItems(model, () => cosineTo(model, i), K, { skip: [i] });
    const t2 = performance.now();
    if (r >= 20) {
      cmp.transposeA.push(t1 - t0);
      cmp.reshape.push(t2 - t1);
    }
  }
  console.log(`similar items, ${N} x ${D}, k=${K}, ${REPS} queries each, tfjs ${tf.getBackend()}`);
  console.log(
    `unfiltered: similarItems (matMul with transposeA) ${median(cmp.transposeA).toFixed(3)} ms, ` +
      `rankItems(cosineTo) (query reshaped to [1, d]) ${median(cmp.reshape).toFixed(3)} ms`,
  );
  console.log(`filtered similar items and recommendations, ${N} x ${D}, k=${K}, ${REPS} queries each, tfjs ${tf.getBackend()}`);
  console.table(rows);
}

await main();
