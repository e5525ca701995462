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
  /**
   * Compare-and-swap, for moving CURRENT: reads an object with its etag, and writes only if the object's etag is
   * still `expectedEtag` (null: only if the key is absent), answering false when another writer got there first.
   * R2's put(key, value, { onlyIf }) does this atomically. Absent on the remote bucket: wrangler's CLI has no
   * conditional put, so CURRENT is then written unconditionally and read back.
   */
  getWithEtag?(key: string): Promise<{ data: Uint8Array; etag: string } | null>;
  putIf?(key: string, data: Uint8Array | string, expectedEtag: string | null): Promise<boolean>;
}

/** Said by the CLIs when a bucket cannot move CURRENT with a conditional write (the remote one). */
export const NO_CONDITIONAL_WRITE_NOTE =
  "note: wrangler's CLI cannot write R2 objects conditionally, so CURRENT is moved with a plain write and read back: " +
  'two publish/rollback commands run at the same moment against the real bucket can interleave (the last write wins). ' +
  'Run one at a time (e.g. from a single CI job).';

/** What CURRENT names now, with its etag when the bucket can do conditional writes. */
export interface CurrentPointer {
  version: string | null;
  /** null: CURRENT is absent; undefined: the bucket has no etags (no conditional writes). */
  etag?: string | null;
}

export async function readCurrentPointer(bucket: Bucket, model: string): Promise<CurrentPointer> {
  const key = registryKeys.current(model);
  if (bucket.getWithEtag && bucket.putIf) {
    const got = await bucket.getWithEtag(key);
    return got ? { version: new TextDecoder().decode(got.data).trim(), etag: got.etag } : { version: null, etag: null };
  }
  const b = await bucket.get(key);
  return { version: b ? new TextDecoder().decode(b).trim() : null };
}

/**
 * Moves CURRENT from `seen` (as read before the work began) to `version`. With a conditional bucket the write
 * succeeds only if CURRENT still is what was read, so of two publishers racing from the same CURRENT exactly one
 * moves it; the other gets `raced(now)` with what CURRENT names now. Without one: a plain write, read back.
 */
export async function moveCurrent(
  bucket: Bucket,
  model: string,
  seen: CurrentPointer,
  version: string,
  raced: (now: string | null) => Error,
): Promise<{ conditional: boolean }> {
  const key = registryKeys.current(model);
  if (bucket.putIf && seen.etag !== undefined) {
    if (await bucket.putIf(key, version, seen.etag)) return { conditional: true };
    throw raced((await readCurrentPointer(bucket, model)).version);
  }
  await bucket.put(key, version);
  const back = (await readCurrentPointer(bucket, model)).version;
  if (back !== version) throw raced(back);
  return { conditional: false };
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
  /** CURRENT was moved by a conditional write (false on the remote bucket: see NO_CONDITIONAL_WRITE_NOTE). */
  conditional: boolean;
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
  // Read before uploading: CURRENT moves only if nobody moved it meanwhile (see moveCurrent).
  const seen = await readCurrentPointer(bucket, model);
  const previous = seen.version;

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
  const { conditional } = await moveCurrent(bucket, model, seen, v, (now) =>
    new PublishError(
      `CURRENT of ${model} moved while ${v} was being uploaded: it named ${previous ?? '(nothing)'} then and names ${now ?? '(nothing)'} now ` +
        `(another publish or rollback won the race). ${v} is uploaded and verified but not live: ` +
        `check which version should serve, then npm run rollback -- --model ${model} --to ${v} if it is this one`,
    ),
  );
  return { model, version: v, previous, bytes: files.reduce((s, f) => s + f.bytes.byteLength, 0), kind: decoded.manifest.model.kind, conditional };
}
