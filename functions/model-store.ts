import { ModelUnavailableError, NoModelError, NotFoundError } from '../shared/errors.js';
import { modelBytes, type LoadedModel } from '../shared/model/loaded.js';
import { TfjsNotReadyError } from '../shared/model/tensor-hold.js';
import { checkModelName, isVersion, registryKeys } from '../shared/registry.js';
import { parseSplit, type SplitFile } from '../shared/split.js';
import type { Context } from 'hono';
import type { Env } from './env.js';
import { ModelTooLargeError, numberVar } from './model-budget.js';
import { applyHidden, readHidden } from './model-hidden.js';
import { loadVersion } from './model-load.js';
import { exclusive } from './model-memory.js';
import { nextUse, slots, type Slot } from './model-slots.js';
import { ensureWasmBackend } from './tf-backend.js';

export { answerVersion } from './model-hidden.js';
export { modelMemory } from './model-memory.js';

const DEFAULT_TTL_SECONDS = 30;

/** What a background refresh is kept alive with: the request's ExecutionContext (waitUntil). */
export interface Background {
  waitUntil(promise: Promise<unknown>): void;
}

/** The request's ExecutionContext, or undefined outside workerd (app.request in Node has none: Hono throws). */
export function background(c: Context): Background | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * Runs `use` on the live version of `name`. Only a slot with nothing live makes the request wait (its first load,
 * a reload after eviction, a retry after a refusal once the TTL has passed). When the TTL has passed on a live
 * slot, the request answers from the live version at once and CURRENT is re-read in the background (kept alive
 * with `bg.waitUntil`); a new version found there is loaded beside the old one and swapped in when ready.
 * One refresh per slot at a time. `use` runs synchronously right after the last await, so a concurrent switch (or
 * an eviction) cannot dispose the model under it.
 */
export async function withModel<T>(env: Env, model: string, use: (m: LoadedModel) => T, bg?: Background, version?: string): Promise<T> {
  checkModelName(model);
  const ttl = ttlMs(env);
  // A name that was not published a moment ago costs no R2 call until the TTL passes.
  const miss = misses.get(model);
  if (miss && Date.now() - miss.at < ttl) throw miss.error;
  // With `version` (a split's variant other than CURRENT's): that version, in a slot of its own.
  const name = version === undefined ? model : `${model}@${version}`;
  let slot = slots.get(name);
  if (!slot) slots.set(name, (slot = { checkedAt: 0, hiddenIds: [], lastUsed: 0, waited: 0, ...(version !== undefined ? { pinned: { model, version } } : {}) }));
  const due = Date.now() - slot.checkedAt >= ttl;
  if (slot.live) {
    if (due && !slot.refreshing) {
      const run = startRefresh(env, name, slot).catch((e: unknown) => console.error(`edgerec: background refresh of ${name} failed: ${(e as Error).message}`));
      bg?.waitUntil(run);
    }
  } else if (!slot.failed || due) {
    // A refused version with nothing live is not fetched again until the TTL passes: under a traffic spike every
    // request would otherwise download and decode the bad artifact once more, only to answer 503 again.
    slot.waited++;
    for (let attempt = 1; ; attempt++) {
      const started = !slot.refreshing;
      const run = startRefresh(env, name, slot);
      // Requests that came meanwhile await this load too: it must outlive this request if its client goes away.
      if (started) bg?.waitUntil(run.catch(() => {}));
      await run;
      // Loaded, or refused (slot.failed: not fetched again before the TTL). Neither, the load succeeded and another
      // model's load evicted it before this continuation ran: load again, a bounded number of times.
      if (slot.live || slot.failed || attempt === 3) break;
    }
  }
  if (!slot.live) {
    if (slot.failed?.code === 'model_too_large') throw new ModelTooLargeError(slot.failed.message);
    throw new ModelUnavailableError(`model ${JSON.stringify(name)} failed to load: ${slot.failed?.message ?? 'unknown reason'}`);
  }
  slot.lastUsed = nextUse();
  try {
    return use(slot.live.model);
  } catch (e) {
    // The query wants a tfjs tensor of an engine-loaded model: start tfjs once, then answer (use has no side effects).
    if (!(e instanceof TfjsNotReadyError)) throw e;
    await ensureWasmBackend();
    return withModel(env, model, use, bg, version);
  }
}

function startRefresh(env: Env, name: string, s: Slot): Promise<void> {
  s.refreshing ??= refresh(env, name, s).finally(() => (s.refreshing = undefined));
  return s.refreshing;
}

/** Unknown names seen lately (404 / 503 no_model), oldest first; bounded so a flood of names cannot grow it. */
const misses = new Map<string, { at: number; error: Error }>();
const MAX_MISSES = 1000;

function rememberMiss(name: string, error: Error): Error {
  misses.delete(name);
  while (misses.size >= MAX_MISSES) misses.delete(misses.keys().next().value!);
  misses.set(name, { at: Date.now(), error });
  return error;
}

async function refresh(env: Env, name: string, slot: Slot): Promise<void> {
  if (slot.pinned) return refreshPinned(env, name, slot, slot.pinned);
  let pointer: R2ObjectBody | null;
  let version: string | undefined;
  // HIDDEN is read beside CURRENT, so hiding an item takes effect within the same TTL as a publish.
  const hidden = readHidden(env, name, slot);
  try {
    pointer = await env.MODELS.get(registryKeys.current(name));
    if (pointer) version = (await pointer.text()).trim();
    await hidden;
  } catch (e) {
    // The bucket failing for a moment must not take a live model down; without one it is a 503, not a 500.
    slot.checkedAt = Date.now();
    console.error(`edgerec: reading ${registryKeys.current(name)} failed: ${(e as Error).message}`);
    if (slot.live) return;
    throw new ModelUnavailableError(`model ${JSON.stringify(name)}: the model bucket could not be read (${(e as Error).message}); retry shortly`);
  }
  slot.checkedAt = Date.now();
  if (slot.live) applyHidden(slot.live.model, slot.hiddenIds);
  if (!pointer) {
    // A live model keeps serving if CURRENT vanishes: losing the pointer must not take recommendations down.
    if (slot.live) return;
    slots.delete(name);
    // Only to choose between two messages: if the listing fails, "not published" is still the right answer.
    const any = await env.MODELS.list({ limit: 1 }).catch(() => undefined);
    const hint = `publish one with npm run publish -- <artifact-dir> --model ${name}`;
    if (any?.objects.length === 0) throw rememberMiss(name, new NoModelError(`no model is published yet: ${hint}`));
    throw rememberMiss(name, new NotFoundError(`model ${JSON.stringify(name)} is not published (GET /v1/models lists those that are): ${hint}`, 'unknown_model'));
  }
  misses.delete(name);
  // SPLIT only once CURRENT exists (same TTL), so a name that is not published still costs two gets and a list.
  await readSplit(env, name, slot);
  if (version === undefined) return;
  if (slot.live?.version === version) {
    // CURRENT names the live version again (a rollback after a bad publish): the refusal is history.
    slot.failed = undefined;
    return;
  }
  try {
    if (!isVersion(version)) {
      throw new Error(`${registryKeys.current(name)} holds ${JSON.stringify(version.slice(0, 80))}, which is not a version name: publish or roll back to fix it`);
    }
    const next = await exclusive(() => loadVersion(env, name, version, 'CURRENT'));
    applyHidden(next.model, slot.hiddenIds);
    const previous = slot.live;
    slot.live = next;
    slot.failed = undefined;
    slot.evicted = undefined;
    slot.lastUsed = nextUse();
    previous?.model.dispose();
  } catch (e) {
    // The previous version (if any) keeps serving; /healthz reports the refusal.
    const code = e instanceof ModelTooLargeError ? e.code : undefined;
    slot.failed = { version: version.slice(0, 200), message: (e as Error).message, at: new Date().toISOString(), ...(code ? { code } : {}) };
    console.error(`edgerec: refusing ${name}/${version}: ${(e as Error).message}`);
  }
}

/**
 * A split variant's slot: its version never changes, so a re-read only applies the model's hidden list (read by
 * CURRENT's slot). The first request loads the version, within the budget beside the model's other versions.
 */
async function refreshPinned(env: Env, name: string, slot: Slot, pinned: { model: string; version: string }): Promise<void> {
  slot.checkedAt = Date.now();
  slot.hiddenIds = slots.get(pinned.model)?.hiddenIds ?? [];
  if (slot.live) return applyHidden(slot.live.model, slot.hiddenIds);
  try {
    const next = await exclusive(() => loadVersion(env, pinned.model, pinned.version, 'SPLIT', name));
    applyHidden(next.model, slot.hiddenIds);
    slot.live = next;
    slot.failed = undefined;
    slot.evicted = undefined;
    slot.lastUsed = nextUse();
  } catch (e) {
    const code = e instanceof ModelTooLargeError ? e.code : undefined;
    slot.failed = { version: pinned.version, message: (e as Error).message, at: new Date().toISOString(), ...(code ? { code } : {}) };
    console.error(`edgerec: refusing split variant ${name}: ${(e as Error).message}`);
  }
}

/** Reads <model>/SPLIT into the slot. Absent: no split. Unreadable or malformed: no split (CURRENT answers) and /healthz says why. */
async function readSplit(env: Env, name: string, slot: Slot): Promise<void> {
  try {
    const obj = await env.MODELS.get(registryKeys.split(name));
    slot.split = obj ? parseSplit(await obj.text()) : undefined;
    slot.splitProblem = undefined;
  } catch (e) {
    slot.split = undefined;
    slot.splitProblem = `${registryKeys.split(name)} was not applied: ${(e as Error).message}`;
    console.error(`edgerec: ${slot.splitProblem}`);
  }
  // Variants the split no longer names free their memory (a request runs synchronously after its last await, so
  // none is using them now).
  const keep = new Set(slot.split?.variants.map((v) => v.version));
  for (const [n, s] of slots) {
    if (s.pinned?.model !== name || keep.has(s.pinned.version) || s.refreshing) continue;
    s.live?.model.dispose();
    slots.delete(n);
  }
}

/** The split read with `model`'s CURRENT (after withModel on it), if any. */
export function currentSplit(model: string): SplitFile | undefined {
  return slots.get(model)?.split;
}


function ttlMs(env: Env): number {
  return numberVar('CURRENT_TTL_SECONDS', env.CURRENT_TTL_SECONDS, DEFAULT_TTL_SECONDS) * 1000;
}

/** What this isolate has loaded, for /healthz. */
export function loadedModels() {
  return [...slots.entries()].map(([name, s]) => ({
    model: name,
    version: s.live?.version ?? null,
    kind: s.live?.model.manifest.model.kind ?? null,
    items: s.live?.model.items.size ?? 0,
    loadedAt: s.live?.loadedAt ?? null,
    loadMs: s.live ? Math.round(s.live.loadMs * 100) / 100 : null,
    // Tensor bytes this version holds: once swaps settle, /healthz memory.numBytes is the sum of these.
    residentBytes: s.live ? modelBytes(s.live.model) : 0,
    // Requests that waited for a load because nothing was live; a swap never adds to it.
    waited: s.waited,
    // Items left out of every answer (npm run hide): those the live version has.
    hidden: s.live?.model.hidden.size ?? 0,
    ...(s.hiddenProblem ? { hiddenProblem: s.hiddenProblem } : {}),
    ...(s.split ? { split: s.split.variants.map(({ name: variant, version, weight }) => ({ variant, version, weight })) } : {}),
    ...(s.splitProblem ? { splitProblem: s.splitProblem } : {}),
    phases: s.live ? Object.fromEntries(Object.entries(s.live.phases).map(([k, v]) => [k, Math.round(v * 100) / 100])) : null,
    ...(s.failed ? { refused: s.failed } : {}),
    // Evicted by the memory budget (the next request loads it again).
    ...(s.evicted && !s.live ? { evicted: s.evicted } : {}),
  }));
}
