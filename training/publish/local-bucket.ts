// The local R2 bucket that `wrangler dev` (run from the repo root with wrangler.toml) serves, opened from Node.
//
// wrangler 4.164 runs Miniflare 5 with resourcePersistencePath = <wrangler.toml dir>/.wrangler/state/v3, and Miniflare
// keeps each R2 bucket under <root>/r2, keyed by bucket_name (not the binding name). A Miniflare instance configured
// the same way reads and writes the same store, also while `wrangler dev` is running.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where `wrangler dev` persists local state when run from the repo root. */
export const WRANGLER_DEV_PERSIST_DIR = path.join(REPO_ROOT, '.wrangler/state/v3');
const BINDING = 'MODELS';

export interface LocalBucket {
  put(key: string, data: Uint8Array | string): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  /** Every key that starts with prefix, in key order. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** The object and its etag (R2's: hex MD5 of the content, unquoted). */
  getWithEtag(key: string): Promise<{ data: Uint8Array; etag: string } | null>;
  /** Writes only if the object's etag is still expectedEtag (null: only if absent); false when it is not. */
  putIf(key: string, data: Uint8Array | string, expectedEtag: string | null): Promise<boolean>;
  close(): Promise<void>;
}

export type R2Binding = Awaited<ReturnType<Miniflare['getR2Bucket']>>;

/**
 * The registry's view of an R2 binding (Miniflare's here; the Workers one has the same API). Conditional writes use
 * put's onlyIf, which Miniflare 5 applies atomically (tested in test/robustness/publish-race.test.ts):
 * { etagMatches } writes only over that exact etag, { etagDoesNotMatch: '*' } only when the key is absent; a failed
 * condition answers null and writes nothing.
 */
export function bucketOverR2(bucket: R2Binding): Omit<LocalBucket, 'close'> {
  return {
    async put(key, data) {
      await bucket.put(key, data);
    },
    async get(key) {
      const obj = await bucket.get(key);
      return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
    },
    async list(prefix) {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, cursor });
        for (const o of page.objects) keys.push(o.key);
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys;
    },
    async delete(key) {
      await bucket.delete(key);
    },
    async getWithEtag(key) {
      const obj = await bucket.get(key);
      return obj ? { data: new Uint8Array(await obj.arrayBuffer()), etag: obj.etag } : null;
    },
    async putIf(key, data, expectedEtag) {
      const onlyIf = expectedEtag === null ? { etagDoesNotMatch: '*' } : { etagMatches: expectedEtag };
      return (await bucket.put(key, data, { onlyIf })) !== null;
    },
  };
}

async function bucketNameFromWranglerToml(): Promise<string> {
  // wrangler's own parser, so the name cannot drift from what `wrangler dev` binds.
  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig({ config: path.join(REPO_ROOT, 'wrangler.toml') }, { hideWarnings: true });
  const entry = config.r2_buckets.find((b: { binding: string }) => b.binding === BINDING);
  if (!entry?.bucket_name) throw new Error(`wrangler.toml has no [[r2_buckets]] binding ${BINDING} with a bucket_name`);
  return entry.bucket_name;
}

/**
 * Opens the local MODELS bucket. persistDir is the persistence root (default: wrangler dev's .wrangler/state/v3);
 * objects live in <persistDir>/r2. Starts a small workerd process: close() it when done.
 */
export async function openLocalBucket(opts: { persistDir?: string; bucketName?: string } = {}): Promise<LocalBucket> {
  const bucketName = opts.bucketName ?? (await bucketNameFromWranglerToml());
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      rootPath: REPO_ROOT,
      port: 0,
      modules: true,
      // Only the binding is used; the Worker itself never runs a request.
      script: 'export default { fetch() { return new Response(null, { status: 404 }); } };',
      compatibilityDate: '2026-01-01',
      r2Buckets: { [BINDING]: bucketName },
      resourcePersistencePath: path.resolve(opts.persistDir ?? WRANGLER_DEV_PERSIST_DIR),
    }),
  );
  let bucket: R2Binding;
  try {
    bucket = await mf.getR2Bucket(BINDING);
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
  return { ...bucketOverR2(bucket), close: () => mf.dispose() };
}
