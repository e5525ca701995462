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

/** The bucket those options name: the real one through wrangler with --remote, else the local R2 simulation. */
export async function openBucketFrom(values: { remote?: boolean; bucket?: string; persist?: string }): Promise<Bucket & { close(): Promise<void> }> {
  return values.remote ? openRemoteBucket(values.bucket ?? 'edgerec-models') : openLocalBucket({ persistDir: values.persist, bucketName: values.bucket });
}
