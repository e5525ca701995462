// A bench-only Worker: the production app plus /__bench routes that time query compute inside workerd.
// Built into its own bundle (bench/wrangler.bench.toml -> .wrangler/bench-dist); the production bundle never
// contains these routes. Timing inside a Worker is a local-only measurement: deployed, clocks advance only on I/O.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { createApp } from '../../functions/app.js';
import type { Env } from '../../functions/env.js';
import { withModel } from '../../functions/model-store.js';
import { ensureWasmBackend, tfReady } from '../../functions/tf-backend.js';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../../shared/artifact/schema.js';
import { registryKeys } from '../../shared/registry.js';
import {
  loadTfImpl,
  loopImpl,
  opBreakdown,
  queryRunner,
  tfImpl,
  timeBatches,
  type ImplName,
  type OpName,
  type QueryImpl,
  type TimingOptions,
} from '../lib/query-impls.js';

const app = createApp();

interface QueriesBody {
  model: string;
  impl: ImplName;
  op: OpName;
  k: number;
  timing: Omit<TimingOptions, 'now'>;
}

const now = () => performance.now();

async function readArtifact(env: Env, name: string) {
  const pointer = await env.MODELS.get(registryKeys.current(name));
  if (!pointer) throw new Error(`bench: model ${name} has no CURRENT in the bucket`);
  const version = (await pointer.text()).trim();
  const get = async (f: string) => {
    const o = await env.MODELS.get(registryKeys.file(name, version, f));
    if (!o) throw new Error(`bench: ${registryKeys.file(name, version, f)} is missing`);
    return o;
  };
  const [manifest, tensors, items] = await Promise.all([
    get(ARTIFACT_FILES.manifest).then((o) => o.text()),
    get(ARTIFACT_FILES.tensors).then((o) => o.arrayBuffer()),
    get(ARTIFACT_FILES.items).then((o) => o.text()),
  ]);
  return decodeArtifact(manifest, new Uint8Array(tensors), items);
}

function wasmHeapBytes(): number {
  const backend = tf.engine().findBackend('wasm') as BackendWasm | null;
  // The emscripten module type (HEAPU8) lives in @types/emscripten, which tsconfig does not load.
  return backend ? (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.byteLength : 0;
}

/** One prepared implementation at a time, so that loading is not timed and the bench can read CPU time per call. */
let prepared: { key: string; impl: QueryImpl } | undefined;

async function prepare(env: Env, model: string, impl: ImplName): Promise<QueryImpl> {
  await ensureWasmBackend();
  const key = `${model}/${impl}`;
  if (prepared?.key === key) return prepared.impl;
  if (prepared) {
    prepared.impl.dispose();
    prepared = undefined;
  }
  await tf.setBackend('wasm');
  let q: QueryImpl;
  if (impl === 'engine') {
    // The production load path and the production model object (owned by the store: not disposed here).
    q = await withModel(env, model, (m) => ({ ...tfImpl('engine', m, 'wasm'), dispose: () => {} }));
  } else {
    const artifact = await readArtifact(env, model);
    if (impl === 'wasm' || impl === 'cpu') {
      // The previous production path: the same queries with scorer 'tfjs'.
      q = await loadTfImpl(impl, artifact, impl);
    } else {
      const seen = { seenIndptr: Int32Array.from(artifact.items.seen.indptr), seenIndices: Int32Array.from(artifact.items.seen.indices) };
      q = loopImpl(artifact, seen);
    }
  }
  prepared = { key, impl: q };
  return q;
}

async function timeQueries(env: Env, b: QueriesBody) {
  const impl = await prepare(env, b.model, b.impl);
  await impl.activate();
  return timeBatches(queryRunner(impl, b.op, b.k), { ...b.timing, now });
}

/** The app's own handling time per request (no HTTP, no socket): where a route's time goes besides the math. */
async function handlerTimes(env: Env, ctx: ExecutionContext, b: { paths: string[]; n: number }) {
  const out: Record<string, number> = {};
  for (const p of b.paths) {
    const run = async () => {
      const res = await app.fetch(new Request(new URL(p, 'http://localhost')), env, ctx);
      if (res.status !== 200) throw new Error(`${p} -> ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.arrayBuffer();
    };
    for (let w = 0; w < 20; w++) await run();
    const t0 = performance.now();
    for (let i = 0; i < b.n; i++) await run();
    out[p] = (performance.now() - t0) / b.n;
  }
  return out;
}

async function bench(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (path === '/__bench/handler') return Response.json(await handlerTimes(env, ctx, (await req.json()) as { paths: string[]; n: number }));
  if (path === '/__bench/prepare') {
    const b = (await req.json()) as { model: string; impl: ImplName };
    await prepare(env, b.model, b.impl);
    return Response.json({ ok: true });
  }
  if (path === '/__bench/queries') return Response.json(await timeQueries(env, (await req.json()) as QueriesBody));
  if (path === '/__bench/ops') {
    const body = (await req.json()) as { model: string; timing: Omit<TimingOptions, 'now'> };
    await prepare(env, body.model, 'engine');
    return Response.json(await withModel(env, body.model, (m) => opBreakdown(m, { ...body.timing, now })));
  }
  if (path === '/__bench/memory') {
    // tfjs is not started here: an isolate serving q8 models on the engine never starts it (functions/tf-backend.ts).
    // ?model=<name>: also what that (already loaded) model holds outside tfjs: the int8 kernels' linear memories and
    // its JS tables (catalogue blocks, norms, user rows).
    const model = new URL(req.url).searchParams.get('model');
    const held = model
      ? await withModel(env, model, (m) => ({
          kernelBytes: m.engine ? m.engine.items.memoryBytes + (m.engine.ranker?.engine.memoryBytes ?? 0) : 0,
          engineBytes: m.engineBytes,
          catalogBytes: m.catalogBytes,
          tensorBytes: m.residentBytes,
        }))
      : undefined;
    return Response.json({ wasmHeapBytes: tfReady() ? wasmHeapBytes() : 0, tf: tfReady() ? tf.memory() : null, ...(held ? { model: held } : {}) });
  }
  return Response.json({ error: `no bench route ${path}` }, { status: 404 });
}

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(req.url).pathname.startsWith('/__bench/')) {
      try {
        return await bench(req, env, ctx);
      } catch (e) {
        return Response.json({ error: (e as Error).stack ?? String(e) }, { status: 500 });
      }
    }
    return app.fetch(req, env, ctx);
  },
};
