import { decodeArtifact } from '../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../shared/artifact/schema.js';
import { ModelUnavailableError, NoModelError, NotFoundError } from '../shared/errors.js';
import { loadModel, type LoadedModel } from '../shared/model/loaded.js';
import { checkModelName, isVersion, registryKeys } from '../shared/registry.js';
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
  if (!slot) slots.set(name, (slot = { checkedAt: 0 }));
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
  try {
    pointer = await env.MODELS.get(registryKeys.current(name));
    if (pointer) version = (await pointer.text()).trim();
  } catch (e) {
    // The bucket failing for a moment must not take a live model down; without one it is a 503, not a 500.
    slot.checkedAt = Date.now();
    console.error(`edgerec: reading ${registryKeys.current(name)} failed: ${(e as Error).message}`);
    if (slot.live) return;
    throw new ModelUnavailableError(`model ${JSON.stringify(name)}: the model bucket could not be read (${(e as Error).message}); retry shortly`);
  }
  slot.checkedAt = Date.now();
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
  const decoded = await decodeArtifact(manifest, new Uint8Array(tensors), items);
  const t2 = performance.now();
  const model = loadModel(name, version, decoded);
  const t3 = performance.now();
  const phases = { r2Ms: t1 - t0, decodeMs: t2 - t1, uploadMs: t3 - t2 };
  return { version, model, loadedAt: new Date().toISOString(), loadMs: t3 - t0, phases };
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
    phases: s.live ? Object.fromEntries(Object.entries(s.live.phases).map(([k, v]) => [k, Math.round(v * 100) / 100])) : null,
    ...(s.failed ? { refused: s.failed } : {}),
  }));
}
