// Security properties of the Worker: it has no write routes (an allow-list of every registered route, and a spy
// bucket that sees only reads whatever is requested), titles come back byte-exact and escaped, HTML answers carry
// security headers, and CORS lets other origins read GET answers only.
//
// The first part runs the app itself in Node (app.request, the tfjs wasm backend from training/tf-node.ts instead of
// the Worker's pre-compiled module), so every route can be listed and the bucket observed call by call.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bucketOverR2 } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { writeHandmadeArtifact, writeTinyArtifact } from '../helpers/handmade-artifact.js';
import { fuzzModel, HOSTILE_TITLES } from '../helpers/robust-models.js';
import { memoryR2 } from '../helpers/memory-r2.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

vi.mock('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', () => ({ default: {} }));
vi.mock('../../functions/tf-backend.js', () => import('../helpers/node-tf-backend.js'));
const { createApp } = await import('../../functions/app.js');

/**
 * Every route the app registers, reviewed. GET routes read; the three POST routes are queries whose bodies carry
 * ids (too many for a URL), and answer without writing anything. ALL entries are middleware (caching, the body
 * limit, CORS, security headers). A new route must be added here deliberately: if it writes, it needs a secret set
 * with `wrangler secret put`, compared in constant time (hash both sides, compare the digests without an early exit).
 */
const REVIEWED_ROUTES = [
  'ALL /*',
  'ALL /v1/*',
  'ALL /widget/*',
  'ALL /embed.js',
  'GET /healthz',
  'GET /openapi.json',
  'GET /embed.js',
  'GET /v1/models',
  'GET /v1/models/:model/items/:item/similar',
  'GET /v1/models/:model/users/:user/recommendations',
  'GET /v1/models/:model/recommendations',
  'GET /v1/models/:model/popular',
  'GET /v1/models/:model/users/:user/items/:item/rating',
  'GET /v1/models/:model/tags/:tag/similar',
  'GET /widget/:model/items/:item',
  'GET /widget/:model/users/:user',
  'GET /widget/:model/popular',
  'GET /widget/:model/recommendations',
  'POST /v1/models/:model/items/similar',
  'POST /v1/models/:model/recommendations/from-examples',
  'POST /v1/models/:model/recommendations/for-ratings',
  'POST /v1/models/:model/predict',
  'POST /v1/events',
];
/**
 * The one write path, reviewed: it appends feedback events to the EVENTS_QUEUE (browsers call it with no secret,
 * like any analytics beacon); only the queue consumer writes, to the separate events bucket, and no route reads it.
 */
const APPEND_ONLY_POSTS = ['POST /v1/events'];
const PURE_QUERY_POSTS = REVIEWED_ROUTES.filter((r) => r.startsWith('POST ') && !APPEND_ONLY_POSTS.includes(r));

describe('the Worker has no write routes', () => {
  const app = createApp();
  const spy = memoryR2();
  const env = { MODELS: spy.binding, CURRENT_TTL_SECONDS: '0' };
  const request = (path: string, init?: RequestInit) => app.request(path, init, env as never);

  beforeAll(async () => {
    await publishArtifact(spy.publisher, await writeHandmadeArtifact(fuzzModel()), 'fz');
  });

  it('every registered route is on the reviewed list; every non-GET route is a reviewed pure query', () => {
    const registered = [...new Set(app.routes.map((r) => `${r.method} ${r.path}`))];
    const unreviewed = registered.filter((r) => !REVIEWED_ROUTES.includes(r));
    expect(unreviewed, 'a route was added: review it (README, Security) and add it to REVIEWED_ROUTES').toEqual([]);
    expect(REVIEWED_ROUTES.filter((r) => !registered.includes(r)), 'a reviewed route is gone: update REVIEWED_ROUTES').toEqual([]);
    const writeLike = registered.filter((r) => !/^(GET|HEAD|OPTIONS) /.test(r) && !r.startsWith('ALL '));
    expect(writeLike.sort()).toEqual([...PURE_QUERY_POSTS, ...APPEND_ONLY_POSTS].sort());
  });

  it('whatever is requested, the bucket only sees reads (get, head, list): answers leave it byte-identical', async () => {
    const before = new Map([...spy.objects].map(([k, v]) => [k, v.slice()]));
    spy.calls.length = 0;
    const gets = ['/healthz', '/openapi.json', '/embed.js', '/v1/models', '/v1/models/fz/items/1/similar', '/v1/models/fz/users/u1/recommendations',
      '/v1/models/fz/users/u1/items/1/rating', '/v1/models/fz/tags/Strategy/similar', '/widget/fz/items/1', '/widget/fz/users/u1', '/widget/fz/popular',
      '/widget/fz/recommendations?items=1,2', '/v1/models/nope/items/1/similar',
      '/v1/models/fz/popular', '/v1/models/fz/recommendations?items=1,2', '/v1/models/fz/users/stranger/recommendations'];
    const posts: [string, string][] = [
      ['/v1/models/fz/predict', '{"pairs": [["u1", "1"], ["u2", 2]]}'],
      ['/v1/models/fz/recommendations/from-examples', '{"liked": ["1"], "disliked": ["2"], "k": 3}'],
      ['/v1/models/fz/items/similar', '{"item": "1", "plus": ["Fantasy"], "k": 3}'],
      ['/v1/models/fz/recommendations/for-ratings', '{"ratings": [["1", 4]], "k": 3}'],
    ];
    for (const p of gets) expect((await request(p)).status, p).toBe(p.includes('nope') ? 404 : 200);
    for (const [p, body] of posts) expect((await request(p, { method: 'POST', body })).status, p).toBe(200);
    for (const [p, body] of posts) expect((await request(p, { method: 'POST', body: '{"x": 1}' })).status, p).toBe(400);
    for (const method of ['PUT', 'DELETE', 'PATCH', 'POST']) {
      for (const p of [...gets, '/v1/models/fz/CURRENT', '/v1/models/fz/v1/manifest.json', '/admin', '/fz/CURRENT']) {
        if (method === 'POST' && posts.some(([q]) => q === p)) continue;
        const res = await request(p, { method, body: method === 'DELETE' ? undefined : '{"version": "evil"}' });
        // A path the Worker reads is a 405 naming its read methods; anything else is no route at all.
        const isRead = gets.includes(p) && !p.includes('?');
        const bare = gets.some((g) => g.split('?')[0] === p.split('?')[0]);
        expect(res.status, `${method} ${p}`).toBe(bare || isRead ? 405 : 404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(bare || isRead ? 'method_not_allowed' : 'no_route');
        if (bare) expect(res.headers.get('Allow'), `${method} ${p}`).toBe('GET, HEAD');
      }
    }
    // The append-only route writes to the events queue, never to this bucket (here there is no queue: a 503 saying so).
    const ev = await request('/v1/events', { method: 'POST', body: '{"events": [{"type": "click", "model": "fz", "item": "1"}]}' });
    expect([ev.status, ((await ev.json()) as { error: { code: string } }).error.code]).toEqual([503, 'events_unavailable']);
    expect(spy.calls.length).toBeGreaterThan(10);
    expect([...new Set(spy.calls)].sort()).toEqual(['get', 'list']);
    expect([...spy.objects.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(spy.objects.get(k), k).toEqual(v);
  });

  it('a body streamed without Content-Length is cut off at 64 KB too (413 body_too_large)', async () => {
    const big = new TextEncoder().encode(`{"pairs": [${'["u1", "1"],'.repeat(7000)}["u1", "1"]]}`);
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 8192) c.enqueue(big.slice(i, i + 8192));
        c.close();
      },
    });
    const res = await request('/v1/models/fz/predict', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
  });
});

describe('escaping, security headers and CORS in the Worker', () => {
  let worker: StartedWorker;
  let ids: string[];

  beforeAll(async () => {
    ids = HOSTILE_TITLES.map((_, i) => String(i + 1));
    const [w, dir] = await Promise.all([startWorker({ bindings: { CURRENT_TTL_SECONDS: '3600' } }), writeTinyArtifact({ titles: HOSTILE_TITLES })]);
    worker = w;
    await publishArtifact(bucketOverR2(worker.bucket), dir, 'hostile');
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it('JSON answers carry titles with <script>, quotes, ampersands and non-Latin text byte-exact, as application/json', async () => {
    const res = await worker.fetch(`/v1/models/hostile/items/1/similar?k=${HOSTILE_TITLES.length - 1}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json(; charset=utf-8)?$/i);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    const body = JSON.parse(text) as { item: { title: string }; results: { id: string; title: string }[] };
    const titleOf = new Map(ids.map((id, i) => [id, HOSTILE_TITLES[i]]));
    expect(body.item.title).toBe(HOSTILE_TITLES[0]);
    expect(body.results).toHaveLength(HOSTILE_TITLES.length - 1);
    for (const r of body.results) expect(r.title).toBe(titleOf.get(r.id));
    // The titles travel as JSON strings (quotes escaped, nothing else) with the non-Latin text as UTF-8 bytes.
    for (const t of HOSTILE_TITLES) expect(text).toContain(JSON.stringify(t));
    expect(bytes.length).toBe(new TextEncoder().encode(text).length);
  });

  it('HTML answers (the widget) and /embed.js carry security headers; so do the widget route errors, which are JSON', async () => {
    const widget = await worker.fetch('/widget/hostile/items/1');
    expect(widget.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const widgetError = await worker.fetch('/widget/hostile/items/nope');
    expect(widgetError.status).toBe(404);
    expect(widgetError.headers.get('content-type')).toMatch(/^application\/json/);
    for (const res of [widget, widgetError]) {
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors *");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      await res.arrayBuffer();
    }
    const embed = await worker.fetch('/embed.js');
    expect(embed.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(embed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(embed.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    await embed.arrayBuffer();
    // No route answers an error as HTML: not found, bad input and the body limit are all the JSON envelope.
    for (const [path, init] of [['/nope.html', {}], ['/widget/hostile/items/1?theme=<b>', {}], ['/v1/models/hostile/predict', { method: 'POST', body: ' '.repeat(70_000) }]] as const) {
      const res = await worker.fetch(path, init);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
      await res.arrayBuffer();
    }
  });

  it('CORS grants other origins GET/HEAD only: a preflight for POST does not list POST, a POST answer has no Allow-Origin', async () => {
    const origin = 'https://shop.example';
    const pre = await worker.fetch('/v1/models/hostile/predict', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')!.split(',')).toEqual(['GET', 'HEAD', 'OPTIONS']);
    const post = await worker.fetch('/v1/models/hostile/predict', { method: 'POST', headers: { Origin: origin }, body: '{"pairs": [["u0", "1"]]}' });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    await post.arrayBuffer();
    const get = await worker.fetch('/v1/models/hostile/items/1/similar', { headers: { Origin: origin } });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    await get.arrayBuffer();
  });
});
