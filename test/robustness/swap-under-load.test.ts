// A bounded form of bench/swap-under-load.ts's run: requests at 8 connections while CURRENT moves between two versions
// every 250 ms (a publish, then rollbacks), 64 concurrent requests fired at every move; after each move the
// load goes on until an answer names the new version (the Worker loads it in the background). withModel runs the
// query synchronously after its last await, so a swap can never dispose a model under a request: every answer is
// a 200 from exactly one version, with that version's results, and only one model stays resident.
//
// Only what must hold on any machine is asserted: no latency, no request counts. The number of moves is fixed by the
// schedule, not by how many fit in the time (1500 / 250 - 1 = 5 moves with a burst each, A->B first, so the 5th lands
// on B and a 6th moves back to A), and the run waits until each move's version has answered (bounded by a count of
// requests, failing with the version's name otherwise), so 6 swaps are seen served on a slow machine as on a fast one.
import { describe, expect, it } from 'vitest';
import { runSwapUnderLoad } from '../helpers/swap-under-load.js';

describe('swapping versions under load', () => {
  it('0 failed and 0 wrong answers across publishes and rollbacks; both versions served; memory back to one model', async () => {
    const r = await runSwapUnderLoad({ durationMs: 1500, connections: 8, swapEveryMs: 250, burst: 64, log: (l) => console.log(`[swap] ${l}`) });
    expect(r.failures).toEqual([]);
    expect([r.failed, r.wrong]).toEqual([0, 0]);
    // Of all those requests only the very first waited for a load; none waited for a swap.
    expect(r.waitedForLoad).toBe(1);
    // Swaps both ways, each seen served (the run fails otherwise: failures would name the version).
    expect(r.swaps).toBe(6);
    expect(r.burstRequests).toBe(5 * 64);
    expect(r.requests).toBeGreaterThan(r.burstRequests);
    expect(Object.keys(r.byVersion).sort()).toEqual([...r.versions].sort());
    for (const v of r.versions) expect(r.byVersion[v]).toBeGreaterThan(0);
    // The answers tell the versions apart, so "results from the version it names" is a real check.
    expect(r.distinguishable).toBeGreaterThan(0.9);
    // Memory: after the swaps settle the resident tensors are exactly one model's, as before; /healthz never saw two
    // (a version is loaded and swapped in one synchronous step), though for that step two were resident.
    expect(r.memory.after).toEqual(r.memory.before);
    expect(r.memory.after.numBytes).toBe(r.memory.oneModelBytes);
    expect(r.memory.samples).toBeGreaterThan(0);
    expect([r.memory.minBytes, r.memory.maxBytes]).toEqual([r.memory.oneModelBytes, r.memory.oneModelBytes]);
    expect(r.memory.peakResidentBytes).toBe(2 * r.memory.oneModelBytes);
  });
});
