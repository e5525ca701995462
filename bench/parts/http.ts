// Part 2: HTTP through Miniflare's own socket (no `wrangler dev` proxy) with autocannon on loopback.
import autocannon from 'autocannon';
import { modelName, type BenchContext, type Part, type PartResult } from '../lib/context.js';
import { median, p99, sig } from '../lib/stats.js';
import { BENCH_DIST, getJson, postJson, PROD_DIST, seedModel, startBenchWorker, type BenchWorker } from '../lib/workers.js';

const Q = 'q8' as const;

interface Endpoint {
  name: string;
  items?: number;
  /** Request number -> request. */
  request(n: number): { method: string; path: string; body?: string };
}

interface Row {
  endpoint: string;
  connections: number;
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Counts of non-2xx statuses. */
  statuses: Record<number, number>;
  errors: number;
}

function load(url: URL, ep: Endpoint, connections: number, seconds: number, cap: number): Promise<Row> {
  const times: number[] = [];
  const statuses: Record<number, number> = {};
  let n = 0;
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: url.href,
        connections,
        // Bounded by time here and by count in the response handler (autocannon ignores duration when amount is set).
        duration: seconds,
        timeout: 10,
        requests: [
          {
            setupRequest: (req) => {
              const r = ep.request(n++);
              return { ...req, method: r.method, path: r.path, ...(r.body ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}) };
            },
          },
        ],
      },
      (err, res) => {
        if (err) return reject(err);
        const secs = res.duration;
        resolve({
          endpoint: ep.name,
          connections,
          requests: res.requests.total,
          seconds: sig(secs),
          rps: Math.round(res.requests.total / secs),
          p50Ms: sig(median(times)),
          p99Ms: sig(p99(times)),
          non2xx: res.non2xx,
          statuses,
          errors: res.errors + res.timeouts,
        });
      },
    );
    // autocannon's own histogram has 1 ms resolution; the per-response times it emits are exact.
    inst.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) times.push(ms);
      else statuses[status] = (statuses[status] ?? 0) + 1;
      if (times.length === cap) inst.stop();
    });
  });
}

async function hasRoute(w: BenchWorker, method: string, path: string, body?: string): Promise<boolean> {
  const res = await w.fetch(path, { method, body, headers: body ? { 'content-type': 'application/json' } : undefined });
  const j = (await res.json()) as { error?: { code: string } };
  return !(res.status === 404 && j.error?.code === 'no_route');
}

export const httpPart: Part = {
  name: 'http',
  title: 'HTTP latency and throughput: Miniflare socket + autocannon on loopback',
  async run(ctx: BenchContext): Promise<PartResult> {
    const sizes = ctx.quick ? [ctx.sizes[0]] : ctx.sizes.filter((n) => n <= 60_000);
    const seconds = ctx.quick ? 1.5 : 5;
    const cap = ctx.quick ? 20_000 : 60_000;
    const w = await startBenchWorker(PROD_DIST, false);
    const rows: Row[] = [];
    const notes: string[] = [];
    try {
      const endpoints: Endpoint[] = [{ name: '/healthz', request: () => ({ method: 'GET', path: '/healthz' }) }];
      for (const n of sizes) endpoints.push(...(await endpointsAt(ctx, w, n, n === sizes[0], notes)));
      for (const ep of endpoints) {
        for (const c of [1, 4]) {
          const r = await load(w.url, ep, c, seconds, cap);
          rows.push(r);
          ctx.log(`  ${ep.name} c=${c}: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.rps} req/s${r.non2xx ? `, non-2xx ${JSON.stringify(r.statuses)}` : ''}`);
        }
      }
    } finally {
      await w.dispose();
    }
    const handler = await handlerTimes(ctx, sizes[0]);
    return httpResult(rows, handler, notes, { n0: sizes[0], seconds, cap });
  },
};

/** The routes measured on a catalogue of n items (seeded into the Worker and loaded by a first request). */
async function endpointsAt(ctx: BenchContext, w: BenchWorker, n: number, first: boolean, notes: string[]): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  const m = modelName(n, Q);
  await seedModel(w.bucket, m, await ctx.encoded(n, Q));
  const users = ctx.catalog(n).spec.users;
  // Warm: the first request loads the model into this isolate.
  await getJson(w, `/v1/models/${m}/items/1/similar?k=10`);
  const item = (i: number) => 1 + ((i * 7919) % n);
  const user = (i: number) => 1 + ((i * 104729) % users);
  out.push(
    { name: `similar ${n}`, items: n, request: (i) => ({ method: 'GET', path: `/v1/models/${m}/items/${item(i)}/similar?k=10` }) },
    { name: `recommendations ${n}`, items: n, request: (i) => ({ method: 'GET', path: `/v1/models/${m}/users/${user(i)}/recommendations?k=10` }) },
    { name: `rating ${n}`, items: n, request: (i) => ({ method: 'GET', path: `/v1/models/${m}/users/${user(i)}/items/${item(i)}/rating` }) },
  );
  // Visitors: a session of 10 viewed items, 20 ratings folded in, and reasons on a known user's list.
  const viewed = (i: number) => Array.from({ length: 10 }, (_, j) => item(i + j)).join(',');
  const rated = (i: number) => JSON.stringify({ ratings: Array.from({ length: 20 }, (_, j) => [String(item(i * 20 + j)), 1 + ((i + j) % 5)]), k: 10 });
  out.push(
    { name: `visitor items x10 ${n}`, items: n, request: (i) => ({ method: 'GET', path: `/v1/models/${m}/recommendations?items=${viewed(i)}&k=10` }) },
    { name: `for-ratings x20 ${n}`, items: n, request: (i) => ({ method: 'POST', path: `/v1/models/${m}/recommendations/for-ratings`, body: rated(i) }) },
    { name: `recommendations explain ${n}`, items: n, request: (i) => ({ method: 'GET', path: `/v1/models/${m}/users/${user(i)}/recommendations?k=10&explain=true` }) },
  );
  const body = (i: number) => JSON.stringify({ pairs: Array.from({ length: 10 }, (_, j) => [String(user(i + j)), String(item(i + j))]) });
  if (await hasRoute(w, 'POST', `/v1/models/${m}/predict`, body(0))) {
    out.push({ name: `predict x10 ${n}`, items: n, request: (i) => ({ method: 'POST', path: `/v1/models/${m}/predict`, body: body(i) }) });
  } else if (first) {
    notes.push('POST /v1/models/:model/predict does not exist yet in this build: skipped.');
  }
  return out;
}

/** The same routes' handling time inside the Worker (app.fetch in a loop, no HTTP): what the app itself costs. */
async function handlerTimes(ctx: BenchContext, n0: number): Promise<Record<string, number>> {
  const handler: Record<string, number> = {};
  const b = await startBenchWorker(BENCH_DIST, false);
  try {
    const m = modelName(n0, Q);
    await seedModel(b.bucket, m, await ctx.encoded(n0, Q));
    const paths = { '/healthz': '/healthz', [`similar ${n0}`]: `/v1/models/${m}/items/17/similar?k=10`, [`recommendations ${n0}`]: `/v1/models/${m}/users/17/recommendations?k=10`, [`rating ${n0}`]: `/v1/models/${m}/users/17/items/17/rating` };
    const t = await postJson<Record<string, number>>(b, '/__bench/handler', { paths: Object.values(paths), n: ctx.quick ? 200 : 1000 });
    for (const [name, p] of Object.entries(paths)) handler[name] = sig(t[p]);
  } finally {
    await b.dispose();
  }
  return handler;
}

function httpResult(rows: Row[], handler: Record<string, number>, notes: string[], o: { n0: number; seconds: number; cap: number }): PartResult {
  const { n0, seconds, cap } = o;
  const get = (name: string, c: number) => rows.find((r) => r.endpoint === name && r.connections === c);
  const ratio = sig((get(`similar ${n0}`, 1)?.p50Ms ?? NaN) / (get('/healthz', 1)?.p50Ms ?? NaN));
  const over = (name: string) => sig((get(`${name} ${n0}`, 1)?.p50Ms ?? NaN) / (get(`recommendations ${n0}`, 1)?.p50Ms ?? NaN));
  const visitorRatios = { items_x10: over('visitor items x10'), for_ratings_x20: over('for-ratings x20'), explain: over('recommendations explain') };
  notes.push(
    `visitor routes p50 / recommendations p50 at 1 connection: ?items= x10 ${visitorRatios.items_x10}, for-ratings x20 ${visitorRatios.for_ratings_x20}, explain ${visitorRatios.explain}.`,
    `Each row: ${seconds} s or ${cap} requests, whichever comes first; item and user ids cycle over the catalogue; int8 artifacts; the production bundle (wrangler.toml).`,
    'autocannon runs in the bench process on the same 2 cores as workerd: req/s at 4 connections is bounded by both.',
    'in-Worker handler: ms per request of app.fetch called in a loop inside the bench Worker (routing, middleware, the query, JSON), without HTTP; the same request each time.',
    `similar ${n0} p50 / healthz p50 at 1 connection: ${ratio} (target <= 1.5).`,
  );
  return {
    name: 'http',
    tables: [
      {
        title: 'HTTP: latency (ms) and throughput at 1 and 4 connections',
        headers: ['endpoint', 'c=1 p50', 'c=1 p99', 'c=1 req/s', 'c=4 p50', 'c=4 p99', 'c=4 req/s', 'in-Worker handler'],
        rows: [...new Set(rows.map((r) => r.endpoint))].map((e) => {
          const a = get(e, 1);
          const b = get(e, 4);
          return [e, a?.p50Ms, a?.p99Ms, a?.rps, b?.p50Ms, b?.p99Ms, b?.rps, handler[e]];
        }),
        notes,
      },
    ],
    data: { seconds, cap, rows, handler, similar_over_healthz_p50: ratio, visitor_over_recommendations_p50: visitorRatios },
    summary: {
      http: {
        healthz_p50_ms: get('/healthz', 1)?.p50Ms ?? null,
        similar_p50_ms: get(`similar ${n0}`, 1)?.p50Ms ?? null,
        similar_rps_c4: get(`similar ${n0}`, 4)?.rps ?? null,
        recommend_p50_ms: get(`recommendations ${n0}`, 1)?.p50Ms ?? null,
        visitor_items_p50_ms: get(`visitor items x10 ${n0}`, 1)?.p50Ms ?? null,
        for_ratings_x20_p50_ms: get(`for-ratings x20 ${n0}`, 1)?.p50Ms ?? null,
        explain_p50_ms: get(`recommendations explain ${n0}`, 1)?.p50Ms ?? null,
        catalogue_items: n0,
      },
      // The issue's target (<= 1.3): similar items at 10k over /healthz, p50 at 1 connection, in this run.
      ratios: { http_similar_vs_healthz: ratio },
    },
  };
}
