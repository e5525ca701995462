import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { ARTIFACT_FILES } from '../../shared/artifact/schema.js';
import { sha256Hex } from '../../shared/artifact/sha256.js';
import { checkModelName, isVersion, registryKeys, versionName } from '../../shared/registry.js';

/** The little a registry needs of a bucket: the local R2 simulation and the real R2 both provide it. */
export interface Bucket {
  put(key: string, data: Uint8Array | string): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  /** Every key that starts with prefix, in key order. Absent on the remote bucket: wrangler's CLI cannot list objects. */
  list?(prefix: string): Promise<string[]>;
}

export class PublishError extends Error {
  override name = 'PublishError';
}

export interface Published {
  model: string;
  version: string;
  previous: string | null;
  bytes: number;
  kind: string;
}

/**
 * Validates the artifact with the Worker's own decoder, uploads it under an immutable version folder, reads every
 * file back and compares checksums, and only then moves CURRENT: a reader never sees CURRENT name a partial upload.
 */
export async function publishArtifact(bucket: Bucket, dir: string, model: string, version?: string): Promise<Published> {
  try {
    checkModelName(model);
  } catch (e) {
    throw new PublishError((e as Error).message);
  }
  const files = await Promise.all(
    Object.values(ARTIFACT_FILES).map(async (f) => {
      try {
        return { name: f, bytes: new Uint8Array(await readFile(join(dir, f))) };
      } catch {
        throw new PublishError(`${join(dir, f)} is missing: ${dir} is not an artifact folder (train one with npm run train)`);
      }
    }),
  );
  const text = (name: string) => new TextDecoder().decode(files.find((f) => f.name === name)!.bytes);
  const tensors = files.find((f) => f.name === ARTIFACT_FILES.tensors)!.bytes;
  let decoded;
  try {
    decoded = await decodeArtifact(text(ARTIFACT_FILES.manifest), tensors, text(ARTIFACT_FILES.items));
  } catch (e) {
    throw new PublishError(`refusing to publish ${dir}: ${(e as Error).message}`);
  }
  const v = version ?? versionName(new Date(decoded.manifest.createdAt), decoded.manifest.tensorsSha256);
  if (!isVersion(v)) throw new PublishError(`version ${JSON.stringify(v)} is malformed: use letters, digits, '.', '_' or '-'`);
  const previousBytes = await bucket.get(registryKeys.current(model));
  const previous = previousBytes ? new TextDecoder().decode(previousBytes).trim() : null;

  // Manifest last: a version folder with a manifest is complete.
  const order = [ARTIFACT_FILES.tensors, ARTIFACT_FILES.items, ARTIFACT_FILES.manifest];
  for (const name of order) {
    const f = files.find((x) => x.name === name)!;
    const key = registryKeys.file(model, v, name);
    await bucket.put(key, f.bytes);
    const back = await bucket.get(key);
    if (!back || (await sha256Hex(back)) !== (await sha256Hex(f.bytes))) {
      throw new PublishError(`upload of ${key} did not verify (read back ${back?.byteLength ?? 0} of ${f.bytes.byteLength} bytes); CURRENT not moved`);
    }
  }
  await bucket.put(registryKeys.current(model), v);
  return { model, version: v, previous, bytes: files.reduce((s, f) => s + f.bytes.byteLength, 0), kind: decoded.manifest.model.kind };
}
