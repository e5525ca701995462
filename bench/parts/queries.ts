// Part 1: query compute for similar items and user recommendations, inside workerd and in Node, for the production
// path (the int8 engine), the previous one (tfjs wasm matMul + topk), the tfjs cpu backend and a plain TypeScript
// loop, side by side in one run; the engine's speed-ups are ratios of those cells (summary.ratios).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { loadModel } from '../../shared/model/loaded.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { modelName, type BenchContext, type Part, type PartResult } from '../lib/context.js';
import { IMPLS, loadTfImpl, loopImpl, opBreakdown, OPS, queryRunner, timeBatches, type BatchTiming, type ImplName, type OpName } from '../lib/query-impls.js';
import { median, p99, relativeSpread, sig } from '../lib/stats.js';
import type { Table } from '../lib/table.js';
import { BENCH_DIST, cpuMs, postJson, seedModel, startBenchWorker } from '../lib/workers.js';

const K = 10;
const Q = 'q8' as const;

interface Cell {
  runtime: 'workerd' | 'node';
  items: number;
  impl: ImplName;
  op: OpName;
  batch: number;
  medianMs: number;
  p99Ms: number;
  /** CPU time per query over the whole timing call (warm-up included): immune to waiting for a core. */
  cpuMs: number | null;
  /** Half the interquartile range of the batch means over their median: this row's noise. */
  spread: number;
  /** Node only: one query per clock reading (the in-Worker clock is too coarse for that). */
  single?: { medianMs: number; p99Ms: number; n: number };
}

function summarise(runtime: Cell['runtime'], items: number, impl: ImplName, op: OpName, t: BatchTiming, cpu: number | null): Cell {
  return { runtime, items, impl, op, batch: t.batch, medianMs: sig(median(t.perQueryMs)), p99Ms: sig(p99(t.perQueryMs)), cpuMs: cpu === null ? null : sig(cpu / t.queries), spread: sig(relativeSpread(t.perQueryMs), 2) };
}

async function inWorker(ctx: BenchContext): Promise<{ cells: Cell[]; ops: Record<number, Record<string, number>> }> {
  const w = await startBenchWorker(BENCH_DIST, false);
  const cells: Cell[] = [];
  const ops: Record<number, Record<string, number>> = {};
  try {
    for (const n of ctx.sizes) {
      const model = modelName(n, Q);
      await seedModel(w.bucket, model, await ctx.encoded(n, Q));
      for (const impl of IMPLS) {
        await postJson(w, '/__bench/prepare', { model, impl });
        for (const op of OPS) {
          const c0 = await cpuMs(w.pid);
          const t = await postJson<BatchTiming>(w, '/__bench/queries', { model, impl, op, k: K, timing: ctx.timing });
          const c1 = await cpuMs(w.pid);
          cells.push(summarise('workerd', n, impl, op, t, c0 === null || c1 === null ? null : c1 - c0));
        }
        ctx.log(`  workerd ${n} ${impl}: similar ${cells.at(-2)!.medianMs} ms (cpu ${cells.at(-2)!.cpuMs}), recommend ${cells.at(-1)!.medianMs} ms (cpu ${cells.at(-1)!.cpuMs})`);
      }
      const br = await postJson<Record<string, number[]>>(w, '/__bench/ops', { model, timing: { ...ctx.timing, batches: Math.min(ctx.timing.batches, 12) } });
      ops[n] = Object.fromEntries(Object.entries(br).map(([k, v]) => [k, sig(median(v))]));
    }
  } finally {
    await w.dispose();
  }
  return { cells, ops };
}

async function inNode(ctx: BenchContext): Promise<{ cells: Cell[]; ops: Record<number, Record<string, number>> }> {
  await useWasmBackend();
  const cells: Cell[] = [];
  const ops: Record<number, Record<string, number>> = {};
  const timing = { ...ctx.timing, now: () => performance.now() };
  for (const n of ctx.sizes) {
    const e = await ctx.encoded(n, Q);
    const artifact = await decodeArtifact(e.manifestText, e.tensors, e.itemsText);
    for (const impl of IMPLS) {
      const q = impl === 'loop' ? loopImpl(artifact, loadModelSeen(artifact)) : await loadTfImpl(impl, artifact, impl === 'engine' ? 'wasm' : impl);
      try {
        await q.activate();
        for (const op of OPS) {
          const run = queryRunner(q, op, K);
          const c0 = process.cpuUsage();
          const t = timeBatches(run, timing);
          const c = process.cpuUsage(c0);
          const cell = summarise('node', n, impl, op, t, (c.user + c.system) / 1000);
          // Single-query clock readings for a real per-query p99 (Node's clock resolves microseconds).
          const single = timeBatches(run, { ...timing, minBatchMs: 0, maxBatch: 1, batches: ctx.quick ? 60 : 200, budgetMs: ctx.timing.budgetMs / 2 }).perQueryMs;
          cell.single = { medianMs: sig(median(single)), p99Ms: sig(p99(single)), n: single.length };
          cells.push(cell);
        }
        ctx.log(`  node ${n} ${impl}: similar ${cells.at(-2)!.medianMs} ms (cpu ${cells.at(-2)!.cpuMs}), recommend ${cells.at(-1)!.medianMs} ms (cpu ${cells.at(-1)!.cpuMs})`);
      } finally {
        q.dispose();
        await tf.setBackend('wasm');
      }
    }
    const model = loadModel('bench', 'ops', artifact, { scorer: 'tfjs' });
    try {
      ops[n] = Object.fromEntries(Object.entries(opBreakdown(model, { ...timing, batches: Math.min(timing.batches, 12) })).map(([k, v]) => [k, sig(median(v))]));
    } finally {
      model.dispose();
    }
  }
  return { cells, ops };
}

function loadModelSeen(artifact: Awaited<ReturnType<typeof decodeArtifact>>) {
  return { seenIndptr: Int32Array.from(artifact.items.seen.indptr), seenIndices: Int32Array.from(artifact.items.seen.indices) };
}

export const queriesPart: Part = {
  name: 'queries',
  title: 'Query compute per query (similar items, recommendations), d=64, int8 artifact',
  async run(ctx): Promise<PartResult> {
    const worker = await inWorker(ctx);
    const node = await inNode(ctx);
    const all = [...worker.cells, ...node.cells];
    const find = (rt: Cell['runtime'], n: number, impl: ImplName, op: OpName) => all.find((c) => c.runtime === rt && c.items === n && c.impl === impl && c.op === op);
    const tables: Table[] = [];
    for (const op of OPS) {
      tables.push({
        title: `${op === 'similar' ? 'Similar items' : 'Recommendations for a user'} (k=${K}): ms per query, median / p99`,
        headers: ['items', ...IMPLS.map((i) => `workerd ${i}`), 'workerd engine CPU', ...IMPLS.map((i) => `node ${i}`), 'node engine CPU', 'node engine single p99', 'wasm/engine'],
        rows: ctx.sizes.map((n) => [
          n,
          ...IMPLS.map((i) => pair(find('workerd', n, i, op))),
          find('workerd', n, 'engine', op)?.cpuMs,
          ...IMPLS.map((i) => pair(find('node', n, i, op))),
          find('node', n, 'engine', op)?.cpuMs,
          find('node', n, 'engine', op)?.single?.p99Ms,
          ratio(find('workerd', n, 'wasm', op), find('workerd', n, 'engine', op)),
        ]),
        notes: [
          "engine = the production path (shared/model/queries.ts on the int8 kernel, shared/engine/int8-scan.wat, over the artifact's codes, exclusions in its bitmap); wasm = the previous production path, the same queries with scorer 'tfjs' (matMul + topk on tfjs-backend-wasm, SIMD, one thread, over the dequantised [d, N] f32 matrix); cpu = that on tfjs-backend-cpu; loop = plain TypeScript over Float32Array rows with a top-k buffer.",
          'wasm/engine = workerd wasm median / workerd engine median (how many times faster the engine is, same run, same catalogue).',
          `workerd: the bench Worker (bench/worker/index.ts) in Miniflare; each measurement times a batch of queries (>= ${ctx.timing.minBatchMs} ms; workerd's clock has 1 ms resolution), ${ctx.timing.batches} measurements; p99 is over batch means.`,
          'node: same code and timing in Node 22; "single p99" times one query per clock reading.',
          "CPU: CPU ms per query over the whole timing call (workerd: the process's utime+stime from /proc, 10 ms ticks; node: process.cpuUsage()), warm-up included. It does not count waiting for a core, so on this shared machine it is the steadier figure; wall medians above it include contention.",
          op === 'recommend' ? `Recommendations exclude the user's ${'~100'} seen items (exclude_seen=true).` : 'Query items and users are spread over the whole table.',
        ],
      });
    }
    tables.push({
      title: 'Where the time goes: tfjs wasm ops, ms per call (median)',
      headers: ['op', ...ctx.sizes.map((n) => `workerd ${n}`), ...ctx.sizes.map((n) => `node ${n}`)],
      rows: Object.keys(worker.ops[ctx.sizes[0]] ?? {}).map((op) => [op, ...ctx.sizes.map((n) => worker.ops[n]?.[op]), ...ctx.sizes.map((n) => node.ops[n]?.[op])]),
    });
    const noise = sig(median(all.map((c) => c.spread).filter(Number.isFinite)), 2);
    tables[0].notes!.push(`Noise: in the median row the middle half of the batch means lies within ±${Math.round(noise * 100)}% of the median.`);
    const byN = (op: OpName, impl: ImplName = 'engine') => Object.fromEntries(ctx.sizes.map((n) => [String(n), find('workerd', n, impl, op)?.medianMs ?? null]));
    const cpuByN = (op: OpName) => Object.fromEntries(ctx.sizes.map((n) => [String(n), find('workerd', n, 'engine', op)?.cpuMs ?? null]));
    const ratios = (num: ImplName, den: ImplName, op: OpName) => Object.fromEntries(ctx.sizes.map((n) => [String(n), ratio(find('workerd', n, num, op), find('workerd', n, den, op))]));
    return {
      name: 'queries',
      tables,
      data: { k: K, quantization: Q, timing: ctx.timing, cells: all, ops: { workerd: worker.ops, node: node.ops } },
      summary: {
        // The production path (the engine since the int8wire branch; tfjs wasm before: see tfjs_similar_ms).
        similar_ms: byN('similar'),
        recommend_ms: byN('recommend'),
        tfjs_similar_ms: byN('similar', 'wasm'),
        tfjs_recommend_ms: byN('recommend', 'wasm'),
        similar_cpu_ms: cpuByN('similar'),
        recommend_cpu_ms: cpuByN('recommend'),
        query_noise: noise,
        ratios: {
          // tfjs time / engine time (> 1: the engine is faster), workerd medians of the same run.
          engine_vs_tfjs_similar: ratios('wasm', 'engine', 'similar'),
          engine_vs_tfjs_recommend: ratios('wasm', 'engine', 'recommend'),
          // engine time / plain-TS loop time (< 1: the engine is faster).
          engine_vs_loop_similar: ratios('engine', 'loop', 'similar'),
        },
      },
    };
  },
};

/** a / b of two cells' medians, 3 significant digits (null when either is missing). */
function ratio(a: Cell | undefined, b: Cell | undefined): number | null {
  return a && b && b.medianMs > 0 ? sig(a.medianMs / b.medianMs) : null;
}

function pair(c: Cell | undefined): string {
  return c ? `${fmt(c.medianMs)} / ${fmt(c.p99Ms)}` : '–';
}

export function fmt(x: number): string {
  return x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}
