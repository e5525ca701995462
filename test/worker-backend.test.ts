import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type StartedWorker } from './helpers/worker';

describe('Worker bundle in workerd', () => {
  let worker: StartedWorker;

  beforeAll(async () => {
    worker = await startWorker();
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it('starts tfjs only when asked: /healthz says null until then', async () => {
    const body = (await (await worker.fetch('/healthz')).json()) as { backend: string | null; initMs: number | null; selfTest: unknown };
    expect([body.backend, body.initMs, body.selfTest]).toEqual([null, null, null]);
  });

  it('runs tfjs on the wasm backend: /healthz?tfjs reports wasm and a correct matMul', async () => {
    const res = await worker.fetch('/healthz?tfjs');
    const body = (await res.json()) as { ok: boolean; backend: string; initMs: number; selfTest: number[][] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.backend).toBe('wasm');
    expect(body.selfTest).toEqual([[17], [39]]);
    // A number once the backend has initialised (NaN before); its size is a bench figure, not a test's.
    expect(Number.isFinite(body.initMs)).toBe(true);
  });

  it('keeps the backend across requests in one isolate', async () => {
    const [first, second] = await Promise.all([worker.fetch('/healthz?tfjs'), worker.fetch('/healthz')]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const a = (await first.json()) as { initMs: number };
    const b = (await second.json()) as { initMs: number };
    // initMs is measured once, by the one init; a second init would record a new value.
    expect(typeof a.initMs).toBe('number');
    expect(b.initMs).toBe(a.initMs);
  });
});
