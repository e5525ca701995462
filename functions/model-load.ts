// One version of a model fetched from R2, decoded and loaded within the memory budget, in steps that let queued
// requests run in between.
import { decodeArtifact } from '../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../shared/artifact/schema.js';
import { loadModelSteps, modelBytes, needsTfjsAtLoad } from '../shared/model/loaded.js';
import { registryKeys } from '../shared/registry.js';
import { sha256InSteps } from './checksum.js';
import { loadOptions } from './engine.js';
import type { Env } from './env.js';
import { budgetBytes, estimateResidentBytes } from './model-budget.js';
import { makeRoom, notePeak, tooLarge } from './model-memory.js';
import type { Live } from './model-slots.js';
import { ensureWasmBackend } from './tf-backend.js';

export async function loadVersion(env: Env, name: string, version: string, namedBy: 'CURRENT' | 'SPLIT', slotName = name): Promise<Live> {
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
  notePeak(modelBytes(model));
  const phases = { r2Ms: t1 - t0, decodeMs: t2 - t1, uploadMs: t3 - t2 };
  return { version, model, loadedAt: new Date().toISOString(), loadMs: t3 - t0, phases };
}

export const yieldToRequests = () => new Promise<void>((r) => setTimeout(r, 0));
