import type { Context } from 'hono';

/**
 * The data centre's cache, through the Workers Cache API (caches.default). Workers run in front of Cloudflare's
 * CDN cache, so a Worker's own answers are only stored there when the Worker puts them.
 *
 * Keys are GET requests to a normalised URL (only the parameters that change the answer), never the incoming
 * request: its If-None-Match would make match() answer 304 itself, and tracking parameters would split the cache.
 * The Cache API ignores stale-while-revalidate; it keeps an entry for s-maxage (else max-age) seconds.
 */
function defaultCache(): Cache | undefined {
  // Absent outside workerd (e.g. app.request() in Node); caching is then simply skipped.
  return typeof caches === 'undefined' ? undefined : (caches as unknown as { default?: Cache }).default;
}

/** The stored answer for key, as a fresh Response with mutable headers, or undefined. */
export async function cachedAnswer(key: string): Promise<Response | undefined> {
  const hit = await defaultCache()?.match(new Request(key));
  return hit ? new Response(hit.body, hit) : undefined;
}

/** Stores a copy of res under key without delaying the answer (waitUntil when the runtime gives one). */
export function storeAnswer(c: Context, key: string, res: Response): void {
  const cache = defaultCache();
  if (!cache) return;
  const put = cache.put(new Request(key), res.clone()).catch((e: unknown) => {
    console.error(`edgerec: Cache API put of ${key} failed: ${(e as Error).message}`);
  });
  try {
    c.executionCtx.waitUntil(put);
  } catch {
    // No ExecutionContext (a test calling app.request): the put still runs, unawaited.
  }
}
