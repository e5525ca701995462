// Part 3: cold start, from a fresh isolate (a new workerd) to the first answer, split into wasm init, R2 read,
// decode (checksum and the per-isolate checks of artifact format 2) and upload (loadModel: the kernel's copy of the
// codes on the engine; normalise, transpose, upload to tfjs on the previous path), for int8 and f32 artifacts; plus
// the same decode/load in Node, split finer.
import path from 'node:path';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { sha256Hex } from '../../shared/artifact/sha256.js';
import { loadModel } from '../../shared/model/loaded.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { modelName, type BenchContext, type Part, type PartResult } from '../lib/context.js';
import { median, relativeSpread, sig } from '../lib/stats.js';
import type { Table } from '../lib/table.js';
import http from 'node:http';
import { getJson, httpGet, PROD_DIST, seedModel, startBenchWorker } from '../lib/workers.js';

const FORMATS: Quantization[] = ['q8', 'f32'];
/**
 * What each cold start is measured for: q8 on the production engine, q8 on the previous path (the same bundle with
 * EDGEREC_SCORER=tfjs: normalise + transpose + upload to tfjs, matMul + topk), and f32 (tfjs either way).
 */
const VARIANTS: { q: Quantization; scorer: 'engine' | 'tfjs'; label: string }[] = [
  { q: 'q8', scorer: 'engine', label: 'q8' },
  { q: 'q8', scorer: 'tfjs', label: 'q8 tfjs' },
  { q: 'f32', scorer: 'tfjs', label: 'f32' },
];

interface Health {
  initMs: number;
  models: { model: string; loadMs: number; phases?: { r2Ms: number; decodeMs: number; uploadMs: number } | null }[];
}

interface Rep {
  startMs: number;
  firstMs: number;
  warmMs: number;
  initMs: number;
  loadMs: number;
  r2Ms: number;
  decodeMs: number;
  uploadMs: number;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

async function nodeBreakdown(ctx: BenchContext, n: number, q: Quantization, scorer: 'engine' | 'tfjs') {
  await useWasmBackend();
  const e = await ctx.encoded(n, q);
  const reps = ctx.quick ? 2 : 5;
  const rows: Record<string, number[]> = { checksum: [], 'parse items.json': [], 'decode (as the Worker)': [], 'decode full (publish)': [], loadModel: [] };
  for (let r = 0; r < reps; r++) {
    rows.checksum.push((await timed(() => sha256Hex(e.tensors)))[1]);
    const t0 = performance.now();
    JSON.parse(e.itemsText);
    rows['parse items.json'].push(performance.now() - t0);
    rows['decode full (publish)'].push((await timed(() => decodeArtifact(e.manifestText, e.tensors, e.itemsText)))[1]);
    const [decoded, dms] = await timed(() => decodeArtifact(e.manifestText, e.tensors, e.itemsText, { verify: 'checksum' }));
    rows['decode (as the Worker)'].push(dms);
    const t1 = performance.now();
    const m = loadModel('cold', 'node', decoded, { scorer });
    rows.loadModel.push(performance.now() - t1);
    m.dispose();
  }
  return Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, sig(median(v))]));
}

interface ColdResult {
  items: number;
  quantization: Quantization;
  scorer: 'engine' | 'tfjs';
  label: string;
  bytes: number;
  reps: Rep[];
  median: Rep;
  spread: number;
  node: Record<string, number>;
}

export const coldStartPart: Part = {
  name: 'cold-start',
  title: 'Cold start: fresh isolate to first answer (similar items, k=10)',
  async run(ctx: BenchContext): Promise<PartResult> {
    const reps = ctx.quick ? 2 : 5;
    const store = path.join(ctx.tmp, 'cold-start-r2');
    const bytes = await seedAll(ctx, store);
    const results: ColdResult[] = [];
    for (const n of ctx.sizes) {
      for (const { q, scorer, label } of VARIANTS) {
        const m = modelName(n, q);
        const list: Rep[] = [];
        for (let r = 0; r < reps; r++) list.push(await coldRep(store, m, scorer));
        const med = Object.fromEntries(Object.keys(list[0]).map((k) => [k, sig(median(list.map((x) => x[k as keyof Rep])))])) as unknown as Rep;
        const node = await nodeBreakdown(ctx, n, q, scorer);
        results.push({ items: n, quantization: q, scorer, label, bytes: bytes[`${n}/${q}`], reps: list, median: med, spread: sig(relativeSpread(list.map((x) => x.firstMs)), 2), node });
        ctx.log(`  ${n} ${label}: first answer ${med.firstMs} ms (init ${med.initMs}, r2 ${med.r2Ms}, decode ${med.decodeMs}, upload ${med.uploadMs})`);
      }
    }
    return {
      name: 'cold-start',
      tables: coldTables(results, reps),
      data: { reps, results },
      summary: coldSummary(results),
    };
  },
};

/** Every size and format seeded into one persisted R2 store (the fresh isolates read it); their bytes. */
async function seedAll(ctx: BenchContext, store: string): Promise<Record<string, number>> {
  const bytes: Record<string, number> = {};
  const seeder = await startBenchWorker(PROD_DIST, store);
  try {
    for (const n of ctx.sizes) {
      for (const q of FORMATS) {
        const e = await ctx.encoded(n, q);
        bytes[`${n}/${q}`] = e.tensors.byteLength + e.itemsText.length + e.manifestText.length;
        await seedModel(seeder.bucket, modelName(n, q), e);
      }
    }
  } finally {
    await seeder.dispose();
  }
  return bytes;
}

/** One fresh workerd: the first answer (the model loads), a warm one, and /healthz's phases. */
async function coldRep(store: string, m: string, scorer: 'engine' | 'tfjs'): Promise<Rep> {
  const w = await startBenchWorker(PROD_DIST, store, scorer === 'tfjs' ? { EDGEREC_SCORER: 'tfjs' } : {});
  const agent = new http.Agent({ keepAlive: true });
  try {
    // Open the connection first, so that TCP set-up is not counted.
    await httpGet(w, '/__none', agent);
    const ok = async (p: string) => {
      const r = await httpGet(w, p, agent);
      if (r.status !== 200) throw new Error(`GET ${p} -> ${r.status}: ${r.body.slice(0, 300)}`);
    };
    const [, firstMs] = await timed(() => ok(`/v1/models/${m}/items/1/similar?k=10`));
    const [, warmMs] = await timed(() => ok(`/v1/models/${m}/items/2/similar?k=10`));
    const h = await getJson<Health>(w, '/healthz');
    const entry = h.models.find((x) => x.model === m)!;
    const p = entry.phases ?? { r2Ms: NaN, decodeMs: NaN, uploadMs: NaN };
    return { startMs: w.startMs, firstMs, warmMs, initMs: h.initMs, loadMs: entry.loadMs, ...p };
  } finally {
    agent.destroy();
    await w.dispose();
  }
}

function coldTables(results: ColdResult[], reps: number): Table[] {
  return [
    {
      title: 'Cold start in workerd: ms, median of fresh isolates',
      headers: ['items', 'format', 'MB', 'first answer', 'R2 read → answer', 'wasm init', 'R2 read', 'decode', 'upload', 'rest', 'warm query', 'spread'],
      rows: results.map((r) => [
        r.items,
        r.label,
        r.bytes / 1e6,
        r.median.firstMs,
        sig(r.median.firstMs - r.median.initMs),
        r.median.initMs,
        r.median.r2Ms,
        r.median.decodeMs,
        r.median.uploadMs,
        sig(r.median.firstMs - r.median.initMs - r.median.loadMs),
        r.median.warmMs,
        `±${Math.round(r.spread * 100)}%`,
      ]),
      notes: [
        `${reps} fresh workerd processes per row (Miniflare, production bundle, R2 persisted on local disk); "first answer" is request to last body byte over an open loopback connection (node:http), so it includes HTTP; the isolate has served one 404 before (the connection opener), nothing else.`,
        "format: q8 = the production Worker (int8 engine); q8 tfjs = the same bundle and artifact with EDGEREC_SCORER=tfjs (the previous path); f32 = an f32 artifact (tfjs either way). 'R2 read → answer' = first answer - wasm init (tfjs' wasm init is paid by both q8 rows alike).",
        "Phases come from /healthz (functions/model-store.ts records them; wasm init from functions/tf-backend.ts). decode = decodeArtifact with verify 'checksum' (artifact format 2: sha256, tensor table, finiteness of float values and q8 scales/norms, catalogue block lengths; README 'What is validated where'); upload = loadModel: on the engine the kernel's copy of the codes and the catalogue copied out of the upload, on the previous path normalise, transpose and upload to tfjs.",
        '"rest" = first answer - wasm init - load: routing, the first query (incl. any one-off weight packing) and HTTP. "warm query" = the second request, from outside. spread = IQR/2 of first answer over its median.',
        `The Miniflare start itself (process spawn + script compile) is not counted; it was ${sig(median(results.flatMap((r) => r.reps.map((x) => x.startMs))))} ms median.`,
      ],
    },
    {
      title: 'The same load in Node: ms, median',
      headers: ['items', 'format', ...Object.keys(results[0]?.node ?? {})],
      rows: results.map((r) => [r.items, r.label, ...Object.values(r.node)]),
    },
  ];
}

function coldSummary(results: ColdResult[]): PartResult['summary'] {
  const pick = (label: string) => results.filter((r) => r.label === label);
  const cold = Object.fromEntries(pick('q8').map((r) => [String(r.items), r.median.firstMs]));
  const coldTfjs = Object.fromEntries(pick('q8 tfjs').map((r) => [String(r.items), r.median.firstMs]));
  const coldF32 = Object.fromEntries(pick('f32').map((r) => [String(r.items), r.median.firstMs]));
  // Previous path / engine, R2 read -> first answer (wasm init excluded: the same for both), same run.
  const afterInit = (r: (typeof results)[number]) => r.median.firstMs - r.median.initMs;
  const vsTfjs = Object.fromEntries(
    pick('q8').map((e) => {
      const t = pick('q8 tfjs').find((x) => x.items === e.items);
      return [String(e.items), t ? sig(afterInit(t) / afterInit(e)) : null];
    }),
  );
  return { cold_start_ms: cold, cold_start_tfjs_ms: coldTfjs, cold_start_f32_ms: coldF32, ratios: { cold_start_vs_tfjs: vsTfjs } };
}
