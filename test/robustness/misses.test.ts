// Misses cost nothing: a well-formed but unknown model name costs an R2 get of CURRENT, a get of HIDDEN and a list
// the first time; the answer is then remembered for CURRENT_TTL_SECONDS (at most 1,000 names, oldest dropped), so
// a flood of random names reaches R2 at most once per name per TTL. The app runs in Node over an in-memory bucket
// that records every call with its key (test/helpers/memory-r2.ts); the model store and routes are the Worker's own.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { publishArtifact } from '../../training/publish/publish.js';
import { writeHandmadeArtifact } from '../helpers/handmade-artifact.js';
import { memoryR2 } from '../helpers/memory-r2.js';
import { swapPair } from '../helpers/robust-models.js';

vi.mock('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', () => ({ default: {} }));
vi.mock('../../functions/tf-backend.js', () => import('../helpers/node-tf-backend.js'));
const { createApp } = await import('../../functions/app.js');

describe('unknown model names', () => {
  const app = createApp();
  const r2 = memoryR2();
  const env = { MODELS: r2.binding, CURRENT_TTL_SECONDS: '60' };
  const request = async (path: string, e: object = env) => {
    const res = await app.request(path, {}, e as never);
    return { status: res.status, body: (await res.json()) as { version?: string; error?: { code: string; message: string } } };
  };
  const calls = (f: () => Promise<unknown>) => async () => {
    const at = r2.keyed.length;
    await f();
    return r2.keyed.slice(at);
  };
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('a flood of random names reaches R2 once per name: 300 names x 3 routes = 900 calls, not 2,700', async () => {
    await publishArtifact(r2.publisher, await writeHandmadeArtifact(swapPair({ items: 10, users: 2, dim: 4 })[0]), 'real', 'v1');
    const names = Array.from({ length: 300 }, (_, i) => `ghost-${(i * 2654435761) % 1e9}`);
    const seen = await calls(async () => {
      for (const path of ['/v1/models/%s/items/1/similar', '/v1/models/%s/users/u1/recommendations', '/widget/%s/items/1']) {
        for (const n of names) {
          const { status, body } = await request(path.replace('%s', n));
          expect([status, body.error?.code]).toEqual([404, 'unknown_model']);
          expect(body.error?.message).toMatch(new RegExp(`^model "${n}" is not published \\(GET /v1/models lists those that are\\)`));
        }
      }
    })();
    expect(seen).toHaveLength(900);
    expect(seen.filter((c) => c === 'list ')).toHaveLength(300);
    for (const n of names) expect(seen.filter((c) => c.startsWith(`get ${n}/`)).sort()).toEqual([`get ${n}/CURRENT`, `get ${n}/HIDDEN`]);
    // A published model is not affected by the misses.
    expect((await request('/v1/models/real/items/i1/similar')).body.version).toBe('v1');
  });

  it('at most 1,000 names are remembered: past that the oldest is dropped (and costs its three calls again)', async () => {
    const names = Array.from({ length: 1001 }, (_, i) => `flood-${i}`);
    for (const n of names) expect((await request(`/v1/models/${n}/popular`)).status).toBe(404);
    // flood-1000 is the newest: remembered. flood-0 was the oldest when the 1,001st came: dropped.
    expect(await calls(() => request('/v1/models/flood-1000/popular'))()).toEqual([]);
    expect((await calls(() => request('/v1/models/flood-0/popular'))()).sort()).toEqual(['get flood-0/CURRENT', 'get flood-0/HIDDEN', 'list ']);
  });

  it('a model published after a miss is found once CURRENT_TTL_SECONDS have passed, not before', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-02T00:00:00Z') });
    expect((await request('/v1/models/later/popular')).status).toBe(404);
    await publishArtifact(r2.publisher, await writeHandmadeArtifact(swapPair({ items: 10, users: 2, dim: 4 })[0]), 'later', 'v1');
    vi.setSystemTime(new Date('2026-12-02T00:00:59.999Z'));
    expect(await calls(async () => expect((await request('/v1/models/later/popular')).status).toBe(404))()).toEqual([]);
    vi.setSystemTime(new Date('2026-12-02T00:01:00Z'));
    expect((await request('/v1/models/later/popular')).body.version).toBe('v1');
  });

  it('with CURRENT_TTL_SECONDS=0 nothing is remembered: every request looks', async () => {
    const zero = { ...env, CURRENT_TTL_SECONDS: '0' };
    await request('/v1/models/nobody/popular', zero);
    expect(await calls(() => request('/v1/models/nobody/popular', zero))()).toHaveLength(3);
  });

  it('a bad MODEL_MEMORY_BUDGET_MB or CURRENT_TTL_SECONDS is logged once, naming the value, and the default is used', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const bad = { ...env, MODEL_MEMORY_BUDGET_MB: 'lots', CURRENT_TTL_SECONDS: '-5' };
    for (let i = 0; i < 3; i++) {
      const h = (await (await app.request('/healthz', {}, bad as never)).json()) as { modelMemory: { budgetBytes: number } };
      expect(h.modelMemory.budgetBytes).toBe(40 * 1024 * 1024);
      expect((await request('/v1/models/real/items/i1/similar', bad)).status).toBe(200);
    }
    expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([
      'edgerec: MODEL_MEMORY_BUDGET_MB = "lots" in wrangler.toml [vars] is not a positive number; using 40. Fix the value in wrangler.toml.',
      'edgerec: CURRENT_TTL_SECONDS = "-5" in wrangler.toml [vars] is not a non-negative number; using 30. Fix the value in wrangler.toml.',
    ]);
  });
});
