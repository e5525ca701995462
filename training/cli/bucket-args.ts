import { openLocalBucket, WRANGLER_DEV_PERSIST_DIR } from '../publish/local-bucket.js';
import type { Bucket } from '../publish/publish.js';
import { openRemoteBucket } from '../publish/remote-bucket.js';

/** The options every registry command takes to choose its bucket (publish, rollback, hide, models). */
export const BUCKET_OPTIONS = {
  remote: { type: 'boolean', default: false },
  bucket: { type: 'string', default: 'edgerec-models' },
  persist: { type: 'string' },
} as const;

/** Their lines in a command's --help. */
export const BUCKET_USAGE = `  --remote           the real R2 bucket (wrangler's credentials) instead of the local one wrangler dev serves
  --bucket <name>    bucket name (default edgerec-models, as in wrangler.toml)
  --persist <dir>    local state root (default ${WRANGLER_DEV_PERSIST_DIR})`;

/** A registry command's options: --model, the bucket options and --json (spread beside the command's own). */
export const REGISTRY_OPTIONS = {
  model: { type: 'string' },
  ...BUCKET_OPTIONS,
  json: { type: 'boolean', default: false },
} as const;

/** Runs `body` with the bucket the options name open, and closes it whatever happens. */
export async function withBucket<T>(values: { remote?: boolean; bucket?: string; persist?: string }, body: (bucket: Bucket) => Promise<T>): Promise<T> {
  const bucket = await openBucketFrom(values);
  try {
    return await body(bucket);
  } finally {
    await bucket.close();
  }
}

/** The bucket those options name: the real one through wrangler with --remote, else the local R2 simulation. */
export async function openBucketFrom(values: { remote?: boolean; bucket?: string; persist?: string }): Promise<Bucket & { close(): Promise<void> }> {
  return values.remote ? openRemoteBucket(values.bucket ?? 'edgerec-models') : openLocalBucket({ persistDir: values.persist, bucketName: values.bucket });
}
