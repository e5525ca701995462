// Many models, one isolate: MODEL_MEMORY_BUDGET_MB bounds the tensor bytes the models of an isolate hold together.
// Loading one more evicts the least recently used; a model larger than the budget alone is refused (503
// model_too_large) before its tensors are read, and the others keep serving. In workerd through Miniflare, with a
// budget of 0.01 MB (10,485 bytes) and handmade models of known sizes: 100 items x 8 + 5 users is
// (100*8 item vectors + 100 norms + 100 item biases + 5*8 user vectors + 5 user biases) * 4 = 4,180 bytes, so two fit
// and three do not; 400 items is 16,180 bytes, more than the whole budget.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateResidentBytes } from '../../functions/model-budget.js';
import { bucketOverR2 } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { writeHandmadeArtifact } from '../helpers/handmade-artifact.js';
import { swapPair } from '../helpers/robust-models.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

interface Health {
  modelMemory: { budgetBytes: number; residentBytes: number; peakResidentBytes: number; evictions: number };
  models: { model: string; version: string | null; residentBytes: number; waited: number; evicted?: { version: string; residentBytes: number } }[];
}

const SMALL = 4180;
const BIG = 16180;

describe('the per-isolate model memory budget', () => {
  let worker: StartedWorker;
  let smallDir: string;
  const status = async (model: string) => {
    const res = await worker.fetch(`/v1/models/${model}/items/i1/similar?k=3`);
    return { status: res.status, body: (await res.json()) as { version?: string; error?: { code: string; message: string } } };
  };
  const health = async () => (await (await worker.fetch('/healthz')).json()) as Health;
  const live = async () => Object.fromEntries((await health()).models.map((m) => [m.model, m.version]));

  beforeAll(async () => {
    let bigDir: string;
    [worker, smallDir, bigDir] = await Promise.all([
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '3600', MODEL_MEMORY_BUDGET_MB: '0.01' } }),
      writeHandmadeArtifact(swapPair({ items: 100, users: 5, dim: 8 })[0]),
      writeHandmadeArtifact(swapPair({ items: 400, users: 5, dim: 8 })[0]),
    ]);
    const bucket = bucketOverR2(worker.bucket);
    for (const m of ['a', 'b', 'c']) await publishArtifact(bucket, smallDir, m, 'v1');
    await publishArtifact(bucket, bigDir, 'big', 'v1');
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it("the manifest's estimate is the resident size the Worker reports", async () => {
    expect(estimateResidentBytes(await readFile(path.join(smallDir, 'manifest.json'), 'utf8'))).toBe(SMALL);
    expect((await status('a')).status).toBe(200);
    const h = await health();
    expect(h.models.find((m) => m.model === 'a')!.residentBytes).toBe(SMALL);
    expect(h.modelMemory).toEqual({ budgetBytes: 10485, residentBytes: SMALL, peakResidentBytes: SMALL, evictions: 0 });
  });

  it('past the budget the least recently used model is evicted, in exact LRU order, and reloads on its next request', async () => {
    expect((await status('b')).status).toBe(200);
    expect(await live()).toEqual({ a: 'v1', b: 'v1' });
    // a is now the most recently used: c's load evicts b.
    expect((await status('a')).status).toBe(200);
    expect((await status('c')).body.version).toBe('v1');
    let h = await health();
    expect(await live()).toEqual({ a: 'v1', b: null, c: 'v1' });
    expect(h.models.find((m) => m.model === 'b')!.evicted).toMatchObject({ version: 'v1', residentBytes: SMALL });
    expect(h.modelMemory).toMatchObject({ residentBytes: 2 * SMALL, evictions: 1 });
    // b comes back on its next request and evicts a (used before c).
    expect((await status('b')).body.version).toBe('v1');
    expect(await live()).toEqual({ a: null, b: 'v1', c: 'v1' });
    h = await health();
    expect(h.modelMemory).toMatchObject({ residentBytes: 2 * SMALL, evictions: 2 });
    // b's reload was a wait (nothing of b was live), like its first load.
    expect(h.models.find((m) => m.model === 'b')!.waited).toBe(2);
    // Never more than the budget at once.
    expect(h.modelMemory.peakResidentBytes).toBe(2 * SMALL);
  });

  it('a model larger than the whole budget is refused with a 503 naming its size and the budget; the others keep serving', async () => {
    const { status: code, body } = await status('big');
    expect(code).toBe(503);
    expect(body.error).toEqual({
      code: 'model_too_large',
      message:
        'model "big" version v1 needs 16,180 bytes (0.02 MB) of tensors (estimated from its manifest\'s tensor table), more than this ' +
        "isolate's model memory budget of 10,485 bytes (0.01 MB): raise MODEL_MEMORY_BUDGET_MB in wrangler.toml [vars] (an isolate has 128 MB in all) or publish a smaller model",
    });
    expect(BIG).toBeGreaterThan(10485);
    // Nothing was evicted for it, and the loaded models answer as before.
    expect((await health()).modelMemory).toMatchObject({ residentBytes: 2 * SMALL, evictions: 2 });
    for (const m of ['b', 'c']) expect((await status(m)).body.version).toBe('v1');
    expect(await live()).toMatchObject({ b: 'v1', c: 'v1', big: null });
  });
});

describe("the manifest's estimate of a q8 table scored by the int8 engine", () => {
  const manifest = JSON.stringify({
    counts: { items: 1000, users: 0 },
    tensors: [
      { name: 'item_factors', dtype: 'q8', shape: [1000, 20], scale: 'item_factors.scale' },
      { name: 'item_factors.scale', dtype: 'f32', shape: [1000] },
      { name: 'item_bias', dtype: 'f32', shape: [1000] },
    ],
  });

  it('counts int8 rows padded to 16 bytes with three f32 columns and a page of slack, not the f32 table', () => {
    // Engine: 1000 x (32 + 12) + 65,536, then norms and item_bias as f32 (4,000 each).
    expect(estimateResidentBytes(manifest, true)).toBe(1000 * (32 + 12) + 65_536 + 4000 + 4000);
    // tfjs (or a non-q8 table): the dequantised f32 table, 1000 x 20 x 4, plus the same norms and biases.
    expect(estimateResidentBytes(manifest, false)).toBe(80_000 + 4000 + 4000);
    // At 1M x 64 the f32 bound (264 MB) would refuse a model that holds 77 MB: the engine's bound is 80 MB.
    const big = manifest.replaceAll('1000', '1000000').replace('[1000000,20]', '[1000000,64]');
    expect(estimateResidentBytes(big, true)).toBe(1e6 * (64 + 12) + 65_536 + 8e6);
  });
});
