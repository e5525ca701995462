// The typed client (shared/client/, exported as edgerec/client) against the real Worker in workerd over HTTP, with
// the platform's own fetch: every method gets the answer worked out for the hand-made GAMES model (by hand in
// test/helpers/handmade-artifact.ts, or by the shared/ model code on the same artifact), and refusals become ApiError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, EdgerecClient } from 'edgerec/client';
import { foldInRatings, predictFolded } from '../shared/model/foldin.js';
import { predictRatings, recommendForUser } from '../shared/model/queries.js';
import { recommendForItems } from '../shared/model/visitor.js';
import { startApiWorker, type ApiWorker } from './helpers/api-worker.js';

describe('EdgerecClient against the Worker', () => {
  let api: ApiWorker;
  let client: EdgerecClient;
  const ids = (rs: { id: string }[]) => rs.map((r) => r.id);
  const index = (id: string) => api.games.items.indexOf(id, 'games');

  beforeAll(async () => {
    api = await startApiWorker();
    const url = await api.worker.mf.ready;
    client = new EdgerecClient({ baseUrl: url.origin });
  });
  afterAll(() => api?.dispose());

  it('similarItems: the worked cosines, best first, with titles and tags; filters pass through', async () => {
    const a = await client.similarItems('games', 'aom', { k: 3 });
    expect(a.model).toBe('games');
    expect(a.item).toEqual({ id: 'aom', title: 'Age of Myth', tags: ['Strategy', 'Fantasy'] });
    expect(ids(a.results)).toEqual(['fq', 'gs', 'wc']);
    expect(a.results.map((r) => r.score)).toEqual([expect.closeTo(0.832, 3), expect.closeTo(0.706, 3), expect.closeTo(0.5, 3)]);
    const f = await client.similarItems('games', 'aom', { k: 5, tags: ['Strategy', 'War'], exclude: ['gs'] });
    expect(f.filter).toEqual({ tags: ['Strategy', 'War'], exclude: ['gs'] });
    expect(ids(f.results)).toEqual(['wc', 'dw']);
  });

  it('similarTags and itemTagArithmetic: the worked answers', async () => {
    const t = await client.similarTags('games', 'War', { k: 2 });
    expect(t.results).toEqual([{ tag: 'Strategy', score: expect.closeTo(0.47, 3) }, { tag: 'Fantasy', score: 0 }]);
    const a = await client.itemTagArithmetic('games', { item: 'aom', minus: ['Fantasy'], k: 2 });
    expect([a.plus, a.minus, a.k]).toEqual([[], ['Fantasy'], 2]);
    expect(a.results.map((r) => [r.id, r.score])).toEqual([['gs', expect.closeTo(0.923, 3)], ['wc', expect.closeTo(0.653, 3)]]);
  });

  it('predictRating and predictRatings: 3 + user bias + item bias + u.v, on the 1..5 scale', async () => {
    const one = await client.predictRating('games', 'u1', 'aom');
    expect([one.rating, one.range]).toEqual([expect.closeTo(4.7, 5), [1, 5]]);
    const many = await client.predictRatings('games', [['u1', 'aom'], ['u2', 'fm']]);
    expect(many.predictions).toEqual([
      { user: 'u1', item: 'aom', rating: expect.closeTo(4.7, 5) },
      { user: 'u2', item: 'fm', rating: expect.closeTo(2.5, 5) },
    ]);
  });

  it('recommendForUser: the Node side on the same artifact, without what the user saw; an unknown user gets popular', async () => {
    const a = await client.recommendForUser('games', 'u1', { k: 3, explain: true });
    if ('fallback' in a) throw new Error('u1 is a known user');
    const want = recommendForUser(api.games, 0, 3, true);
    expect(ids(a.results)).toEqual(want.map((s) => api.games.items.ids[s.index]));
    expect(ids(a.results)).not.toContain('gs');
    const ratings = predictRatings(api.games, new Int32Array(3), Int32Array.from(want, (s) => s.index));
    a.results.forEach((r, j) => expect(r.rating).toBeCloseTo(ratings[j], 5));
    expect(a.results[0].because?.map((b) => b.id)).toEqual(['gs']);
    const fallback = await client.recommendForUser('games', 'stranger', { k: 2 });
    expect('fallback' in fallback && fallback.fallback).toBe('popular');
    expect(fallback.results.map((r) => [r.id, r.score])).toEqual([['gs', 1], ['aom', 0]]);
  });

  it('recommendForVisitor and recommendForRatings: the fold-ins of shared/model, computed on the same artifact', async () => {
    const v = await client.recommendForVisitor('games', ['aom', 'fq'], { k: 3 });
    const items = Int32Array.of(index('aom'), index('fq'));
    expect(ids(v.items)).toEqual(['aom', 'fq']);
    const want = recommendForItems(api.games, items, 3);
    expect(v.results.map((r) => [r.id, r.score])).toEqual(want.map((s) => [api.games.items.ids[s.index], expect.closeTo(s.score, 5)]));

    const r = await client.recommendForRatings('games', [['aom', 5], ['fm', 1]], { k: 2 });
    const rated = Int32Array.of(index('aom'), index('fm'));
    const best = recommendForItems(api.games, rated, 2);
    const predicted = predictFolded(api.games, foldInRatings(api.games, rated, Float32Array.of(5, 1)), Int32Array.from(best, (s) => s.index));
    expect(r.method).toBe('foldin');
    expect(r.results.map((x) => [x.id, x.rating])).toEqual(best.map((s, j) => [api.games.items.ids[s.index], expect.closeTo(predicted[j], 5)]));
  });

  it('popular and recommendFromExamples', async () => {
    const p = await client.popular('games', { k: 2 });
    expect(p.results.map((r) => [r.id, r.score])).toEqual([['gs', 1], ['aom', 0]]);
    const e = await client.recommendFromExamples('games', { liked: ['aom'], k: 2 });
    expect(e.method).toBe('nearest_to_liked_mean');
    expect(e.fit).toBeUndefined();
    expect(ids(e.best)).toEqual(['fq', 'gs']);
    const lr = await client.recommendFromExamples('games', { liked: ['aom', 'gs'], disliked: ['fm'], k: 1 });
    expect(lr.method).toBe('logistic_regression');
    expect(lr.fit?.train_accuracy).toBe(1);
    expect(ids(lr.worst)).toEqual(['dw']);
  });

  it('models, health, openApi and postEvents', async () => {
    const { models } = await client.models();
    expect(models.map((m) => ('kind' in m ? [m.name, m.kind, m.counts] : m.error))).toEqual([['games', 'handmade', { users: 2, items: 6, tags: 3 }]]);
    const h = await client.health();
    expect(h.ok).toBe(true);
    expect(h.models.map((m) => [m.model, m.items])).toEqual([['games', 6]]);
    expect((await client.health({ tfjs: true })).backend).toBe('wasm');
    expect((await client.openApi()).openapi).toBe('3.1.0');
    expect(await client.postEvents([{ type: 'view', model: 'games', item: 'aom', visitor: 'v-42' }])).toMatchObject({ accepted: 1 });
  });

  it('a refusal is an ApiError with the status, the code and the message', async () => {
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
    const missing = await refusal(client.similarItems('games', 'nothing'));
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing).toMatchObject({ status: 404, code: 'unknown_item', message: 'item "nothing" is not in model "games"' });
    expect((missing as ApiError).body).toEqual({ error: { code: 'unknown_item', message: 'item "nothing" is not in model "games"' } });
    expect(await refusal(client.similarItems('games', 'aom', { k: 0 }))).toMatchObject({ status: 400, code: 'bad_k' });
    expect(await refusal(client.predictRatings('games', []))).toMatchObject({ status: 400, code: 'bad_field' });
    expect(await refusal(client.similarTags('nothing', 'War'))).toMatchObject({ status: 404, code: 'unknown_model' });
  });

  it('an answer that is not the API (a proxy page) is an ApiError saying so; a relative baseUrl is refused', async () => {
    const proxy = new EdgerecClient({ baseUrl: 'https://edge.example', fetch: async () => new Response('<h1>Bad gateway</h1>', { status: 502 }) });
    await expect(proxy.models()).rejects.toMatchObject({ status: 502, code: 'unexpected_answer', message: expect.stringContaining('HTTP 502') });
    expect(() => new EdgerecClient({ baseUrl: '/api' })).toThrow(/baseUrl must be an absolute http\(s\) URL/);
  });
});
