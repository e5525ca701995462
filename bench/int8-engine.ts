// npx tsx bench/int8-engine.ts [--sizes 10000,60000,250000] [--dim 64] [--queries 100] [--rounds 5] [--data clustered|gaussian]
//
// Similar-items top-10 three ways, side by side in one Node process on the same q8 data:
//   engine  shared/engine/int8-engine.ts: the int8 codes resident, wasm SIMD dot products + top-k in one scan
//   tfjs    today's path (shared/model/queries.ts similarItems): tfjs-wasm matMul of [1, d] by the dequantised unit
//           [d, N] copy, topk(k + 1), dataSync
//   loop    plain TypeScript over the dequantised unit rows [N, d] with a small sorted top-k buffer
// and recall@10 of each against exact cosine on the original f32 data. Not part of npm test (or npm run bench).
// Timing: per size, `rounds` rounds; in each, every impl answers the same `queries` items in turn (interleaved so
// that load from the other engineers on this machine hits all three alike); the median round is reported.
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { dequantizeQ8, quantizeQ8 } from '../shared/artifact/q8.js';
import { Int8Engine } from '../shared/engine/int8-engine.js';
import { cosineFactors } from '../shared/engine/kernel-inputs.js';
import { prng } from '../test/helpers/prng.js';
import { normalizeRows, transpose } from '../shared/model/row-math.js';
import { int8ScanModule } from '../training/engine-node.js';
import { useWasmBackend } from '../training/tf-node.js';

const K = 10;

/**
 * Embedding-like data: 64 cluster centres plus per-item noise, lengths spread over 4x (popular items grow long
 * vectors), so that neighbours are neither all ties (pure gaussian) nor trivially separated.
 */
function makeData(n: number, d: number, seed: number, kind: string): Float32Array {
  const rand = prng(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  if (kind === 'gaussian') return Float32Array.from({ length: n * d }, g);
  if (kind !== 'clustered') throw new Error(`--data ${kind}: expected clustered or gaussian`);
  const centres = Float32Array.from({ length: 64 * d }, g);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * 64);
    const len = 0.5 + 1.5 * rand();
    for (let j = 0; j < d; j++) out[i * d + j] = len * (centres[c * d + j] + 1.2 * g());
  }
  return out;
}

type Answer = Int32Array | number[];

interface Impl {
  name: 'engine' | 'tfjs' | 'loop';
  similar(item: number): Answer;
}

function loopTopK(unit: Float32Array, n: number, d: number, q: Float32Array, skip: number): number[] {
  const idx = new Int32Array(K).fill(-1);
  const val = new Float32Array(K).fill(-Infinity);
  for (let j = 0, base = 0; j < n; j++, base += d) {
    let s = 0;
    for (let c = 0; c < d; c++) s += q[c] * unit[base + c];
    if (s > val[K - 1] && j !== skip) {
      let p = K - 1;
      while (p > 0 && val[p - 1] < s) {
        val[p] = val[p - 1];
        idx[p] = idx[p - 1];
        p--;
      }
      val[p] = s;
      idx[p] = j;
    }
  }
  return Array.from(idx).filter((j) => j >= 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function recall(got: Answer, exact: number[]): number {
  const set = new Set(Array.from(got));
  return exact.filter((j) => set.has(j)).length / exact.length;
}

/** Each item's K nearest by exact cosine on f32 rows (double accumulation), itself left out. */
function exactTopK(data: Float32Array, n: number, d: number, items: number[]): number[][] {
  const exactUnit = normalizeRows(data, n, d);
  return items.map((i) => {
    const q = exactUnit.subarray(i * d, (i + 1) * d);
    const scores: { j: number; s: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < d; c++) s += q[c] * exactUnit[j * d + c];
      scores.push({ j, s });
    }
    return scores.sort((a, b) => b.s - a.s).slice(0, K).map((x) => x.j);
  });
}

async function runSize(n: number, d: number, queries: number, rounds: number, kind: string): Promise<void> {
  const data = makeData(n, d, n, kind);
  const q8 = quantizeQ8(data, n, d);
  // Today's int8 path: dequantised, unit rows, transposed to [d, N] in the tfjs heap (as loadModel lays it out).
  const unitRows = normalizeRows(dequantizeQ8(q8, n, d), n, d);

  let t0 = performance.now();
  const engine = new Int8Engine(int8ScanModule());
  engine.load({ codes: q8.values, rows: n, cols: d, factor: cosineFactors(q8.values, q8.scales, n, d) });
  const engineLoadMs = performance.now() - t0;
  t0 = performance.now();
  const unitT = tf.tensor2d(transpose(unitRows, n, d), [d, n]);
  const tfLoadMs = performance.now() - t0;

  const rand = prng(n + 1);
  const items = Array.from({ length: queries }, () => Math.floor(rand() * n));
  const query = (i: number) => unitRows.subarray(i * d, (i + 1) * d);

  const impls: Impl[] = [
    { name: 'engine', similar: (i) => engine.topK(query(i), K, { exclude: [i] }).indices },
    {
      name: 'tfjs',
      similar: (i) =>
        tf.tidy(() => {
          const scores = tf.reshape(tf.matMul(tf.tensor2d(query(i), [1, d]), unitT), [n]);
          const top = tf.topk(scores, K + 1);
          top.values.dataSync();
          return Array.from(top.indices.dataSync()).filter((j) => j !== i).slice(0, K);
        }),
    },
    { name: 'loop', similar: (i) => loopTopK(unitRows, n, d, query(i), i) },
  ];

  // Warm-up (JIT, tfjs kernels), then interleaved rounds.
  for (const impl of impls) for (const i of items.slice(0, 10)) impl.similar(i);
  const perQuery: Record<string, number[]> = { engine: [], tfjs: [], loop: [] };
  const answers: Record<string, Answer[]> = { engine: [], tfjs: [], loop: [] };
  for (let r = 0; r < rounds; r++) {
    for (const impl of impls) {
      const out: Answer[] = [];
      const start = performance.now();
      for (const i of items) out.push(impl.similar(i));
      perQuery[impl.name].push((performance.now() - start) / items.length);
      if (r === 0) answers[impl.name] = out;
    }
  }

  // Exact cosine on the original f32 data (double accumulation), for recall; and agreement with today's int8 path.
  const exact = exactTopK(data, n, d, items);
  const meanRecall = (name: string) => answers[name].reduce((s, a, t) => s + recall(a, exact[t]), 0) / items.length;
  const sameAsTfjs = answers.engine.filter((a, t) => Array.from(a).join() === Array.from(answers.tfjs[t]).join()).length;
  const setAsTfjs = answers.engine.reduce((s, a, t) => s + recall(a, answers.tfjs[t] as number[]), 0) / items.length;

  const ms = Object.fromEntries(Object.entries(perQuery).map(([k, v]) => [k, median(v)]));
  const fmt = (x: number) => x.toFixed(3);
  console.log(
    `${n} x ${d}: per query (median of ${rounds} rounds x ${queries} queries) engine ${fmt(ms.engine)} ms, ` +
      `tfjs ${fmt(ms.tfjs)} ms, loop ${fmt(ms.loop)} ms | tfjs/engine ${(ms.tfjs / ms.engine).toFixed(2)}x, ` +
      `engine/loop ${(ms.engine / ms.loop).toFixed(3)} (loop/engine ${(ms.loop / ms.engine).toFixed(1)}x)`,
  );
  console.log(
    `  recall@10 vs exact f32: engine ${meanRecall('engine').toFixed(3)}, tfjs ${meanRecall('tfjs').toFixed(3)}, ` +
      `loop ${meanRecall('loop').toFixed(3)} | engine top-10 = tfjs top-10 (same order) ${sameAsTfjs}/${items.length}, ` +
      `same set ${setAsTfjs.toFixed(4)}`,
  );
  console.log(
    `  resident: engine ${(engine.residentBytes / 1e6).toFixed(2)} MB (wasm memory ${(engine.memoryBytes / 1e6).toFixed(2)} MB), ` +
      `tfjs unit [d, N] ${((n * d * 4) / 1e6).toFixed(2)} MB | load: engine ${engineLoadMs.toFixed(0)} ms, tfjs upload ${tfLoadMs.toFixed(0)} ms`,
  );
  unitT.dispose();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,60000,250000' },
      dim: { type: 'string', default: '64' },
      queries: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '5' },
      data: { type: 'string', default: 'clustered' },
    },
  });
  await useWasmBackend();
  console.log(`tfjs backend ${tf.getBackend()}, node ${process.version}, data ${values.data}`);
  for (const n of values.sizes!.split(',').map(Number)) {
    await runSize(n, Number(values.dim), Number(values.queries), Number(values.rounds), values.data!);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
