import { decodeArtifact } from '../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../shared/artifact/schema.js';
import { ModelUnavailableError, NoModelError, NotFoundError } from '../shared/errors.js';
import { loadModel, type LoadedModel } from '../shared/model/loaded.js';
import { fnv1a64 } from '../shared/etag.js';
import { checkModelName, isVersion, parseHidden, registryKeys } from '../shared/registry.js';
import { loadOptions } from './engine.js';
import type { Env } from './env.js';
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
  failed?: { version: string; message: string; at: string };
  /** Ids in <model>/HIDDEN when last read (applied to every version this slot loads). */
  hiddenIds: string[];
  /** Why the last HIDDEN read was not applied, if it was not. */
  hiddenProblem?: string;
}

/** Per-isolate cache: one slot per model name, holding the live version's tensors. */
const slots = new Map<string, Slot>();

const DEFAULT_TTL_SECONDS = 30;

/**
 * Runs `use` on the live version of `name`, loading or switching versions first when CURRENT has moved.
 * `use` runs synchronously right after the last await, so a concurrent switch cannot dispose the model under it.
 */
export async function withModel<T>(env: Env, name: string, use: (m: LoadedModel) => T): Promise<T> {
  checkModelName(name);
  await ensureWasmBackend();
  let slot = slots.get(name);
  if (!slot) slots.set(name, (slot = { checkedAt: 0, hiddenIds: [] }));
  // A refused version with nothing live is not fetched again until the TTL passes: under a traffic spike every
  // request would otherwise download and decode the bad artifact once more, only to answer 503 again.
  if ((!slot.live && !slot.failed) || Date.now() - slot.checkedAt >= ttlMs(env)) {
    const s = slot;
    s.refreshing ??= refresh(env, name, s).finally(() => (s.refreshing = undefined));
    await s.refreshing;
  }
  if (!slot.live) {
    throw new ModelUnavailableError(`model ${JSON.stringify(name)} failed to load: ${slot.failed?.message ?? 'unknown reason'}`);
  }
  return use(slot.live.model);
}

async function refresh(env: Env, name: string, slot: Slot): Promise<void> {
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
    if (any?.objects.length === 0) throw new NoModelError(`no model is published yet: ${hint}`);
    throw new NotFoundError(`model ${JSON.stringify(name)} is not published (GET /v1/models lists those that are): ${hint}`, 'unknown_model');
  }
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
    const next = await loadVersion(env, name, version);
    applyHidden(next.model, slot.hiddenIds);
    const previous = slot.live;
    slot.live = next;
    slot.failed = undefined;
    previous?.model.dispose();
  } catch (e) {
    // The previous version (if any) keeps serving; /healthz reports the refusal.
    slot.failed = { version: version.slice(0, 200), message: (e as Error).message, at: new Date().toISOString() };
    console.error(`edgerec: refusing ${name}/${version}: ${(e as Error).message}`);
  }
}

async function loadVersion(env: Env, name: string, version: string): Promise<Live> {
  const t0 = performance.now();
  const get = async (file: string) => {
    const obj = await env.MODELS.get(registryKeys.file(name, version, file));
    if (!obj) throw new Error(`CURRENT names version ${version}, but ${registryKeys.file(name, version, file)} is missing`);
    return obj;
  };
  const [manifest, tensors, items] = await Promise.all([
    get(ARTIFACT_FILES.manifest).then((o) => o.text()),
    get(ARTIFACT_FILES.tensors).then((o) => o.arrayBuffer()),
    get(ARTIFACT_FILES.items).then((o) => o.text()),
  ]);
  const t1 = performance.now();
  // Publish ran the full decode on these bytes; the checksum vouches for what it checked (decode.ts DecodeOptions).
  const decoded = await decodeArtifact(manifest, new Uint8Array(tensors), items, { verify: 'checksum' });
  const t2 = performance.now();
  const model = loadModel(name, version, decoded, loadOptions(env));
  const t3 = performance.now();
  const phases = { r2Ms: t1 - t0, decodeMs: t2 - t1, uploadMs: t3 - t2 };
  return { version, model, loadedAt: new Date().toISOString(), loadMs: t3 - t0, phases };
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
  const s = Number(env.CURRENT_TTL_SECONDS ?? DEFAULT_TTL_SECONDS);
  return (Number.isFinite(s) && s >= 0 ? s : DEFAULT_TTL_SECONDS) * 1000;
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
    residentBytes: s.live?.model.residentBytes ?? 0,
    // Items left out of every answer (npm run hide): those the live version has.
    hidden: s.live?.model.hidden.size ?? 0,
    ...(s.hiddenProblem ? { hiddenProblem: s.hiddenProblem } : {}),
    phases: s.live ? Object.fromEntries(Object.entries(s.live.phases).map(([k, v]) => [k, Math.round(v * 100) / 100])) : null,
    ...(s.failed ? { refused: s.failed } : {}),
  }));
}
