import type { Bucket } from '../../training/publish/publish.js';
import type { LocalR2Bucket } from './worker.js';

/** The publish step's view of a Miniflare R2 bucket. */
export function bucketOf(r2: LocalR2Bucket): Bucket {
  return {
    async put(key, data) {
      await r2.put(key, typeof data === 'string' ? data : data.slice().buffer);
    },
    async get(key) {
      const obj = await r2.get(key);
      return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
    },
  };
}
