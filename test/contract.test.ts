// One contract, written once, run over every registered model kind: each is trained tiny through its real pipeline,
// published to the Worker's local R2 and served by the real Worker bundle in workerd; every model route of the HTTP
// API then answers or refuses as test/helpers/contract-kinds.ts says for that kind, and what it answers equals the
// same artifact's offline answers in Node (shared/model/loaded.ts): exact ranks, scores within float rounding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recommendFromExamples } from '../shared/model/from-examples.js';
import { itemArithmetic } from '../shared/model/arithmetic.js';
import { canFoldInRatings, foldInRatings, predictFolded } from '../shared/model/foldin.js';
import type { LoadedModel } from '../shared/model/loaded.js';
import { predictRatings, recommendForUser, similarItems, type Scored } from '../shared/model/queries.js';
import { similarTags } from '../shared/model/tag-vectors.js';
import { recommendForItems } from '../shared/model/visitor.js';
import type { RatingsDataset } from '../training/data/types.js';
import { PIPELINES } from '../training/pipeline/registry.js';
import { CONTRACT, isServed, type Refusal } from './helpers/contract-kinds.js';
import { K, KIND_FREE_OPERATIONS, ROUTES, send, VISITOR_RATINGS, widgetItems, type Probe, type RouteId } from './helpers/contract-routes.js';
import { publishAll, trainAll, VARIANTS, type ServedModel, type Trained } from './helpers/contract-serve.js';
import { publishedAnswers, type PublishedDoc } from './helpers/openapi-answers.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

interface Item {
  id: string;
  score: number;
  rating?: number;
}
type Answer = Awaited<ReturnType<typeof send>>;
type Body = Record<string, unknown> & { results: Item[] };

let worker: StartedWorker;
let trained: Trained;
let served: Map<string, ServedModel>;

beforeAll(async () => {
  // workerd starts in its own process while Node trains.
  const started = startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } });
  trained = await trainAll();
  worker = await started;
  served = await publishAll(worker, trained);
});
afterAll(async () => {
  for (const s of served?.values() ?? []) s.node.dispose();
  await worker?.dispose();
  await trained?.cleanup();
});

const ds = (): RatingsDataset => trained.dataset;
const call = (p: Probe, route: RouteId) => send(worker.fetch, ROUTES[route].call(p));
const ids = (m: LoadedModel, s: Scored[]) => s.map((x) => m.items.ids[x.index]);
const index = (m: LoadedModel, id: string) => m.items.indexOf(id, m.name);
/** An item as answers show it: id, title, and tags when it has any. */
const view = (m: LoadedModel, i: number) => {
  const { id, title, tags } = m.item(i);
  return tags?.length ? { id, title, tags } : { id, title };
};

/** Scores as the Worker rounds them (6 decimals), against the Node side's float32. */
function sameScores(got: { score: number }[], want: { score: number }[]) {
  expect(got.length).toBe(want.length);
  got.forEach((g, j) => expect(Math.abs(g.score - want[j].score)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[j].score))));
}
const descending = (xs: { score: number }[]) => xs.every((x, j) => j === 0 || x.score <= xs[j - 1].score);

/** The ids the suite asks about: dataset ids, so that kinds without users are asked the same questions. */
function probeFor(name: string): Probe {
  const d = ds();
  // The two most common tags of the dataset (synthetic genres): every kind with tag embeddings knows them.
  const counts = new Map<string, number>();
  for (const { tags } of d.itemMeta) for (const t of tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  const [t0, t1] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
  return { model: name, user: d.userIds[6], newUser: 'nobody-new', item: d.itemIds[4], visited: [d.itemIds[1], d.itemIds[8], d.itemIds[13]], tags: [t0, t1] };
}

/** Items a user rated in the dataset: refit on every row (the default) ships them all as seen. */
function ratedBy(user: string): Set<string> {
  const d = ds();
  const u = d.userIds.indexOf(user);
  const out = new Set<string>();
  for (let r = 0; r < d.ratings.user.length; r++) if (d.ratings.user[r] === u) out.add(d.itemIds[d.ratings.item[r]]);
  return out;
}

/** The popular list worked out from the training rows: most interactions first, ties to the lower index. */
function popularFromData(k: number): Item[] {
  const d = ds();
  const counts = new Int32Array(d.itemIds.length);
  for (const i of d.ratings.item) counts[i]++;
  const order = Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a] || a - b);
  return order.slice(0, k).map((i) => ({ id: d.itemIds[i], score: counts[i] }));
}

async function json(p: Probe, route: RouteId): Promise<Body> {
  const a = await call(p, route);
  expect(a.status, a.text).toBeLessThan(300);
  return a.json as Body;
}

/** The route's values, for routes the kind answers: against the Node side, the training data and the other routes. */
const CHECKS: Record<RouteId, (s: ServedModel, p: Probe, a: Answer) => Promise<void> | void> = {
  similar(s, p, a) {
    const b = a.json as Body & { item: unknown; results: { title: string }[] };
    expect(b.item).toEqual(view(s.node, index(s.node, p.item)));
    expect(b.results.map((r) => r.id)).not.toContain(p.item);
    expect(descending(b.results)).toBe(true);
    const want = similarItems(s.node, index(s.node, p.item), K);
    expect(b.results.map(({ score: _, ...item }) => item)).toEqual(want.map((x) => view(s.node, x.index)));
    sameScores(b.results, want);
  },
  async recommendations(s, p, a) {
    const b = a.json as Body;
    const want = recommendForUser(s.node, s.node.users.indexOf(p.user, s.name), K, true);
    expect(b.results.map((r) => r.id)).toEqual(ids(s.node, want));
    sameScores(b.results, want);
    const rated = ratedBy(p.user);
    expect(rated.size).toBeGreaterThan(0);
    expect(b.results.filter((r) => rated.has(r.id))).toEqual([]);
    if (s.contract.routes.rating === 'answers') {
      // `rating` is exactly what the rating route says for the pair.
      for (const r of b.results) {
        const one = await send(worker.fetch, { path: `/v1/models/${s.name}/users/${p.user}/items/${r.id}/rating` });
        expect(r.rating).toBe((one.json as { rating: number }).rating);
      }
    } else {
      expect(b.results.every((r) => r.rating === undefined)).toBe(true);
    }
  },
  async unknownUser(s, p, a) {
    const b = a.json as Body & { fallback: string };
    expect(b.fallback).toBe('popular');
    expect(b.results).toEqual((await json(p, 'popular')).results);
  },
  visitor(s, p, a) {
    const b = a.json as Body;
    const want = recommendForItems(s.node, Int32Array.from(p.visited, (id) => index(s.node, id)), K);
    expect(b.results.map((r) => r.id)).toEqual(ids(s.node, want));
    sameScores(b.results, want);
    expect(b.results.filter((r) => p.visited.includes(r.id))).toEqual([]);
  },
  forRatings(s, p, a) {
    const b = a.json as Body & { rating_unavailable?: string };
    const items = Int32Array.from(p.visited, (id) => index(s.node, id));
    const want = recommendForItems(s.node, items, K);
    expect(b.results.map((r) => r.id)).toEqual(ids(s.node, want));
    sameScores(b.results, want);
    const outcome = s.contract.routes.forRatings;
    expect(canFoldInRatings(s.node)).toBe(outcome === 'rates');
    if (outcome === 'rates') {
      const folded = foldInRatings(s.node, items, Float32Array.from(VISITOR_RATINGS));
      const ratings = predictFolded(s.node, folded, Int32Array.from(want, (x) => x.index));
      b.results.forEach((r, j) => expect(Math.abs(r.rating! - ratings[j])).toBeLessThanOrEqual(1e-5));
      expect(b.rating_unavailable).toBeUndefined();
    } else {
      expect(b.results.every((r) => r.rating === undefined)).toBe(true);
      if (outcome === 'rating_unavailable') expect(b.rating_unavailable).toBe(`a ${s.kind} model cannot predict ratings for a visitor`);
      else expect(b.rating_unavailable).toBeUndefined();
    }
  },
  popular(_s, _p, a) {
    expect((a.json as Body).results.map(({ id, score }) => ({ id, score }))).toEqual(popularFromData(K));
  },
  async rating(s, p, a) {
    const b = a.json as { rating: number; range: [number, number] };
    expect(b.range).toEqual(ds().ratingRange);
    expect(b.rating).toBeGreaterThanOrEqual(b.range[0]);
    expect(b.rating).toBeLessThanOrEqual(b.range[1]);
    const [want] = predictRatings(s.node, Int32Array.of(s.node.users.indexOf(p.user, s.name)), Int32Array.of(index(s.node, p.item)));
    expect(Math.abs(b.rating - want)).toBeLessThanOrEqual(1e-5);
    // The same pair through the batch route: the same number.
    const batch = (await json(p, 'predict')) as unknown as { predictions: { rating: number }[] };
    expect(batch.predictions[0].rating).toBe(b.rating);
  },
  predict(s, p, a) {
    const b = a.json as { predictions: { user: string; item: string; rating: number }[] };
    const items = [p.item, ...p.visited];
    expect(b.predictions.map((x) => [x.user, x.item])).toEqual(items.map((i) => [p.user, i]));
    const u = s.node.users.indexOf(p.user, s.name);
    const want = predictRatings(s.node, new Int32Array(items.length).fill(u), Int32Array.from(items, (i) => index(s.node, i)));
    b.predictions.forEach((x, j) => expect(Math.abs(x.rating - want[j])).toBeLessThanOrEqual(1e-5));
  },
  similarTags(s, p, a) {
    const b = a.json as { tag: string; results: { tag: string; score: number }[] };
    expect(b.tag).toBe(p.tags[0]);
    expect(b.results.map((r) => r.tag)).not.toContain(p.tags[0]);
    expect(descending(b.results)).toBe(true);
    const tags = s.node.tags!;
    const want = similarTags(s.node, tags.index.indexOf(p.tags[0], s.name), K);
    expect(b.results.map((r) => r.tag)).toEqual(want.map((x) => tags.index.id(x.index)));
    sameScores(b.results, want);
  },
  arithmetic(s, p, a) {
    const b = a.json as Body & { plus: string[]; minus: string[] };
    expect([b.plus, b.minus]).toEqual([[p.tags[1]], [p.tags[0]]]);
    expect(b.results.map((r) => r.id)).not.toContain(p.item);
    expect(descending(b.results)).toBe(true);
    const tags = s.node.tags!.index;
    const want = itemArithmetic(s.node, { item: index(s.node, p.item), plus: [tags.indexOf(p.tags[1], s.name)], minus: [tags.indexOf(p.tags[0], s.name)] }, K).results;
    expect(b.results.map((r) => r.id)).toEqual(ids(s.node, want));
    sameScores(b.results, want);
  },
  fromExamples(s, p, a) {
    const b = a.json as { method: string; best: Item[]; worst: Item[] };
    const [liked, disliked] = [p.visited.slice(0, 2), p.visited.slice(2)].map((xs) => xs.map((id) => index(s.node, id)));
    const want = recommendFromExamples(s.node, liked, disliked, K);
    expect(b.method).toBe('logistic_regression');
    expect(b.best.map((r) => r.id)).toEqual(ids(s.node, want.best));
    expect(b.worst.map((r) => r.id)).toEqual(ids(s.node, want.worst));
    sameScores(b.best, want.best);
    sameScores(b.worst, want.worst);
    expect([...b.best, ...b.worst].filter((r) => p.visited.includes(r.id))).toEqual([]);
  },
  events(_s, _p, a) {
    expect(a.status).toBe(202);
    expect((a.json as { accepted: number }).accepted).toBe(2);
  },
  async widgetItem(_s, p, a) {
    expect(widgetItems(a.text).ids).toEqual((await json(p, 'similar')).results.map((r) => r.id));
  },
  async widgetUser(_s, p, a) {
    expect(widgetItems(a.text)).toEqual({ heading: 'Recommended for you', ids: (await json(p, 'recommendations')).results.map((r) => r.id) });
  },
  async widgetPopular(_s, p, a) {
    expect(widgetItems(a.text)).toEqual({ heading: 'Popular', ids: (await json(p, 'popular')).results.map((r) => r.id) });
  },
  async widgetVisitor(_s, p, a) {
    const w = widgetItems(a.text);
    expect(w.ids).toEqual((await json(p, 'visitor')).results.map((r) => r.id));
    expect(w.heading).toMatch(/^(Because you viewed .+|Recommended for you)$/);
  },
};

const WIDGET_ROUTES = new Set<RouteId>(['widgetItem', 'widgetUser', 'widgetPopular', 'widgetVisitor']);

describe('the expectation table covers what is registered and served', () => {
  it('every kind in training/pipeline/registry.ts has a row (a new kind must add one)', () => {
    expect(Object.keys(CONTRACT).sort()).toEqual(Object.keys(PIPELINES).sort());
  });

  it('a kind without a row of routes publishes nothing: its --out folder holds no artifact', () => {
    for (const [kind, c] of Object.entries(CONTRACT)) {
      if (!isServed(c)) expect(trained.excludedOutputs[kind], kind).toEqual([`${kind}-report.json`]);
    }
  });

  it('/openapi.json has no model route the table lacks, and the table none the Worker does not serve', async () => {
    const doc = (await (await worker.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([p, byMethod]) => Object.keys(byMethod).map((m) => `${m.toUpperCase()} ${p}`));
    const covered = new Set([...Object.values(ROUTES).map((r) => r.operation), ...KIND_FREE_OPERATIONS]);
    expect(ops.filter((o) => !covered.has(o))).toEqual([]);
    expect([...covered].filter((o) => !ops.includes(o))).toEqual([]);
  });
});

describe.each(VARIANTS.map((v) => [`${v.name} (${v.quantization})`, v.name] as const))('%s', (_, name) => {
  it.each(Object.keys(ROUTES) as RouteId[])('%s', async (route) => {
    const s = served.get(name)!;
    const p = probeFor(name);
    const outcome = s.contract.routes[route];
    const a = await call(p, route);
    if (typeof outcome === 'object') {
      const refusal: Refusal = outcome;
      const error = (a.json as { error?: { code: string; message: string } } | undefined)?.error;
      expect({ status: a.status, code: error?.code }, a.text).toEqual({ status: refusal.status, code: refusal.code });
      // A clear refusal: it names the model and says why.
      expect(error!.message).toContain(`model "${name}"`);
      expect(error!.message).toContain(refusal.says);
      return;
    }
    expect(a.status, a.text).toBe(route === 'events' ? 202 : 200);
    expect(a.type).toMatch(WIDGET_ROUTES.has(route) ? /^text\/html/ : /^application\/json/);
    if (!WIDGET_ROUTES.has(route) && route !== 'events') expect(a.json).toMatchObject({ model: name, version: s.version });
    await CHECKS[route](s, p, a);
  });
});

describe('kind-free routes list every served model', () => {
  it('GET /v1/models: each with its kind, live version, counts and the metrics its manifest records', async () => {
    type Listed = { name: string; kind: string; version: string; counts: { users: number; items: number }; metrics: { quantized: Record<string, number> } };
    const body = (await (await worker.fetch('/v1/models')).json()) as { models: Listed[] };
    const d = ds();
    expect(body.models.map((m) => [m.name, m.kind, m.version, m.counts.items, m.counts.users]).sort()).toEqual(
      VARIANTS.map((v) => [v.name, v.kind, served.get(v.name)!.version, d.itemIds.length, v.contract.routes.recommendations === 'answers' ? d.userIds.length : 0]).sort(),
    );
    for (const m of body.models) {
      const s = served.get(m.name)!;
      expect(m.metrics).toEqual(s.node.manifest.metrics);
      expect(m.metrics.quantized[s.contract.metric], m.name).toBeGreaterThan(0);
    }
  });

  it('GET /healthz: the wasm backend and every variant loaded, each with its kind and version', async () => {
    // Each loads on its first request (the routes above made them; asked again here so this test stands alone).
    for (const v of VARIANTS) expect((await call(probeFor(v.name), 'similar')).status).toBe(200);
    const body = (await (await worker.fetch('/healthz')).json()) as { ok: boolean; backend: string; models: { model: string; kind: string; version: string }[] };
    expect(body.ok).toBe(true);
    // Dense heads and float tables run on tfjs: the wasm backend.
    expect(body.backend).toBe('wasm');
    expect(body.models.map((m) => [m.model, m.kind, m.version]).sort()).toEqual(VARIANTS.map((v) => [v.name, v.kind, served.get(v.name)!.version]).sort());
  });
});

describe('every kind answers in the shapes /openapi.json publishes', () => {
  it('each answer of each served route validates against its route\'s schema (ajv, JSON Schema 2020-12)', async () => {
    const published = publishedAnswers((await (await worker.fetch('/openapi.json')).json()) as PublishedDoc);
    let checked = 0;
    for (const v of VARIANTS) {
      const p = probeFor(v.name);
      for (const route of Object.keys(ROUTES) as RouteId[]) {
        if (typeof served.get(v.name)!.contract.routes[route] === 'object') continue; // refused: checked above
        const a = await call(p, route);
        const answer = published.get(ROUTES[route].operation)!;
        expect(a.status, `${v.name} ${route}`).toBe(answer.status);
        expect(answer.problems(a.json ?? a.text), `${v.name} ${route}`).toBe('');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(VARIANTS.length * 5);
  });
});
