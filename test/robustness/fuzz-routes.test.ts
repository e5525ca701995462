// Property-based tests of every route with random and hostile input (fast-check), dispatched to one Worker in
// workerd: never a 5xx, every error the JSON envelope with the status and code the README's rules give, and every
// 200 equal to what shared/ computes on the Node side for the same artifact. Requests go in batches of BATCH with
// Promise.all; one fast-check run is one batch, so a failure still shrinks to a small batch and a seed.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { bucketOverR2 } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { routeCases, type Case } from '../helpers/fuzz-cases.js';
import { err, MAX_BODY_BYTES, ok } from '../helpers/fuzz-oracle.js';
import { writeHandmadeArtifact } from '../helpers/handmade-artifact.js';
import { fuzzModel } from '../helpers/robust-models.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

const SEED = Number(process.env.EDGEREC_FUZZ_SEED ?? 20261124);
// EDGEREC_FUZZ_DEPTH scales the requests per property: 0.5, the default, sends about 5,500 (fast-check's own default
// would be 100 per property; every error code the routes can give still comes up at this seed), 1 about 11,000, and
// 4 is a nightly soak. Below 0.5 is a quick local look, too few requests to meet every error.
const DEPTH = Math.max(0.1, Number(process.env.EDGEREC_FUZZ_DEPTH ?? 0.5) || 0.5);
const BATCH = 50;
/** Batches a property runs at this depth, and the requests some properties send in all (for the test names). */
const runsAt = (runs: number) => Math.max(1, Math.round(runs * DEPTH));
const requests = (...runs: number[]) => (runs.reduce((n, r) => n + runsAt(r), 0) * BATCH).toLocaleString('en');
const M = 'fz';
const FUZZ = fuzzModel();

interface ErrorBody {
  error: { code: string; message: string };
}

describe('every route under random and hostile requests (fast-check, one Worker)', () => {
  let worker: StartedWorker;
  let node: LoadedModel;
  let sent = 0;
  let ms = 0;
  /** Answers by status and code, to show (and assert) that the generators reach every kind of answer. */
  const tally = new Map<string, number>();
  let memoryAfterLoad: { numTensors: number; numBytes: number };
  let bucketBefore: string[];

  const bucketState = async () => (await worker.bucket.list()).objects.map((o) => `${o.key} ${o.etag}`).sort();
  const health = async () => (await (await worker.fetch('/healthz')).json()) as { memory: { numTensors: number; numBytes: number } };

  beforeAll(async () => {
    const [w, dir] = await Promise.all([startWorker({ bindings: { CURRENT_TTL_SECONDS: '3600' } }), writeHandmadeArtifact(FUZZ)]);
    worker = w;
    const { version } = await publishArtifact(bucketOverR2(worker.bucket), dir, M);
    await useWasmBackend();
    node = loadModel(M, version, await readArtifact(dir));
    expect((await worker.fetch(`/v1/models/${M}/items/1/similar`)).status).toBe(200);
    memoryAfterLoad = (await health()).memory;
    bucketBefore = await bucketState();
  });
  afterAll(async () => {
    node?.dispose();
    await worker?.dispose();
  });

  const { model, postCase, similarCase, recsCase, visitorCase, popularCase, ratingCase, tagsCase, widgetCase, predictArb, examplesArb, arithmeticArb } = routeCases(M, FUZZ, () => node);

  async function send(c: Case): Promise<void> {
    const headers: Record<string, string> = c.body !== undefined ? { 'content-type': 'application/json' } : {};
    const res = await worker.fetch(c.path, { method: c.method, body: c.body, headers });
    const text = await res.text();
    sent++;
    const key = res.status >= 400 && c.expect.code ? `${res.status} ${c.expect.code}` : String(res.status);
    tally.set(key, (tally.get(key) ?? 0) + 1);
    const where = `${c.method} ${c.path}${c.body !== undefined ? ` body ${JSON.stringify(c.body.slice(0, 200))}` : ''} -> ${res.status} ${text.slice(0, 300)}`;
    expect(res.status, where).toBeLessThan(500);
    if (res.status >= 400) {
      expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control'), where).toBe('no-store');
    }
    if (res.status >= 400 && c.method !== 'HEAD') {
      const body = JSON.parse(text) as ErrorBody;
      // Exactly the envelope: {"error": {"code", "message"}}, nothing else (no stack, no echo of internals).
      expect(Object.keys(body), where).toEqual(['error']);
      expect(Object.keys(body.error).sort(), where).toEqual(['code', 'message']);
      expect(body.error.code, where).toMatch(/^[a-z_]+$/);
      expect(body.error.message.length, where).toBeGreaterThan(10);
      // Values are quoted cut short (80 characters), paths at 200: a message never grows with what was sent.
      expect(body.error.message.length, where).toBeLessThan(400);
      expect(body.error.code, where).not.toBe('internal');
      if (c.expect.code) expect(body.error.code, where).toBe(c.expect.code);
      if (c.expect.mentions) expect(body.error.message, where).toContain(c.expect.mentions);
    }
    expect(res.status, where).toBe(c.expect.status);
    if (res.status === 200 && c.method !== 'HEAD' && c.check) {
      expect(res.headers.get('content-type'), where).toMatch(c.html ? /^text\/html; charset=utf-8$/ : /^application\/json/);
      c.check(c.html ? text : JSON.parse(text));
    }
  }

  /** Runs `runs` batches; a failure reports the first failing request (shrunk) and how to replay it. */
  async function property(arb: fc.Arbitrary<Case>, runs: number): Promise<void> {
    const t0 = performance.now();
    const out = await fc.check(
      fc.asyncProperty(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        await Promise.all(cases.map(send));
      }),
      { numRuns: runsAt(runs), seed: SEED, endOnFailure: true },
    );
    ms += performance.now() - t0;
    if (out.failed) {
      const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      throw new Error(`${cause.slice(0, 1500)}\n(fast-check seed ${out.seed}, path ${JSON.stringify(out.counterexamplePath)}; EDGEREC_FUZZ_SEED=${out.seed} replays it)`);
    }
  }

  // ---- the properties ----

  it(`GET similar items (ids, k, filters, HEAD): ${requests(40)} requests`, () => property(similarCase, 40));
  it(`GET recommendations (ids, k, exclude_seen, filters): ${requests(25)} requests`, () => property(recsCase, 25));
  it(`GET visitor recommendations (?items= lists, k, filters) and popular: ${requests(10, 10)} requests`, async () => {
    await property(visitorCase, 10);
    await property(popularCase, 10);
  });
  it(`GET predicted rating and similar tags: ${requests(15, 15)} requests`, async () => {
    await property(ratingCase, 15);
    await property(tagsCase, 15);
  });
  it(`GET widget (items and users, k up to 30, theme): ${requests(20)} requests; errors are the JSON envelope`, () => property(widgetCase, 20));
  it(`POST predict, from-examples and item±tag arithmetic (random bodies, malformed JSON, wrong types): ${requests(25, 25, 25)} requests`, async () => {
    await property(predictArb, 25);
    await property(examplesArb, 25);
    await property(arithmeticArb, 25);
  });

  it('raw hostile paths (unencoded tricks, dot segments, bad percent-encoding) and other methods: never a 5xx', async () => {
    const part = fc.constantFrom('v1', 'models', M, 'items', 'users', 'tags', 'similar', 'recommendations', 'rating', 'widget', 'predict', '1', 'u1', 'Strategy',
      '..', '.', '%2e%2e', '..%2F', '%2F', '%00', '%ZZ', '%', '%E0%A4%A', 'a%2Fb', '%20', '%0A', '', '~', '*', ';', '@', ':', 'ü', '日本', '%F0%9F', '\\', 'embed.js', 'healthz', 'openapi.json');
    // Query strings: the parameters the routes read, with raw (unencoded, badly encoded) values, or random text.
    const rawValue = fc.oneof(fc.constantFrom('%ZZ', '%', '%E0%A4%A', '%00', '1%2C2', ',', ',,', '+', '%2B', '10', '0', '1e1', 'light', 'true', 'Strategy', '1,2', 'a'.repeat(300)), fc.string({ unit: 'grapheme-ascii', maxLength: 8 }));
    const q = fc.oneof(
      fc.array(fc.tuple(fc.constantFrom('k', 'genre', 'tag', 'exclude', 'exclude_seen', 'theme', 'k[]', ''), rawValue), { maxLength: 4 }).map((kv) => kv.map(([k, v]) => `${k}=${v}`).join('&')),
      fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    );
    // Headers the app reads (conditional requests, CORS, content type) with hostile values.
    const header = fc.option(
      fc.tuple(fc.constantFrom('If-None-Match', 'Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Content-Type', 'Content-Length'),
        fc.oneof(fc.constantFrom('*', 'W/"x"', '"a", W/"b", *', '""', 'W/', 'null', 'https://evil.example', 'POST', '-1', '99999999999', 'x'.repeat(2000)), fc.string({ unit: 'grapheme-ascii', maxLength: 20 }))),
      { nil: undefined },
    );
    const raw = fc.record({ parts: fc.tuple(part.filter((p) => p !== '' && p !== '\\'), fc.array(part, { maxLength: 7 })).map(([a, rest]) => [a, ...rest]), q: fc.option(q, { nil: undefined }), header, method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') })
      .map(({ parts, q, header, method }) => ({ method, header, path: `/${parts.join('/')}${q !== undefined ? `?${q.replace(/#/g, '')}` : ''}` }));
    const t0 = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.array(raw, { minLength: BATCH, maxLength: BATCH }), async (reqs) => {
        await Promise.all(
          reqs.map(async ({ method, path, header }) => {
            // A Content-Length header that contradicts the body is refused by the client itself; send it without a body.
            const body = method === 'POST' && header?.[0] !== 'Content-Length' ? '{}' : undefined;
            const headers = header && !(header[0] === 'Content-Length' && method !== 'POST') ? { [header[0]]: header[1] } : undefined;
            let res: Awaited<ReturnType<typeof worker.fetch>>;
            try {
              res = await worker.fetch(path, { method, body, headers });
            } catch (e) {
              // Only the client may refuse to send (a malformed header value); the Worker must always answer.
              if (/header|Content-Length|invalid/i.test(String((e as Error).cause ?? e)) && !/other side closed|ECONNRESET|socket/i.test(String((e as Error).cause ?? e))) return;
              throw e;
            }
            const text = await res.text();
            sent++;
            const where = `${method} ${path} -> ${res.status} ${text.slice(0, 200)}`;
            expect(res.status, where).toBeLessThan(500);
            if (res.status >= 400 && method !== 'HEAD') {
              expect((JSON.parse(text) as ErrorBody).error.code, where).toMatch(/^[a-z_]+$/);
              expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
            }
          }),
        );
      }),
      { numRuns: Math.max(1, Math.round(16 * DEPTH)), seed: SEED, endOnFailure: true },
    );
    ms += performance.now() - t0;
    // Known paths with methods they do not have: 405 method_not_allowed, never a write; OPTIONS is the read-only CORS preflight.
    const paths = [`/v1/models/${M}/items/1/similar`, `/v1/models/${M}/users/u1/recommendations`, `/v1/models/${M}/predict`, `/v1/models`, '/healthz', '/widget/fz/items/1', '/embed.js', '/openapi.json', `/v1/models/${M}/CURRENT`, `/v1/models/${M}`];
    const methods = fc.record({ path: fc.constantFrom(...paths), method: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'GET') }).map(({ path, method }): Case => {
      const getOnly = !path.endsWith('/predict');
      const exists = !path.includes('CURRENT') && path !== `/v1/models/${M}`;
      // A known path with a method it does not have is a 405 naming the ones it has; an unknown path a 404.
      const wrong = exists ? err(405, 'method_not_allowed') : err(404, 'no_route');
      if (method === 'OPTIONS') return { method, path, expect: /^\/(v1\/|widget\/|embed\.js$)/.test(path) ? { status: 204 } : wrong };
      if (method === 'GET') return { method, path, expect: exists && getOnly ? ok() : wrong };
      if (method === 'POST' && !getOnly) return { method, path, body: '{"pairs": [["u1", "1"]]}', expect: ok() };
      return { method, path, ...(method === 'POST' ? { body: '{}' } : {}), expect: wrong };
    });
    await property(methods, 8);
  });

  it('body sizes: 413 body_too_large past 64 KB on every POST route, a valid body of exactly 64 KB is answered', async () => {
    const valid = { predict: '{"pairs": [["u1", "1"]]}', examples: '{"liked": ["1"]}', arithmetic: '{"item": "1"}' } as const;
    const sizes = fc.record({
      route: fc.constantFrom('predict' as const, 'examples' as const, 'arithmetic' as const),
      bytes: fc.oneof(fc.constant(MAX_BODY_BYTES), fc.constant(MAX_BODY_BYTES + 1), fc.integer({ min: 50_000, max: 300_000 })),
      m: model,
    }).map(({ route, bytes, m }) => postCase(route, m, ' '.repeat(bytes - valid[route].length) + valid[route]));
    await property(sizes, 6);
  });

  it(`in all: at least ${Math.floor(10_000 * Math.min(1, DEPTH)).toLocaleString('en')} requests, no tensor leaked by the error paths, and the bucket untouched`, async () => {
    const h = await health();
    console.log(`[fuzz] ${sent} requests in ${(ms / 1000).toFixed(1)} s (${Math.round(sent / (ms / 1000))} req/s, batches of ${BATCH}), seed ${SEED}`);
    console.log(`[fuzz] answers: ${[...tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    expect(sent).toBeGreaterThanOrEqual(Math.floor(10_000 * Math.min(1, DEPTH)));
    expect(h.memory).toEqual(memoryAfterLoad);
    expect(await bucketState()).toEqual(bucketBefore);
    // Not degenerate: thousands of full answers, and every error the routes can give came up (at the default depth or
    // deeper: a fractional depth is a quick look, too few requests to meet every error).
    if (DEPTH < 0.5) return;
    expect(tally.get('200')).toBeGreaterThan(2500 * DEPTH);
    for (const code of ['bad_k', 'bad_item_id', 'bad_user_id', 'bad_tag_id', 'bad_model_name', 'bad_theme', 'bad_exclude_seen', 'bad_genre', 'bad_tag', 'bad_exclude',
      'unknown_model', 'unknown_item', 'unknown_user', 'unknown_tag', 'no_route', 'method_not_allowed', 'bad_items', 'bad_json', 'bad_field', 'unknown_field',
      'missing_field', 'conflicting_examples', 'no_examples', 'body_too_large']) {
      expect([...tally.keys()].some((k) => k.endsWith(` ${code}`)), code).toBe(true);
    }
  });
});
