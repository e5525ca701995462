import { decodeArtifact } from '../../shared/artifact/decode.js';
import { ARTIFACT_FILES, type Manifest } from '../../shared/artifact/schema.js';
import { checkModelName, isVersion, registryKeys } from '../../shared/registry.js';
import { moveCurrent, readCurrentPointer, type Bucket } from './publish.js';

/** A registry command that cannot do what was asked; the message says why and what to do. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

export interface VersionInfo {
  version: string;
  /** All of manifest.json, tensors.bin and items.json are present. */
  complete: boolean;
  missing: string[];
  current: boolean;
  createdAt?: string;
  kind?: string;
  /** Size of tensors.bin, from the manifest. */
  tensorsBytes?: number;
  /** The figure a reader looks at first: rmse (explicit models) or auc, measured on the quantised weights. */
  headline?: { metric: string; value: number };
  /** Why the manifest could not be read, when it could not. */
  problem?: string;
}

export interface ModelInfo {
  model: string;
  /** What CURRENT names (null: no CURRENT). It may name a version with no files; see versions. */
  current: string | null;
  /** Oldest first, in version order (compareVersions). */
  versions: VersionInfo[];
}

const FILES = [ARTIFACT_FILES.manifest, ARTIFACT_FILES.tensors, ARTIFACT_FILES.items];
const HEADLINE = ['rmse', 'auc', 'ndcg@10', 'recall@10', 'mae'];

/**
 * Version order: published versions are `<UTC time>-<checksum>` and sort by time as text; numeric collation also
 * orders hand-named ones sensibly (v2 before v10).
 */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The remote bucket (wrangler's CLI) cannot list objects: say so, and what to do instead. */
export const NO_LIST_HELP =
  "wrangler's CLI can get, put and delete R2 objects but cannot list them, so the versions in the real bucket cannot " +
  'be enumerated from here. Find them in the Cloudflare dashboard (R2 > the bucket > <model>/) or with any S3 client ' +
  'and an R2 API token (aws s3 ls s3://edgerec-models/<model>/ --endpoint-url https://<account-id>.r2.cloudflarestorage.com); ' +
  "GET /v1/models on the deployed Worker shows each model's live version. Then: npm run rollback -- --model <m> --to <version> --remote";

function needList(bucket: Bucket): (prefix: string) => Promise<string[]> {
  if (!bucket.list) throw new RegistryError(NO_LIST_HELP);
  return bucket.list.bind(bucket);
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function checkName(model: string): void {
  try {
    checkModelName(model);
  } catch (e) {
    throw new RegistryError((e as Error).message);
  }
}

async function readCurrent(bucket: Bucket, model: string): Promise<string | null> {
  const b = await bucket.get(registryKeys.current(model));
  return b ? text(b).trim() : null;
}

function headline(m: Manifest): VersionInfo['headline'] {
  for (const table of [m.metrics?.quantized, m.metrics?.float]) {
    if (!table) continue;
    for (const metric of HEADLINE) if (Number.isFinite(table[metric])) return { metric, value: table[metric] };
  }
  return undefined;
}

/** Every model in the bucket with its versions, oldest first, and which one is CURRENT. */
export async function listModels(bucket: Bucket): Promise<ModelInfo[]> {
  const keys = await needList(bucket)('');
  const names = [...new Set(keys.filter((k) => k.includes('/')).map((k) => k.split('/')[0]))];
  return Promise.all(names.sort().map((n) => describeModel(bucket, n, keys.filter((k) => k.startsWith(`${n}/`)))));
}

/** One model's versions (which files each has, what its manifest says) and CURRENT. */
export async function describeModel(bucket: Bucket, model: string, keys?: string[]): Promise<ModelInfo> {
  checkName(model);
  keys ??= await needList(bucket)(`${model}/`);
  const current = await readCurrent(bucket, model);
  const files = new Map<string, Set<string>>();
  for (const key of keys) {
    const parts = key.split('/');
    if (parts.length !== 3 || parts[0] !== model || !isVersion(parts[1])) continue;
    if (!files.has(parts[1])) files.set(parts[1], new Set());
    files.get(parts[1])!.add(parts[2]);
  }
  const versions = await Promise.all(
    [...files.keys()].sort(compareVersions).map(async (version): Promise<VersionInfo> => {
      const have = files.get(version)!;
      const missing = FILES.filter((f) => !have.has(f));
      const info: VersionInfo = { version, complete: missing.length === 0, missing, current: version === current };
      if (!have.has(ARTIFACT_FILES.manifest)) return info;
      try {
        const m = JSON.parse(text((await bucket.get(registryKeys.file(model, version, ARTIFACT_FILES.manifest)))!)) as Manifest;
        return { ...info, createdAt: m.createdAt, kind: m.model?.kind, tensorsBytes: m.tensorsBytes, headline: headline(m) };
      } catch (e) {
        return { ...info, problem: `manifest.json is unreadable: ${(e as Error).message}` };
      }
    }),
  );
  return { model, current, versions };
}

/**
 * Downloads a version and runs the Worker's own decoder over it (checksum, tensor table, finiteness, id tables):
 * a version that passes is one the Worker will load.
 */
export async function validateVersion(bucket: Bucket, model: string, version: string): Promise<Manifest> {
  const got = await Promise.all(FILES.map((f) => bucket.get(registryKeys.file(model, version, f))));
  const missing = FILES.filter((_, i) => !got[i]);
  if (missing.length) throw new RegistryError(`version ${version} of ${model} is incomplete: ${missing.join(', ')} missing`);
  const [manifest, tensors, items] = got as Uint8Array[];
  try {
    return (await decodeArtifact(text(manifest), tensors, text(items))).manifest;
  } catch (e) {
    throw new RegistryError(`version ${version} of ${model} fails validation: ${(e as Error).message}`);
  }
}

export interface RolledBack {
  model: string;
  from: string | null;
  to: string;
  kind: string;
  createdAt: string;
}

/**
 * Moves CURRENT back to `to`, or by default to the version just before CURRENT in version order. The target must be
 * complete and pass validation; otherwise nothing moves and the error lists the complete versions there are.
 * CURRENT is read back after the write.
 */
export async function rollback(bucket: Bucket, model: string, to?: string): Promise<RolledBack> {
  checkName(model);
  if (to === undefined && !bucket.list) throw new RegistryError(`pass --to <version> with --remote: ${NO_LIST_HELP}`);
  // Read once, before validating the target: CURRENT moves only if it still names `from` (see moveCurrent).
  const seen = await readCurrentPointer(bucket, model);
  const from = seen.version;
  const info = bucket.list ? await describeModel(bucket, model) : undefined;
  const available = () => {
    if (!info) return ' (the remote bucket cannot be listed: see npm run models -- --help)';
    const ok = info.versions.filter((v) => v.complete && !v.current).map((v) => v.version);
    return ok.length ? `; complete versions besides CURRENT: ${ok.join(', ')}` : '; there is no other complete version';
  };
  let target = to;
  if (target === undefined) {
    if (!info) throw new RegistryError(`pass --to <version> with --remote: ${NO_LIST_HELP}`);
    if (!from) throw new RegistryError(`${model} has no CURRENT, so there is no "previous" version: pass --to <version>${available()}`);
    if (!info.versions.length) throw new RegistryError(`model ${model} has no versions in this bucket (publish one with npm run publish)`);
    const before = info.versions.filter((v) => compareVersions(v.version, from) < 0);
    if (!before.length) throw new RegistryError(`no version of ${model} comes before CURRENT ${from}${available()}`);
    target = before[before.length - 1].version;
  }
  if (!isVersion(target)) throw new RegistryError(`version ${JSON.stringify(target)} is malformed: use letters, digits, '.', '_' or '-'`);
  if (target === from) throw new RegistryError(`${target} is already CURRENT for ${model}${available()}`);
  let manifest: Manifest;
  try {
    manifest = await validateVersion(bucket, model, target);
  } catch (e) {
    throw new RegistryError(`refusing to roll ${model} back to ${target}: ${(e as Error).message}; CURRENT stays ${from ?? '(none)'}${available()}`);
  }
  const next = target;
  await moveCurrent(bucket, model, seen, next, (now) =>
    new RegistryError(
      `CURRENT of ${model} moved while rolling back to ${next}: it named ${from ?? '(none)'} then and names ${now ?? '(none)'} now ` +
        '(another publish or rollback won the race) and stays so: check npm run models, then run the rollback again if it is still wanted',
    ),
  );
  return { model, from, to: next, kind: manifest.model.kind, createdAt: manifest.createdAt };
}
