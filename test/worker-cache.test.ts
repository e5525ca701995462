import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionEtag } from '../shared/etag.js';
import { publishArtifact } from '../training/publish/publish.js';
import { bucketOf } from './helpers/artifact.js';
import { writeTinyArtifact } from './helpers/handmade-artifact.js';
import { pollUntil } from './helpers/poll.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

const DEFAULT_CC = 'public, max-age=60, s-maxage=300, stale-while-revalidate=600';
const TITLES = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta'];

describe('HTTP caching of the Worker answers (Cache-Control, ETag, 304)', () => {
  let worker: StartedWorker;
  let configured: StartedWorker;
  let dirs: string[];
  let v1: string;

  beforeAll(async () => {
    [worker, configured, ...dirs] = await Promise.all([
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
      // A malformed value falls back to its default instead of breaking answers.
      startWorker({ bindings: { CACHE_MAX_AGE: '5', CACHE_S_MAXAGE: 'five', CACHE_STALE_WHILE_REVALIDATE: '0' } }),
      writeTinyArtifact({ titles: TITLES, createdAt: '2026-11-01T00:00:00.000Z' }),
      writeTinyArtifact({ titles: TITLES, createdAt: '2026-11-02T00:00:00.000Z' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([worker?.dispose(), configured?.dispose()]);
  });

  const SIMILAR = '/v1/models/cached/items/1/similar?k=3&exclude_seen=true';

  it('errors before anything is published are no-store and carry no ETag', async () => {
    const res = await worker.fetch('/v1/models/cached/items/1/similar');
    expect(res.status).toBe(503);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('ETag')).toBeNull();
    await res.arrayBuffer();
  });

  it('a GET answer carries the default Cache-Control, Vary and an ETag derived from version + method + path + query', async () => {
    v1 = (await publishArtifact(bucketOf(worker.bucket), dirs[0], 'cached')).version;
    const res = await worker.fetch(SIMILAR);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: string };
    expect(body.version).toBe(v1);
    expect(res.headers.get('Cache-Control')).toBe(DEFAULT_CC);
    expect(res.headers.get('Vary')).toBe('Accept-Encoding');
    expect(res.headers.get('ETag')).toBe(
      versionEtag({ version: v1, method: 'GET', path: '/v1/models/cached/items/1/similar', search: '?k=3&exclude_seen=true' }),
    );
  });

  it('the ETag is stable for the same version and query (parameter order aside), and differs across queries', async () => {
    const tag = async (p: string) => {
      const res = await worker.fetch(p);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      return res.headers.get('ETag');
    };
    const first = await tag(SIMILAR);
    expect(await tag(SIMILAR)).toBe(first);
    expect(await tag('/v1/models/cached/items/1/similar?exclude_seen=true&k=3')).toBe(first);
    const others = await Promise.all([
      tag('/v1/models/cached/items/1/similar?k=4&exclude_seen=true'),
      tag('/v1/models/cached/items/2/similar?k=3&exclude_seen=true'),
      tag('/v1/models/cached/users/u0/recommendations?k=3'),
      tag('/v1/models/cached/users/u0/items/1/rating'),
    ]);
    expect(new Set([first, ...others]).size).toBe(5);
  });

  it('If-None-Match with the current tag (strong or weak, or in a list) -> 304 with no body and the caching headers', async () => {
    const etag = (await worker.fetch(SIMILAR)).headers.get('ETag')!;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`]) {
      const res = await worker.fetch(SIMILAR, { headers: { 'If-None-Match': inm, Origin: 'https://shop.example' } });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('ETag')).toBe(etag);
      expect(res.headers.get('Cache-Control')).toBe(DEFAULT_CC);
      expect(res.headers.get('Vary')).toBe('Accept-Encoding');
      // A cross-origin revalidation must still be readable.
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
      expect(res.headers.get('Content-Type')).toBeNull();
    }
    const stale = await worker.fetch(SIMILAR, { headers: { 'If-None-Match': '"0000000000000000"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('a new version changes the ETag of the same URL, and the old tag no longer gets a 304', async () => {
    const before = await worker.fetch(SIMILAR);
    const oldTag = before.headers.get('ETag')!;
    await before.arrayBuffer();
    const v2 = (await publishArtifact(bucketOf(worker.bucket), dirs[1], 'cached')).version;
    expect(v2).not.toBe(v1);
    // The Worker notices v2 on a request, loads it in the background and answers from v1 meanwhile.
    await pollUntil('v2 answering', async () => ((await (await worker.fetch(SIMILAR)).json()) as { version: string }).version, (v) => v === v2);
    const after = await worker.fetch(SIMILAR, { headers: { 'If-None-Match': oldTag } });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { version: string }).version).toBe(v2);
    expect(after.headers.get('ETag')).toBe(
      versionEtag({ version: v2, method: 'GET', path: '/v1/models/cached/items/1/similar', search: 'exclude_seen=true&k=3' }),
    );
    expect(after.headers.get('ETag')).not.toBe(oldTag);
  });

  it('HEAD answers with the GET tag and no body', async () => {
    const get = await worker.fetch(SIMILAR);
    await get.arrayBuffer();
    const head = await worker.fetch(SIMILAR, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('ETag')).toBe(get.headers.get('ETag'));
    expect(await head.text()).toBe('');
  });

  it('GET /v1/models and /openapi.json (no single model version) get a tag from their body; 304 on it', async () => {
    const res = await worker.fetch('/v1/models');
    const tag = res.headers.get('ETag');
    expect(tag).toMatch(/^"[0-9a-f]{16}"$/);
    expect(res.headers.get('Cache-Control')).toBe(DEFAULT_CC);
    await res.arrayBuffer();
    const again = await worker.fetch('/v1/models', { headers: { 'If-None-Match': tag! } });
    expect(again.status).toBe(304);
    const spec = await worker.fetch('/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.headers.get('Cache-Control')).toBe(DEFAULT_CC);
    expect(spec.headers.get('ETag')).toMatch(/^"[0-9a-f]{16}"$/);
    await spec.arrayBuffer();
  });

  it.each([
    ['/v1/models/cached/items/1/similar?k=0', 400],
    ['/v1/models/cached/items/999/similar', 404],
    ['/v1/models/nope/items/1/similar', 404],
    ['/v1/no-such-route', 404],
    ['/widget/cached/items/1?theme=neon', 400],
  ])('error GET %s -> %i, no-store, no ETag, and If-None-Match cannot turn it into a 304', async (path, status) => {
    const res = await worker.fetch(path, { headers: { 'If-None-Match': '*' } });
    expect(res.status).toBe(status);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('ETag')).toBeNull();
    expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
  });

  it('/healthz is no-store', async () => {
    const res = await worker.fetch('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('ETag')).toBeNull();
    await res.arrayBuffer();
  });

  it('Cache-Control comes from wrangler.toml [vars]; a malformed value falls back to its default', async () => {
    await publishArtifact(bucketOf(configured.bucket), dirs[0], 'cached');
    for (const p of ['/v1/models/cached/items/1/similar', '/widget/cached/items/1', '/embed.js']) {
      const res = await configured.fetch(p);
      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=5, s-maxage=300, stale-while-revalidate=0');
      await res.arrayBuffer();
    }
  });

  it('CORS: any origin may GET /v1 and /widget (ETag exposed); preflight allows GET/HEAD/OPTIONS only; POST gets no CORS', async () => {
    const get = await worker.fetch(SIMILAR, { headers: { Origin: 'https://shop.example' } });
    expect(get.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(get.headers.get('Access-Control-Expose-Headers')).toBe('ETag');
    await get.arrayBuffer();
    for (const p of ['/v1/models/cached/items/1/similar', '/widget/cached/items/1']) {
      const pre = await worker.fetch(p, {
        method: 'OPTIONS',
        headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'if-none-match' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('Access-Control-Allow-Origin')).toBe('*');
      expect(pre.headers.get('Access-Control-Allow-Methods')).toBe('GET,HEAD,OPTIONS');
      expect(pre.headers.get('Access-Control-Allow-Headers')).toBe('if-none-match');
    }
    const post = await worker.fetch('/v1/models/cached/items/1/similar', { method: 'POST', headers: { Origin: 'https://shop.example' } });
    expect(post.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(post.headers.get('Cache-Control')).toBe('no-store');
    await post.arrayBuffer();
  });
});
