import { decodeArtifact } from '../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../shared/artifact/schema.js';
import { ModelUnavailableError, NoModelError, NotFoundError } from '../shared/errors.js';
import { loadModelSteps, modelBytes, needsTfjsAtLoad, type LoadedModel } from '../shared/model/loaded.js';
import { TfjsNotReadyError } from '../shared/model/tensor-hold.js';
import { fnv1a64 } from '../shared/etag.js';
import { checkModelName, isVersion, parseHidden, registryKeys } from '../shared/registry.js';
import { sha256InSteps } from './checksum.js';
import { parseSplit, type SplitFile } from '../shared/split.js';
import { loadOptions } from './engine.js';
import type { Context } from 'hono';
import type { Env } from './env.js';
import { budgetBytes, estimateResidentBytes, formatBytes, ModelTooLargeError, numberVar } from './model-budget.js';
import { ensureWasmBackend } from './tf-backend.js';

interface Live {
  version: string;
  model: LoadedModel;
  loadedAt: string;
  loadMs: number;
  /**
   * Where loadMs went (npm run bench reads them from /healthz). Local figures only: deployed, a Worker's clock
   * advances on I/O alone, so the CPU-bound phases read 0 there.
   */
  phases: { r2Ms: number; decodeMs: number; uploadMs: number };
}

interface Slot {
  live?: Live;
  /** When CURRENT was last read (ms since epoch). */
  checkedAt: number;
  refreshing?: Promise<void>;
  failed?: { version: string; message: string; at: string; code?: string };
  /** Ids in <model>/HIDDEN when last read (applied to every version this slot loads). */
  hiddenIds: string[];
  /** Why the last HIDDEN read was not applied, if it was not. */
  hiddenProblem?: string;
  /** Use order (a counter, not a clock: no ties): the least recently used model is evicted first. */
  lastUsed: number;
  /** Requests that waited for a load (nothing was live): the first, and any after an eviction or a refusal. */
  waited: number;
  /** Set when the memory budget evicted the live version; the next request loads it again. */
  evicted?: { version: string; residentBytes: number; at: string };
  /** <model>/SPLIT when last read (undefined: none); why it was not applied, if it was not. */
  split?: SplitFile;
  splitProblem?: string;
  /** A slot holding one fixed version (a split's variant), keyed `<model>@<version>`: it never reads CURRENT. */
  pinned?: { model: string; version: string };
}

/** Per-isolate cache: one slot per model name, holding the live version's tensors. */
const slots = new Map<string, Slot>();

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

let useClock = 0;

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
  slot.lastUsed = ++useClock;
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
    slot.lastUsed = ++useClock;
    previous?.model.dispose();
  } catch (e) {
    // The previous version (if any) keeps serving; /healthz reports the refusal.
    const code = e instanceof ModelTooLargeError ? e.code : undefined;
    slot.failed = { version: version.slice(0, 200), message: (e as Error).message, at: new Date().toISOString(), ...(code ? { code } : {}) };
    console.error(`edgerec: refusing ${name}/${version}: ${(e as Error).message}`);
  }
}

// ---- The memory budget (MODEL_MEMORY_BUDGET_MB) -------------------------------------------------------------

/** Loads run one at a time per isolate, so what is resident is known exactly when a load makes room. */
let loadQueue: Promise<unknown> = Promise.resolve();
function exclusive<T>(f: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(f);
  loadQueue = run.catch(() => {});
  return run;
}

let peakResidentBytes = 0;
let evictions = 0;

const residentTotal = () => [...slots.values()].reduce((s, x) => s + (x.live ? modelBytes(x.live.model) : 0), 0);

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
function makeRoom(name: string, bytes: number, budget: number): void {
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

function tooLarge(name: string, version: string, bytes: number, budget: number, how: string): ModelTooLargeError {
  return new ModelTooLargeError(
    `model ${JSON.stringify(name)} version ${version} needs ${formatBytes(bytes)} of tensors (${how}), more than this isolate's model memory budget of ${formatBytes(budget)}: ` +
      'raise MODEL_MEMORY_BUDGET_MB in wrangler.toml [vars] (an isolate has 128 MB in all) or publish a smaller model',
  );
}

async function loadVersion(env: Env, name: string, version: string, namedBy: 'CURRENT' | 'SPLIT', slotName = name): Promise<Live> {
  const t0 = performance.now();
  const budget = budgetBytes(env);
  const get = async (file: string) => {
    const obj = await env.MODELS.get(registryKeys.file(name, version, file));
    if (!obj) throw new Error(`${namedBy} names version ${version}, but ${registryKeys.file(name, version, file)} is missing`);
    return obj;
  };
  // All three reads start at once (no extra round trip); the manifest, which is small, says whether to go on.
  const [manifestObj, tensorsObj, itemsObj] = [ARTIFACT_FILES.manifest, ARTIFACT_FILES.tensors, ARTIFACT_FILES.items].map(get);
  tensorsObj.catch(() => {});
  itemsObj.catch(() => {});
  const manifest = await (await manifestObj).text();
  const opts = loadOptions(env);
  const estimate = estimateResidentBytes(manifest, opts.scorer === 'engine');
  if (estimate !== undefined && estimate > budget) {
    // Refused before tensors.bin is read: the bodies are dropped unread.
    for (const o of [tensorsObj, itemsObj]) o.then((b) => (b as { body?: ReadableStream }).body?.cancel(), () => {}).catch(() => {});
    throw tooLarge(name, version, estimate, budget, "estimated from its manifest's tensor table");
  }
  const [tensors, items] = await Promise.all([tensorsObj.then((o) => o.arrayBuffer()), itemsObj.then((o) => o.text())]);
  const t1 = performance.now();
  // Decode and upload are long synchronous steps on the isolate's one thread; between them, requests that queued
  // meanwhile are answered (from the live version) first.
  await yieldToRequests();
  // Publish ran the full decode on these bytes; the checksum vouches for what it checked (decode.ts DecodeOptions).
  const decoded = await decodeArtifact(manifest, new Uint8Array(tensors), items, { verify: 'checksum', sha256: (b) => sha256InSteps(b, yieldToRequests) });
  await yieldToRequests();
  const t2 = performance.now();
  // Room is made after the artifact decoded (a broken one evicts nothing) and before its upload.
  if (estimate !== undefined) makeRoom(slotName, estimate, budget);
  if (needsTfjsAtLoad(decoded, opts)) await ensureWasmBackend();
  // In steps: between chunks of the codes (and after the catalogue copy) requests queued meanwhile are answered, so a
  // 1M load is a series of short pauses, not one (loadModelSteps).
  const steps = loadModelSteps(name, version, decoded, opts);
  let step = steps.next();
  while (!step.done) {
    await yieldToRequests();
    step = steps.next();
  }
  const model = step.value;
  const t3 = performance.now();
  if (modelBytes(model) > budget) {
    const bytes = modelBytes(model);
    model.dispose();
    throw tooLarge(name, version, bytes, budget, 'measured after upload');
  }
  // The estimate is checked against the real figure: whatever it missed is made room for now.
  try {
    makeRoom(slotName, modelBytes(model), budget);
  } catch (e) {
    model.dispose();
    throw e;
  }
  // The new version and the old one (still serving) are both resident until the caller swaps: the peak.
  peakResidentBytes = Math.max(peakResidentBytes, residentTotal() + modelBytes(model));
  const phases = { r2Ms: t1 - t0, decodeMs: t2 - t1, uploadMs: t3 - t2 };
  return { version, model, loadedAt: new Date().toISOString(), loadMs: t3 - t0, phases };
}

const yieldToRequests = () => new Promise<void>((r) => setTimeout(r, 0));

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
    slot.lastUsed = ++useClock;
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

/** The budget and what is held against it, for /healthz. */
export function modelMemory(env: Env) {
  return { budgetBytes: budgetBytes(env), residentBytes: residentTotal(), peakResidentBytes, evictions };
}

/**
 * Reads <model>/HIDDEN into the slot. Absent: nothing hidden. Unreadable or malformed: the previous list stays
 * (a bad write must neither take answers down nor un-hide what was hidden) and /healthz says why.
 */
async function readHidden(env: Env, name: string, slot: Slot): Promise<void> {
  try {
    const obj = await env.MODELS.get(registryKeys.hidden(name));
    slot.hiddenIds = obj ? parseHidden(await obj.text()).items : [];
    slot.hiddenProblem = undefined;
  } catch (e) {
    slot.hiddenProblem = `${registryKeys.hidden(name)} was not applied: ${(e as Error).message}`;
    console.error(`edgerec: ${slot.hiddenProblem}`);
  }
}

const hiddenTags = new WeakMap<LoadedModel, string>();

/** Hidden ids the model knows become its hidden set; ids of items it does not have are ignored. */
function applyHidden(model: LoadedModel, ids: readonly string[]): void {
  const known = ids.filter((id) => model.items.has(id));
  model.hidden = new Set(known.map((id) => model.items.indexOf(id, model.name)));
  hiddenTags.set(model, known.length ? fnv1a64([...known].sort().join('\n')).slice(0, 8) : '');
}

/**
 * What an answer from `model` depends on besides the request: its version and, when items are hidden, the hidden
 * set. Routes record it as modelVersion, so hiding an item changes every ETag (and widget cache key) of the model.
 */
export function answerVersion(model: LoadedModel): string {
  const tag = hiddenTags.get(model);
  return tag ? `${model.version}+hidden.${tag}` : model.version;
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
