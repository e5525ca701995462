// The model store's memory budget (MODEL_MEMORY_BUDGET_MB): loads one at a time, least recently used models evicted
// to make room, the peak and the evictions for /healthz.
import { modelBytes } from '../shared/model/loaded.js';
import type { Env } from './env.js';
import { budgetBytes, formatBytes, ModelTooLargeError } from './model-budget.js';
import { slots, type Slot } from './model-slots.js';

/** Loads run one at a time per isolate, so what is resident is known exactly when a load makes room. */
let loadQueue: Promise<unknown> = Promise.resolve();
export function exclusive<T>(f: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(f);
  loadQueue = run.catch(() => {});
  return run;
}

let peakResidentBytes = 0;
let evictions = 0;

export const residentTotal = () => [...slots.values()].reduce((s, x) => s + (x.live ? modelBytes(x.live.model) : 0), 0);

function evict(name: string, slot: Slot, why: string): void {
  const live = slot.live!;
  slot.live = undefined;
  slot.checkedAt = 0;
  slot.evicted = { version: live.version, residentBytes: modelBytes(live.model), at: new Date().toISOString() };
  evictions++;
  live.model.dispose();
  console.log(`edgerec: evicted ${name}/${live.version} (${formatBytes(modelBytes(live.model))}) ${why}`);
}

/**
 * Evicts least recently used models (never `name`'s) until `bytes` more fit the budget. If they still do not, the
 * live version of `name` itself goes (a model larger than half the budget cannot have two versions resident: its
 * requests wait for the new one instead of the isolate running out of memory).
 */
export function makeRoom(name: string, bytes: number, budget: number): void {
  // Built only when something is evicted: toLocaleString's first call loads ICU data (~15 ms of a cold start).
  const why = () => `to make room for ${name} (${formatBytes(bytes)}) within the budget of ${formatBytes(budget)}`;
  // A split's variant never evicts the other versions of its own model: they answer the same experiment.
  const pinned = slots.get(name)?.pinned;
  const spare = (n: string, s: Slot) => n === name || (pinned !== undefined && (n === pinned.model || s.pinned?.model === pinned.model));
  while (residentTotal() + bytes > budget) {
    let lru: [string, Slot] | undefined;
    for (const [n, s] of slots) if (!spare(n, s) && s.live && (!lru || s.lastUsed < lru[1].lastUsed)) lru = [n, s];
    if (!lru) break;
    evict(lru[0], lru[1], why());
  }
  if (pinned && residentTotal() + bytes > budget) {
    throw new ModelTooLargeError(
      `the split of ${JSON.stringify(pinned.model)} needs version ${pinned.version} (${formatBytes(bytes)}) resident beside its other versions (${formatBytes(residentTotal())} in all now), ` +
        `more than this isolate's model memory budget of ${formatBytes(budget)}: the split is not applied (every request gets CURRENT); split between smaller versions or raise MODEL_MEMORY_BUDGET_MB`,
    );
  }
  const own = slots.get(name);
  if (own?.live && residentTotal() + bytes > budget) evict(name, own, `(its previous version) ${why()}`);
}

export function tooLarge(name: string, version: string, bytes: number, budget: number, how: string): ModelTooLargeError {
  return new ModelTooLargeError(
    `model ${JSON.stringify(name)} version ${version} needs ${formatBytes(bytes)} of tensors (${how}), more than this isolate's model memory budget of ${formatBytes(budget)}: ` +
      'raise MODEL_MEMORY_BUDGET_MB in wrangler.toml [vars] (an isolate has 128 MB in all) or publish a smaller model',
  );
}

/** The new version and the old one (still serving) are both resident until the caller swaps: the peak. */
export function notePeak(loadingBytes: number): void {
  peakResidentBytes = Math.max(peakResidentBytes, residentTotal() + loadingBytes);
}

/** The budget and what is held against it, for /healthz. */
export function modelMemory(env: Env) {
  return { budgetBytes: budgetBytes(env), residentBytes: residentTotal(), peakResidentBytes, evictions };
}
