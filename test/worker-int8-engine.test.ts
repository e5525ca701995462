// The int8 scoring kernel inside workerd: the .wasm imported as a module by a minimal Worker (bundled by wrangler
// with the CompiledWasm rule, as the production Worker is) loads, and its topK equals Node's, bit for bit; then the
// production bundle, whose answers equal Node's engine exactly (and, with EDGEREC_SCORER=tfjs, Node's tfjs path).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { round } from '../functions/present.js';
import { quantizeQ8 } from '../shared/artifact/q8.js';
import { sha256Hex } from '../shared/artifact/sha256.js';
import { Int8Engine } from '../shared/engine/int8-engine.js';
import { cosineFactors } from '../shared/engine/kernel-inputs.js';
import { loadModel, type LoadedModel } from '../shared/model/loaded.js';
import { recommendFromExamples } from '../shared/model/from-examples.js';
import { recommendForUser, similarItems, type Scored } from '../shared/model/queries.js';
import { readArtifact } from '../training/export/artifact-files.js';
import { publishArtifact } from '../training/publish/publish.js';
import { useWasmBackend } from '../training/tf-node.js';
import { bucketOf } from './helpers/artifact.js';
import { trainSmallArtifact } from './helpers/handmade-artifact.js';
import { int8ScanModule } from '../training/engine-node.js';
import { buildWorkerBundle, REPO_ROOT, startWorker, type StartedWorker } from './helpers/worker.js';

const DIST = path.join(REPO_ROOT, '.wrangler', `int8-engine-dist-${process.pid}`);
let worker: StartedWorker;

beforeAll(async () => {
  await buildWorkerBundle(DIST, path.join(REPO_ROOT, 'test/fixtures/int8-engine-worker/wrangler.toml'));
  worker = await startWorker({ distDir: DIST });
});

afterAll(async () => {
  await worker?.dispose();
  await rm(DIST, { recursive: true, force: true });
});

it('answers one topK in workerd exactly as in Node', async () => {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rows = 203;
  const cols = 50;
  const data = Float32Array.from({ length: rows * cols }, () => rand() * 2 - 1);
  const q8 = quantizeQ8(data, rows, cols);
  const factor = cosineFactors(q8.values, q8.scales, rows, cols);
  const add = Float32Array.from({ length: rows }, () => rand() * 0.1);
  const query = Float32Array.from({ length: cols }, () => rand() * 2 - 1);
  const exclude = [0, 7, 100];

  const node = new Int8Engine(int8ScanModule());
  node.load({ codes: q8.values, rows, cols, factor, add });
  const want = node.topK(query, 10, { exclude });

  const res = await worker.fetch('/', {
    method: 'POST',
    body: JSON.stringify({
      rows,
      cols,
      codes: Array.from(q8.values),
      factor: Array.from(factor),
      add: Array.from(add),
      query: Array.from(query),
      k: 10,
      exclude,
    }),
  });
  const got = (await res.json()) as { isModule: boolean; indices: number[]; scores: number[]; error?: string };
  expect(got.error).toBeUndefined();
  expect(res.status).toBe(200);
  expect(got.isModule).toBe(true);
  expect(got.indices).toEqual(Array.from(want.indices));
  expect(got.scores).toEqual(Array.from(want.scores));
});

it("the Worker's stepwise checksum (DigestStream in chunks) equals sha256 of the whole, whatever the chunking", async () => {
  const bytes = Uint8Array.from({ length: 100_001 }, (_, i) => (i * 2654435761) >>> 24);
  const want = await sha256Hex(bytes);
  for (const [chunk, pauses] of [[4096, 24], [100_001, 0], [7, 14285]] as const) {
    const res = await worker.fetch(`/sha256?chunk=${chunk}`, { method: 'POST', body: bytes });
    expect(await res.json()).toEqual({ hex: want, pauses });
  }
});

describe('the production Worker scores q8 artifacts with the engine (and EDGEREC_SCORER=tfjs with tfjs)', () => {
  let engineWorker: StartedWorker;
  let tfjsWorker: StartedWorker;
  let nodeEngine: LoadedModel;
  let nodeTfjs: LoadedModel;

  beforeAll(async () => {
    const [report, a, b] = await Promise.all([
      trainSmallArtifact(),
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0', EDGEREC_SCORER: 'tfjs' } }),
    ]);
    engineWorker = a;
    tfjsWorker = b;
    await Promise.all([publishArtifact(bucketOf(a.bucket), report.out, 'demo'), publishArtifact(bucketOf(b.bucket), report.out, 'demo')]);
    await useWasmBackend();
    const artifact = await readArtifact(report.out);
    nodeEngine = loadModel('demo', 'node', artifact);
    nodeTfjs = loadModel('demo', 'node', artifact, { scorer: 'tfjs' });
    expect([nodeEngine.scorer, nodeTfjs.scorer]).toEqual(['engine', 'tfjs']);
  });
  afterAll(async () => {
    nodeEngine?.dispose();
    nodeTfjs?.dispose();
    await Promise.all([engineWorker?.dispose(), tfjsWorker?.dispose()]);
  });

  type Body = { results: { id: string; score: number }[] };
  const answer = async (w: StartedWorker, p: string) => {
    const res = await w.fetch(p);
    expect(res.status).toBe(200);
    return ((await res.json()) as Body).results.map((r) => ({ id: r.id, score: r.score }));
  };
  const view = (m: LoadedModel, s: Scored[]) => s.map((r) => ({ id: m.items.ids[r.index], score: round(r.score) }));

  it('each Worker equals its Node scorer exactly (ids and 6-decimal scores); the two scorers differ only by query rounding', async () => {
    let differ = 0;
    for (const i of [0, 17, 123]) {
      const p = `/v1/models/demo/items/${encodeURIComponent(nodeEngine.items.ids[i])}/similar?k=10`;
      const [e, t] = await Promise.all([answer(engineWorker, p), answer(tfjsWorker, p)]);
      expect(e).toEqual(view(nodeEngine, similarItems(nodeEngine, i, 10)));
      expect(t).toEqual(view(nodeTfjs, similarItems(nodeTfjs, i, 10)));
      // d = 16, unit query: |engine - tfjs| <= sqrt(16) / 65534 = 6.1e-5 (kernel-inputs.ts quantizeQuery), plus the
      // 6-decimal rounding of both (1e-6).
      e.forEach((r, j) => expect(Math.abs(r.score - t[j].score)).toBeLessThanOrEqual(6.2e-5));
      differ += e.filter((r, j) => r.score !== t[j].score).length;
    }
    for (const u of [0, 5, 42]) {
      const p = `/v1/models/demo/users/${encodeURIComponent(nodeEngine.users.ids[u])}/recommendations?k=10`;
      const [e, t] = await Promise.all([answer(engineWorker, p), answer(tfjsWorker, p)]);
      expect(e).toEqual(view(nodeEngine, recommendForUser(nodeEngine, u, 10, true)));
      expect(t).toEqual(view(nodeTfjs, recommendForUser(nodeTfjs, u, 10, true)));
    }
    // Proof that the engine Worker is not on tfjs: some scores move in the 5th-6th decimal.
    expect(differ).toBeGreaterThan(0);
  });

  it('the engine Worker starts tfjs only for a query the engine does not cover, then answers it as Node does', async () => {
    const backend = async () => ((await (await engineWorker.fetch('/healthz')).json()) as { backend: string | null }).backend;
    // The test above asked for similar items and recommendations only.
    expect(await backend()).toBeNull();
    const liked = [nodeEngine.items.ids[3], nodeEngine.items.ids[40]];
    const res = await engineWorker.fetch('/v1/models/demo/recommendations/from-examples', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ liked, k: 5 }),
    });
    expect(res.status).toBe(200);
    const got = (await res.json()) as { best: { id: string }[] };
    const want = recommendFromExamples(nodeEngine, [3, 40], [], 5).best.map((r) => nodeEngine.items.ids[r.index]);
    expect(got.best.map((r) => r.id)).toEqual(want);
    expect(await backend()).toBe('wasm');
  });
});
