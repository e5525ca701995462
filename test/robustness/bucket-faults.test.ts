// Storage faults: R2 failing (an internal error on a read) must not take a live model down, nor turn into a 500.
// The app runs in Node over an in-memory bucket that fails on command (test/helpers/memory-r2.ts); the model store
// and routes are the Worker's own.
import { describe, expect, it, vi } from 'vitest';
import { publishArtifact } from '../../training/publish/publish.js';
import { writeHandmadeArtifact } from '../helpers/handmade-artifact.js';
import { memoryR2 } from '../helpers/memory-r2.js';
import { swapPair } from '../helpers/robust-models.js';

vi.mock('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', () => ({ default: {} }));
vi.mock('../../functions/tf-backend.js', () => import('../helpers/node-tf-backend.js'));
const { createApp } = await import('../../functions/app.js');

interface Answer {
  version?: string;
  error?: { code: string; message: string };
}

describe('R2 failing on reads', () => {
  const app = createApp();
  const r2 = memoryR2();
  const env = { MODELS: r2.binding, CURRENT_TTL_SECONDS: '0' };
  // The Worker's ExecutionContext, as far as the model store uses it: background refreshes are collected and awaited
  // after each answer, so "the next request" sees what the previous one started (no timing involved).
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} };
  const get = async (path: string) => {
    const res = await app.request(path, {}, env as never, ctx as never);
    const answer = { status: res.status, body: (await res.json()) as Answer };
    await Promise.all(pending.splice(0));
    return answer;
  };

  it('a live model keeps answering while CURRENT cannot be read, and picks up a new version once it can', async () => {
    const [a, b] = await Promise.all(swapPair({ items: 20, users: 3, dim: 4 }).map((m) => writeHandmadeArtifact(m)));
    const v1 = (await publishArtifact(r2.publisher, a, 'live', 'v1')).version;
    expect((await get('/v1/models/live/items/i0/similar')).body.version).toBe(v1);
    r2.fail = (method, key) => method === 'get' && key === 'live/CURRENT';
    for (let i = 0; i < 5; i++) {
      const { status, body } = await get('/v1/models/live/items/i0/similar');
      expect([status, body.version]).toEqual([200, v1]);
    }
    r2.fail = undefined;
    await publishArtifact(r2.publisher, b, 'live', 'v2');
    // The request that notices v2 answers from v1 and loads v2 in the background; the next one is v2's.
    expect((await get('/v1/models/live/items/i0/similar')).body.version).toBe(v1);
    expect((await get('/v1/models/live/items/i0/similar')).body.version).toBe('v2');
  });

  it('a new version whose tensors cannot be read is refused for now; the live one serves, and the retry succeeds', async () => {
    const [a, b] = await Promise.all(swapPair({ items: 20, users: 3, dim: 4 }).map((m) => writeHandmadeArtifact(m)));
    await publishArtifact(r2.publisher, a, 'flaky', 'v1');
    expect((await get('/v1/models/flaky/items/i0/similar')).body.version).toBe('v1');
    r2.fail = (method, key) => method === 'get' && key === 'flaky/v2/tensors.bin';
    await publishArtifact(r2.publisher, b, 'flaky', 'v2');
    expect((await get('/v1/models/flaky/items/i0/similar')).body.version).toBe('v1');
    expect((await get('/v1/models/flaky/items/i0/similar')).body.version).toBe('v1');
    const health = (await (await app.request('/healthz', {}, env as never)).json()) as { models: { model: string; refused?: { version: string; message: string } }[] };
    expect(health.models.find((m) => m.model === 'flaky')!.refused).toMatchObject({ version: 'v2', message: expect.stringMatching(/R2 get flaky\/v2\/tensors\.bin: We encountered an internal error/) });
    r2.fail = undefined;
    expect((await get('/v1/models/flaky/items/i0/similar')).body.version).toBe('v1');
    expect((await get('/v1/models/flaky/items/i0/similar')).body.version).toBe('v2');
  });

  it('with nothing live, a failing bucket is a 503 model_unavailable that says so, not a 500; the listing failing too is still a 4xx', async () => {
    r2.fail = (method, key) => method === 'get' && key === 'cold/CURRENT';
    const down = await get('/v1/models/cold/items/i0/similar');
    expect(down.status).toBe(503);
    expect(down.body.error!.code).toBe('model_unavailable');
    expect(down.body.error!.message).toMatch(/^model "cold": the model bucket could not be read \(R2 get cold\/CURRENT: We encountered an internal error\. Please try again\. \(10001\)\); retry shortly$/);
    r2.fail = (method) => method === 'list';
    const unknown = await get('/v1/models/ghost/items/i0/similar');
    expect([unknown.status, unknown.body.error!.code]).toEqual([404, 'unknown_model']);
    r2.fail = undefined;
  });
});
