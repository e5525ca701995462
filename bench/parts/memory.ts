// Part 4: memory per catalogue size, all measured in workerd (the isolate's JS heap and array buffers through its V8
// inspector, the wasm memories through the bench Worker, RSS from /proc), and the largest catalogue that loads and
// answers within Workers' 128 MB per isolate.
import { CATALOG_USERS, DIM, modelName, SEEN_PER_USER, type BenchContext, type Part, type PartResult } from '../lib/context.js';
import { fitPowerLaw, sig } from '../lib/stats.js';
import { BENCH_DIST, getJson, rssBytes, seedModel, startBenchWorker } from '../lib/workers.js';
import type { StartedWorker } from '../../test/helpers/worker.js';
import { encodeCatalog, makeCatalog } from '../lib/catalog.js';
import type { Table } from '../lib/table.js';

const Q = 'q8' as const;
const MB = 1024 * 1024;
export const ISOLATE_LIMIT = 128 * MB;

interface Mem {
  wasmHeapBytes: number;
  model?: { kernelBytes: number; engineBytes: number; catalogBytes: number; tensorBytes: number };
}

/**
 * Catalogue sizes the residency check loads in workerd (ascending; 1M always): each is built, published to the
 * bench Worker's R2, loaded and asked for similar items and a recommendation, and its resident bytes are measured.
 */
const RESIDENCY_SIZES = [500_000, 625_000, 750_000, 1_000_000];

export const memoryPart: Part = {
  name: 'memory',
  title: 'Memory per catalogue size (int8 artifact, d=64) and the largest catalogue inside 128 MB',
  async run(ctx: BenchContext): Promise<PartResult> {
    const rows = [];
    for (const n of ctx.sizes) {
      const w = await startBenchWorker(BENCH_DIST, false, {}, true);
      try {
        const m = modelName(n, Q);
        await seedModel(w.bucket, m, await ctx.encoded(n, Q));
        await getJson(w, '/healthz');
        const app = await w.inspector!.heapUsage(w);
        const rss0 = await rssBytes(w.pid);
        await getJson(w, `/v1/models/${m}/items/1/similar?k=10`);
        await getJson(w, `/v1/models/${m}/users/1/recommendations?k=10`);
        const after = await getJson<Mem>(w, `/__bench/memory?model=${m}`);
        const heap = await w.inspector!.heapUsage(w);
        const rss1 = await rssBytes(w.pid);
        const row = {
          items: n,
          wasmHeap: after.wasmHeapBytes,
          kernelBytes: after.model?.kernelBytes ?? 0,
          catalogBytes: after.model?.catalogBytes ?? 0,
          tensorBytes: after.model?.tensorBytes ?? 0,
          appBytes: app.usedBytes + app.backingBytes,
          jsBytes: heap.usedBytes + heap.backingBytes,
          rssBefore: rss0?.rss ?? null,
          rssAfter: rss1?.rss ?? null,
          rssPeak: rss1?.peak ?? null,
        };
        rows.push(row);
        ctx.log(`  ${n}: JS ${(row.jsBytes / MB).toFixed(1)} MB, kernels ${(row.kernelBytes / MB).toFixed(1)} MB, tfjs ${(row.wasmHeap / MB).toFixed(1)} MB, RSS peak ${rss1 ? (rss1.peak / MB).toFixed(0) : '?'} MB`);
      } finally {
        await w.dispose();
      }
    }
    // Isolate memory = its JS heap and array buffers + the wasm memories (int8 kernels, tfjs if started), all read in
    // workerd; fitted linear in N over the sizes.
    const total = rows.map((r) => r.jsBytes + r.kernelBytes + r.wasmHeap);
    const ns = rows.map((r) => r.items);
    const lin = linearFit(ns, total);
    const maxItems = lin && lin.slope > 0 ? Math.floor((ISOLATE_LIMIT - lin.intercept) / lin.slope) : null;
    const fit = fitPowerLaw(ns, total);
    const residency = await measureResidency(ctx);
    const fitting = residency.filter((r) => r.answered && r.residentBytes <= ISOLATE_LIMIT);
    const maxMeasured = fitting.length ? Math.max(...fitting.map((r) => r.items)) : null;
    const notes = [
      'All read in workerd, in a fresh bench Worker per size after it loaded the model and answered similar items and a recommendation: JS = the isolate\'s JS heap after a full GC + its ArrayBuffer backing stores (V8 inspector, bench/lib/inspector.ts); app = the same before any model loaded; kernels = the int8 engine\'s linear memories (codes, per-row factors, biases); tfjs = tfjs-wasm\'s heap, 0 when nothing in the isolate started tfjs (q8 models on the engine never do for these queries).',
      "RSS: workerd's resident set from /proc before and after (peak = VmHWM, the process's high-water mark, which includes load-time transients such as tensors.bin itself); includes workerd itself.",
      `Catalogues have ${CATALOG_USERS} users with 100 seen items each.`,
      lin
        ? `Estimate: isolate memory = ${(lin.intercept / MB).toFixed(1)} MB + ${(lin.slope / 1024).toFixed(2)} KiB per item (least squares over the sizes), so ${maxItems?.toLocaleString('en')} items of d=${DIM} fit in 128 MB after load; the residency table below measures it.`
        : 'Too few sizes for an estimate.',
    ];
    return {
      name: 'memory',
      tables: [
        {
          title: 'Memory (MB)',
          headers: ['items', 'app', 'JS', 'of which catalogue', 'kernels', 'tfjs', 'tfjs tensors', 'isolate', 'RSS before', 'RSS after', 'RSS peak'],
          rows: rows.map((r, i) => [r.items, r.appBytes / MB, r.jsBytes / MB, r.catalogBytes / MB, r.kernelBytes / MB, r.wasmHeap / MB, r.tensorBytes / MB, total[i] / MB, mb(r.rssBefore), mb(r.rssAfter), mb(r.rssPeak)]),
          notes,
        },
        residencyTable(residency),
      ],
      data: { rows, fit: lin, powerLaw: fit, maxItems, residency },
      summary: {
        max_items_128mb: maxItems,
        isolate_bytes: Object.fromEntries(rows.map((r, i) => [String(r.items), total[i]])),
        max_items_128mb_measured: maxMeasured,
        resident_bytes_measured: Object.fromEntries(residency.map((r) => [String(r.items), r.residentBytes])),
        load_longest_pause_ms: Object.fromEntries(residency.map((r) => [String(r.items), r.longestPauseMs])),
      },
    };
  },
};

function mb(x: number | null): number | null {
  return x === null ? null : sig(x / MB);
}

export function linearFit(xs: number[], ys: number[]): { slope: number; intercept: number } | null {
  if (xs.length < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

interface Residency {
  items: number;
  answered: boolean;
  /** All measured in workerd: the isolate's JS heap + ArrayBuffer backing stores (inspector) + the wasm memories. */
  residentBytes: number;
  /** tfjs-wasm's heap (0: not started, as an engine-only isolate never starts it). */
  wasmHeap: number;
  kernelBytes: number;
  catalogBytes: number;
  /** JS heap in use after a full GC, and ArrayBuffer backing stores, read through workerd's inspector. */
  jsHeap: number;
  backing: number;
  /** The same two before anything was loaded: the app alone. */
  appJs: number;
  tensorsBinBytes: number;
  rssDelta: number | null;
  rssPeak: number | null;
  loadMs: number | null;
  /** The slowest /healthz answered while the model loaded (requests one at a time): how long the load froze the isolate. */
  longestPauseMs: number;
}

async function slowestWhile(w: StartedWorker, until: Promise<unknown>): Promise<number> {
  let done = false;
  until.finally(() => (done = true)).catch(() => {});
  let slowest = 0;
  while (!done) {
    const t0 = performance.now();
    await (await w.fetch('/healthz')).arrayBuffer();
    slowest = Math.max(slowest, performance.now() - t0);
  }
  return sig(slowest);
}

/**
 * Loads each RESIDENCY_SIZES catalogue in a fresh workerd and has it answer similar items and a recommendation, then
 * reads what the isolate holds, all in workerd: the JS heap after a full GC and the ArrayBuffer backing stores from
 * its V8 inspector (bench/lib/inspector.ts), the wasm memories (int8 kernels, tfjs) from the bench Worker.
 * Catalogues are built here and dropped after (not in ctx's cache: at 1M the f32 factors alone are 256 MB).
 */
async function measureResidency(ctx: BenchContext): Promise<Residency[]> {
  const out: Residency[] = [];
  for (const n of RESIDENCY_SIZES) {
    const w = await startBenchWorker(BENCH_DIST, false, {}, true);
    try {
      const m = modelName(n, Q);
      let files: Awaited<ReturnType<typeof encodeCatalog>> | null = await encodeCatalog(
        makeCatalog({ items: n, users: CATALOG_USERS, dim: DIM, seenPerUser: SEEN_PER_USER, seed: 1000 + n }),
        Q,
      );
      const tensorsBinBytes = files.tensors.byteLength;
      await seedModel(w.bucket, m, files);
      files = null;
      await getJson(w, '/healthz');
      const app = await w.inspector!.heapUsage(w);
      const rss0 = await rssBytes(w.pid);
      // The first request loads the model; /healthz is asked meanwhile, one request at a time: its slowest answer is
      // the longest the isolate was not answering during the load.
      const loading = getJson<{ results: unknown[] }>(w, `/v1/models/${m}/items/1/similar?k=10`);
      const longestPauseMs = await slowestWhile(w, loading);
      const similar = await loading;
      const recs = await getJson<{ results: unknown[] }>(w, `/v1/models/${m}/users/1/recommendations?k=10`);
      const mem = await getJson<Mem>(w, `/__bench/memory?model=${m}`);
      const heap = await w.inspector!.heapUsage(w);
      const rss1 = await rssBytes(w.pid);
      const health = await getJson<{ models: { model: string; loadMs: number }[] }>(w, '/healthz');
      const kernelBytes = mem.model?.kernelBytes ?? 0;
      const row: Residency = {
        items: n,
        answered: similar.results.length === 10 && recs.results.length === 10,
        residentBytes: heap.usedBytes + heap.backingBytes + mem.wasmHeapBytes + kernelBytes,
        wasmHeap: mem.wasmHeapBytes,
        kernelBytes,
        catalogBytes: mem.model?.catalogBytes ?? 0,
        jsHeap: heap.usedBytes,
        backing: heap.backingBytes,
        appJs: app.usedBytes + app.backingBytes,
        tensorsBinBytes,
        rssDelta: rss0 && rss1 ? rss1.rss - rss0.rss : null,
        rssPeak: rss1?.peak ?? null,
        loadMs: health.models.find((x) => x.model === m)?.loadMs ?? null,
        longestPauseMs,
      };
      out.push(row);
      ctx.log(
        `  residency ${n}: ${(row.residentBytes / MB).toFixed(1)} MB resident (JS heap ${(row.jsHeap / MB).toFixed(1)}, array buffers ${(row.backing / MB).toFixed(1)}, ` +
          `kernels ${(kernelBytes / MB).toFixed(1)}, tfjs ${(row.wasmHeap / MB).toFixed(1)}; app alone ${(row.appJs / MB).toFixed(1)}), answered ${row.answered}`,
      );
    } finally {
      await w.dispose();
    }
  }
  return out;
}

function residencyTable(rows: Residency[]): Table {
  return {
    title: 'Residency: catalogues loaded in workerd and answering (int8 artifact, d=64), MB, measured in workerd',
    headers: ['items', 'answered', 'resident', 'JS heap', 'array buffers', 'of which catalogue', 'int8 kernels', 'tfjs wasm heap', 'app alone', 'tensors.bin', 'RSS delta', 'RSS peak', 'load ms', 'longest pause ms', 'within 128 MB'],
    rows: rows.map((r) => [r.items, r.answered ? 'yes' : 'no', r.residentBytes / MB, r.jsHeap / MB, r.backing / MB, r.catalogBytes / MB, r.kernelBytes / MB, r.wasmHeap / MB, r.appJs / MB, r.tensorsBinBytes / MB, mb(r.rssDelta), mb(r.rssPeak), r.loadMs, r.longestPauseMs, r.residentBytes <= ISOLATE_LIMIT ? 'yes' : 'no']),
    notes: [
      'Measured, not extrapolated: each size is published to a fresh bench Worker, loaded by the production model store and asked for similar items (k=10) and a recommendation (k=10). resident = JS heap in use after a full GC + ArrayBuffer backing stores (both from workerd\'s V8 inspector, Runtime.getHeapUsage after HeapProfiler.collectGarbage) + the wasm linear memories (the int8 kernels\'; tfjs-wasm\'s, 0 when nothing started it). "app alone" is the first two before any model loaded.',
      'array buffers hold the catalogue blocks (ids, titles, tags, seen lists, copied out of tensors.bin so the upload can be collected), the row norms and the user rows; the item codes live only in the kernel\'s memory.',
      'longest pause: the slowest of the /healthz requests sent one after another while the first request loaded the model: the longest stretch the isolate answered nothing else (the load runs in steps that yield between chunks: functions/model-store.ts).',
      'max_items_128mb_measured (summary.json) is the largest of these sizes whose resident bytes stay within 128 MB. RSS (workerd\'s whole process, from /proc) is given for the load-time peak (VmHWM): it includes workerd itself, allocator slack and the upload (tensors.bin) while it is decoded.',
    ],
  };
}
