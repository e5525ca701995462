// npm run split: write <model>/SPLIT beside CURRENT, validated like CURRENT, and only if every version it names
// fits in the Worker's memory budget together with CURRENT's (each variant's version is resident at once).
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../../shared/artifact/schema.js';
import { loadModel, modelBytes } from '../../shared/model/loaded.js';
import { checkModelName, registryKeys } from '../../shared/registry.js';
import { parseSplit, type SplitFile, type SplitVariant } from '../../shared/split.js';
import { useWasmBackend } from '../tf-node.js';
import type { Bucket } from './publish.js';
import { RegistryError, validateVersion } from './registry-ops.js';

export interface SplitWritten {
  model: string;
  current: string;
  split: SplitFile;
  /** What each distinct resident version holds against the budget (the model store's figure: tensors + int8 engine). */
  memory: { version: string; bytes: number }[];
  totalBytes: number;
  budgetBytes: number;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** `a=<version>:90` -> a variant. */
export function parseVariantSpec(spec: string): SplitVariant {
  const m = /^([^=]+)=(.+):(\d+)$/.exec(spec);
  if (!m) throw new RegistryError(`--variant ${JSON.stringify(spec)} is not name=<version>:<percent>, e.g. a=20261201T100000Z-1a2b3c4d:90`);
  return { name: m[1], version: m[2], weight: Number(m[3]) };
}

/** Bytes a version holds once loaded, measured as the Worker's model store counts them (modelBytes). */
async function residentBytes(bucket: Bucket, model: string, version: string): Promise<number> {
  const files = await Promise.all(Object.values(ARTIFACT_FILES).map((f) => bucket.get(registryKeys.file(model, version, f))));
  const [manifest, tensors, items] = files as Uint8Array[];
  await useWasmBackend();
  const loaded = loadModel(model, version, await decodeArtifact(text(manifest), tensors, text(items), { verify: 'checksum' }));
  try {
    return modelBytes(loaded);
  } finally {
    loaded.dispose();
  }
}

/**
 * Validates and writes the split: the same checks the Worker applies to SPLIT (names, weights summing to 100), every
 * version complete and passing the Worker's validation, and CURRENT's version plus every variant's (each counted once)
 * within `budgetBytes`. Nothing is written when any check fails.
 */
export async function writeSplit(bucket: Bucket, model: string, variants: SplitVariant[], opts: { budgetBytes: number; salt?: string }): Promise<SplitWritten> {
  try {
    checkModelName(model);
  } catch (e) {
    throw new RegistryError((e as Error).message);
  }
  const pointer = await bucket.get(registryKeys.current(model));
  if (!pointer) throw new RegistryError(`model ${model} has no CURRENT: publish it first (npm run publish -- <artifact-dir> --model ${model})`);
  const current = text(pointer).trim();
  const previous = await bucket.get(registryKeys.split(model));
  // The same salt keeps users in their variants when only the weights change; a new split gets a fresh one.
  let salt = opts.salt;
  if (salt === undefined && previous) {
    try {
      salt = parseSplit(text(previous)).salt;
    } catch {
      // An unreadable previous split is replaced (with a fresh salt).
    }
  }
  salt ??= crypto.randomUUID().slice(0, 8);
  const body = JSON.stringify({ variants, salt, updatedAt: new Date().toISOString() } satisfies SplitFile);
  let split: SplitFile;
  try {
    split = parseSplit(body);
  } catch (e) {
    throw new RegistryError(`${(e as Error).message.replace(/^SPLIT/, 'the split')}: nothing was written`);
  }
  for (const v of split.variants) {
    try {
      await validateVersion(bucket, model, v.version);
    } catch (e) {
      throw new RegistryError(`variant ${v.name}: ${(e as Error).message}; nothing was written (npm run models -- --model ${model} lists the versions)`);
    }
  }
  const versions = [...new Set([current, ...split.variants.map((v) => v.version)])];
  const memory = [];
  for (const version of versions) memory.push({ version, bytes: await residentBytes(bucket, model, version) });
  const totalBytes = memory.reduce((s, m) => s + m.bytes, 0);
  if (totalBytes > opts.budgetBytes) {
    throw new RegistryError(
      `the split would keep ${versions.length} versions of ${model} resident (${memory.map((m) => `${m.version} ${m.bytes} B`).join(', ')}): ` +
        `${totalBytes} bytes, more than the Worker's model memory budget of ${opts.budgetBytes} bytes (MODEL_MEMORY_BUDGET_MB); nothing was written. ` +
        'Split between smaller versions, include CURRENT as a variant, or raise the budget',
    );
  }
  await bucket.put(registryKeys.split(model), body);
  const back = await bucket.get(registryKeys.split(model));
  if (!back || text(back) !== body) throw new RegistryError(`${registryKeys.split(model)} did not read back as written: run the command again`);
  return { model, current, split, memory, totalBytes, budgetBytes: opts.budgetBytes };
}

/** Removes the split: every request is answered by CURRENT again (within CURRENT_TTL_SECONDS). */
export async function endSplit(bucket: Bucket & { delete?(key: string): Promise<void> }, model: string): Promise<boolean> {
  if (!bucket.delete) throw new RegistryError('this bucket cannot delete objects: remove <model>/SPLIT with wrangler r2 object delete');
  const had = (await bucket.get(registryKeys.split(model))) !== null;
  if (had) await bucket.delete(registryKeys.split(model));
  return had;
}
