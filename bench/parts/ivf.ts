// Part 1b: the coarse index (shared/model/ivf.ts) for similar items in large catalogues: recall@10 against exact
// search on the same served weights, and time per query inside workerd and in Node, beside exact search.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { loadModel } from '../../shared/model/loaded.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { DIM, modelName, type BenchContext, type Part, type PartResult } from '../lib/context.js';
import { encodeWithIvf, tuneIvf, type IvfTuning } from '../lib/ivf-catalog.js';
import { queryRunner, tfImpl, timeBatches, type BatchTiming } from '../lib/query-impls.js';
import { median, sig } from '../lib/stats.js';
import { BENCH_DIST, cpuMs, postJson, seedModel, startBenchWorker, type BenchWorker } from '../lib/workers.js';

const TARGET = 0.95;

interface Row {
  dataset: string;
  items: number;
  tuning: Omit<IvfTuning, 'centroids' | 'assign'>;
  workerd?: { exactMs: number; exactCpuMs: number | null; ivfMs: number; ivfCpuMs: number | null };
  node?: { exactMs: number; ivfMs: number };
}

export const ivfPart: Part = {
  name: 'ivf',
  title: `Coarse index (IVF) for similar items: recall@10 vs exact search (target >= ${TARGET}) and ms per query`,
  async run(ctx: BenchContext): Promise<PartResult> {
    await useWasmBackend();
    const rows: Row[] = [];
    const sizes = ctx.sizes.filter((n) => n >= 60_000);
    const queries = ctx.quick ? 100 : 300;
    // Seeded distinct query items: all of them when the catalogue is smaller than the sample.
    const w = sizes.length ? await startBenchWorker(BENCH_DIST, false) : null;
    try {
      for (const n of sizes) rows.push(await syntheticRow(ctx, w!, n, queries));
    } finally {
      await w?.dispose();
    }
    const notes: string[] = [];
    await ml100kRow(ctx, rows, notes);
    notes.unshift(
      'Index: spherical k-means (training/export/ivf-index.ts buildIvf, the same build as npm run train -- --index ivf; 8 iterations on a sample, then every item assigned) into round(2 sqrt N) partitions of the float model\'s unit vectors; probe = the fewest partitions whose recall@10 against exact search on the same int8 weights reaches the target, tried in the order 1, 2, 3, 4, 6, 8, 12, 16, ...',
      'Time: similar items (k=10) through the production path with the index in the artifact (optional tensors ivf_centroids, ivf_assign; model.hyper.ivfProbe), beside exact search on the same catalogue without it. CPU = CPU ms per query (see the query part).',
      'The planted catalogues are clustered by construction (sqrt N centres), which flatters an IVF index; the ml-100k row shows the probe trained vectors need.',
    );
    return {
      name: 'ivf',
      tables: [
        {
          title: 'Similar items with a coarse index',
          headers: ['dataset', 'partitions', 'probe', 'candidates', 'recall@10', 'build s', 'workerd exact ms (CPU)', 'workerd ivf ms (CPU)', 'node exact ms', 'node ivf ms'],
          rows: rows.map((r) => [
            r.dataset,
            r.tuning.parts,
            r.tuning.probe,
            r.tuning.candidates,
            sig(r.tuning.recall, 3),
            sig(r.tuning.buildSeconds, 2),
            r.workerd ? `${r.workerd.exactMs} (${r.workerd.exactCpuMs ?? '–'})` : null,
            r.workerd ? `${r.workerd.ivfMs} (${r.workerd.ivfCpuMs ?? '–'})` : null,
            r.node?.exactMs,
            r.node?.ivfMs,
          ]),
          notes,
        },
      ],
      data: { target: TARGET, rows },
      summary: {
        ivf_similar_ms: Object.fromEntries(rows.filter((r) => r.workerd).map((r) => [String(r.items), r.workerd!.ivfMs])),
        ivf_recall_at_10: Object.fromEntries(rows.map((r) => [r.dataset.startsWith('synthetic') ? String(r.items) : 'ml-100k', sig(r.tuning.recall, 3)])),
      },
    };
  },
};

const strip = ({ centroids: _c, assign: _a, ...rest }: IvfTuning) => rest;

/** A planted catalogue of n items: the index tuned to the target, then exact and indexed search timed in workerd and Node. */
async function syntheticRow(ctx: BenchContext, w: BenchWorker, n: number, queries: number): Promise<Row> {
  const cat = ctx.catalog(n);
  const e = await ctx.encoded(n, 'q8');
  const tuning = await tuneIvf(await decodeArtifact(e.manifestText, e.tensors, e.itemsText), cat.params.itemFactors, n, DIM, { targetRecall: TARGET, queries });
  const withIvf = await encodeWithIvf(cat, tuning);
  const row: Row = { dataset: `synthetic ${n}`, items: n, tuning: strip(tuning) };
  const exactName = modelName(n, 'q8');
  const ivfName = `${exactName}-ivf`;
  await seedModel(w.bucket, exactName, e);
  await seedModel(w.bucket, ivfName, withIvf);
  const timeIn = async (model: string) => {
    await postJson(w, '/__bench/prepare', { model, impl: 'engine' });
    const c0 = await cpuMs(w.pid);
    const t = await postJson<BatchTiming>(w, '/__bench/queries', { model, impl: 'engine', op: 'similar', k: 10, timing: ctx.timing });
    const c1 = await cpuMs(w.pid);
    return { ms: sig(median(t.perQueryMs)), cpu: c0 === null || c1 === null ? null : sig((c1 - c0) / t.queries) };
  };
  const ex = await timeIn(exactName);
  const iv = await timeIn(ivfName);
  row.workerd = { exactMs: ex.ms, exactCpuMs: ex.cpu, ivfMs: iv.ms, ivfCpuMs: iv.cpu };
  const timing = { ...ctx.timing, now: () => performance.now() };
  const nodeMs = async (a: typeof e) => {
    const m = loadModel('n', 'v', await decodeArtifact(a.manifestText, a.tensors, a.itemsText));
    try {
      return sig(median(timeBatches(queryRunner(tfImpl('engine', m, 'wasm'), 'similar', 10), timing).perQueryMs));
    } finally {
      m.dispose();
    }
  };
  row.node = { exactMs: await nodeMs(e), ivfMs: await nodeMs(withIvf) };
  ctx.log(`  ${n}: ${tuning.parts} partitions, probe ${tuning.probe} (${tuning.candidates} candidates), recall@10 ${sig(tuning.recall, 3)}; workerd exact ${ex.ms} ms (cpu ${ex.cpu}) -> ivf ${iv.ms} ms (cpu ${iv.cpu})`);
  return row;
}

/** Trained vectors are less clustered than the planted ones: the same build on ml-100k mf (from the quantisation part). */
async function ml100kRow(ctx: BenchContext, rows: Row[], notes: string[]): Promise<void> {
  const q8 = path.join(ctx.tmp, 'ml100k-mf-q8');
  const f32 = path.join(ctx.tmp, 'ml100k-mf-f32');
  if (existsSync(q8) && existsSync(f32)) {
    const served = await readArtifact(q8);
    const float = (await readArtifact(f32)).tensors.get(TENSOR_NAMES.itemFactors)!;
    const [n, d] = float.shape;
    const tuning = await tuneIvf(served, float.data, n, d, { targetRecall: TARGET, queries: n });
    rows.push({ dataset: 'ml-100k mf', items: n, tuning: strip(tuning) });
    ctx.log(`  ml-100k: ${tuning.parts} partitions, probe ${tuning.probe} (${tuning.candidates} candidates), recall@10 ${sig(tuning.recall, 3)}`);
  } else {
    notes.push('ml-100k row skipped: it reuses the quantisation part\'s artifacts (run that part in the same run, with ../shared/data/ml-100k present).');
  }
}
