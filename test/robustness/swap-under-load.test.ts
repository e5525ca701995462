// A bounded form of bench/swap-under-load.ts: 2.5 s of requests at 8 connections while CURRENT moves between two
// versions every 250 ms (a publish, then rollbacks), 64 concurrent requests fired at every move. withModel runs the
// query synchronously after its last await, so a swap can never dispose a model under a request: every answer is
// a 200 from exactly one version, with that version's results, and only one model is ever resident.
import { describe, expect, it } from 'vitest';
import { runSwapUnderLoad } from '../../bench/swap-under-load.js';

describe('swapping versions under load', () => {
  it('0 failed and 0 wrong answers across publishes and rollbacks; the old version is released', async () => {
    const r = await runSwapUnderLoad({ durationMs: 2500, connections: 8, swapEveryMs: 250, burst: 64, log: (l) => console.log(`[swap] ${l}`) });
    expect(r.failures).toEqual([]);
    expect([r.failed, r.wrong]).toEqual([0, 0]);
    // The load was real and both versions served: a publish and rollbacks, each met by a burst.
    expect(r.swaps).toBeGreaterThanOrEqual(4);
    expect(r.burstRequests).toBe(r.swaps * 64);
    expect(r.requests).toBeGreaterThan(r.burstRequests + 200);
    expect(Object.keys(r.byVersion).sort()).toEqual([...r.versions].sort());
    for (const v of r.versions) expect(r.byVersion[v]).toBeGreaterThan(50);
    // The answers tell the versions apart, so "results from the version it names" is a real check.
    expect(r.distinguishable).toBeGreaterThan(0.9);
    // Memory: after the swaps settle the resident tensors are exactly one model's, as before; /healthz never saw two.
    expect(r.memory.after).toEqual(r.memory.before);
    expect(r.memory.after.numBytes).toBe(r.memory.oneModelBytes);
    expect(r.memory.samples).toBeGreaterThan(20);
    expect([r.memory.minBytes, r.memory.maxBytes]).toEqual([r.memory.oneModelBytes, r.memory.oneModelBytes]);
  });
});
