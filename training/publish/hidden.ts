import { decodeArtifact } from '../../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../../shared/artifact/schema.js';
import type { StringTable } from '../../shared/artifact/strings.js';
import { checkModelName, MAX_HIDDEN, parseHidden, registryKeys, type HiddenFile } from '../../shared/registry.js';
import type { Bucket } from './publish.js';
import { RegistryError } from './registry-ops.js';

export interface HiddenChange {
  model: string;
  /** The version whose items the ids were checked against. */
  version: string;
  hidden: string[];
  changed: string[];
  /** HIDDEN was written with a conditional write (false on the remote bucket). */
  conditional: boolean;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** What <model>/HIDDEN lists now (empty when absent), with its etag when the bucket has them. */
export async function readHiddenList(bucket: Bucket, model: string): Promise<{ file: HiddenFile; etag?: string | null }> {
  checkName(model);
  const key = registryKeys.hidden(model);
  const got = bucket.getWithEtag ? await bucket.getWithEtag(key) : await bucket.get(key).then((data) => (data ? { data, etag: undefined } : null));
  if (!got) return { file: { items: [], updatedAt: '' }, etag: bucket.getWithEtag ? null : undefined };
  try {
    return { file: parseHidden(text(got.data)), etag: got.etag };
  } catch (e) {
    throw new RegistryError(`${key} is unreadable (${(e as Error).message}): fix or delete it before changing it`);
  }
}

/**
 * Adds (or with `unhide` removes) item ids in <model>/HIDDEN, the list every answer of the Worker leaves out
 * within CURRENT_TTL_SECONDS. Ids are checked against the live version's items: an unknown id (a typo would
 * otherwise hide nothing, silently) or unhiding one that is not hidden is refused and nothing is written.
 */
export async function changeHidden(bucket: Bucket, model: string, ids: string[], unhide: boolean): Promise<HiddenChange> {
  checkName(model);
  if (ids.length === 0) throw new RegistryError('--items needs at least one item id (comma-separated)');
  const pointer = await bucket.get(registryKeys.current(model));
  if (!pointer) throw new RegistryError(`model ${model} has no CURRENT: publish it first (npm run publish -- <artifact-dir> --model ${model})`);
  const version = text(pointer).trim();
  // The item ids live in tensors.bin's catalogue blocks (format 2): read the version as the Worker does.
  const files = await Promise.all(Object.values(ARTIFACT_FILES).map((f) => bucket.get(registryKeys.file(model, version, f))));
  const missing = Object.values(ARTIFACT_FILES).find((_, n) => !files[n]);
  if (missing) throw new RegistryError(`CURRENT of ${model} names ${version}, whose ${missing} is missing: roll back or publish first`);
  const [manifestBytes, tensorBytes, itemsBytes] = files as Uint8Array[];
  let table: StringTable;
  try {
    table = (await decodeArtifact(text(manifestBytes), tensorBytes, text(itemsBytes), { verify: 'checksum' })).catalog.itemIds;
  } catch (e) {
    throw new RegistryError(`CURRENT of ${model} names ${version}, which cannot be read: ${(e as Error).message}`);
  }
  const known = { has: (id: string) => table.indexOf(id) >= 0 };
  const { file, etag } = await readHiddenList(bucket, model);
  const hidden = new Set(file.items);
  const unknown = ids.filter((id) => !known.has(id));
  if (!unhide && unknown.length) {
    throw new RegistryError(`${model} (version ${version}) has no item ${unknown.slice(0, 10).map((id) => JSON.stringify(id)).join(', ')}: nothing was hidden; check the ids`);
  }
  if (unhide) {
    const notHidden = ids.filter((id) => !hidden.has(id));
    if (notHidden.length) {
      throw new RegistryError(
        `${notHidden.slice(0, 10).map((id) => JSON.stringify(id)).join(', ')} ${notHidden.length === 1 ? 'is' : 'are'} not hidden in ${model}, so nothing was changed; hidden now: ${file.items.length ? file.items.slice(0, 20).join(', ') : '(none)'}`,
      );
    }
  }
  const changed = ids.filter((id) => (unhide ? hidden.delete(id) : !hidden.has(id) && hidden.add(id)));
  if (hidden.size > MAX_HIDDEN) throw new RegistryError(`${model} would hide ${hidden.size} items; at most ${MAX_HIDDEN} are allowed`);
  const body = JSON.stringify({ items: [...hidden], updatedAt: new Date().toISOString() } satisfies HiddenFile);
  const key = registryKeys.hidden(model);
  let conditional = false;
  if (bucket.putIf && etag !== undefined) {
    if (!(await bucket.putIf(key, body, etag))) {
      throw new RegistryError(`${key} changed while this command ran (another hide won the race): nothing was written; run it again`);
    }
    conditional = true;
  } else {
    await bucket.put(key, body);
  }
  return { model, version, hidden: [...hidden], changed, conditional };
}

function checkName(model: string): void {
  try {
    checkModelName(model);
  } catch (e) {
    throw new RegistryError((e as Error).message);
  }
}
