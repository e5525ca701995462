// Visitors, popular lists, reasons and hidden items, answered by the real Worker in workerd, on 2-d models whose
// answers are worked out by hand below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishArtifact } from '../training/publish/publish.js';
import { bucketOf } from './helpers/artifact.js';
import { type HandmadeModel, writeHandmadeArtifact } from './helpers/handmade-artifact.js';
import { pollUntil } from './helpers/poll.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

/**
 * Items a=[1,0] (bias 0.5), b=[0,1], c=[1,1] (bias -0.5), d=[2,0]; mu = 3; ratings 1..5.
 * Gramian G = sum y y^T = [[6,1],[1,2]]. Seen: u1 {a,c}, u2 {c,d}, u3 {c}: popularity c 3, a 1, d 1, b 0, so the
 * popular order is c, a, d, b (a before d: ties go to the lower index).
 *
 * Implicit fold-in (alpha 1, lambda 1) of a visitor who viewed {a}: A = G + a a^T + I = [[8,1],[1,3]] (det 23),
 * rhs 2a = [2,0], x = A^-1 rhs = [6, -2]/23. Scores x.y: d 12/23 = 0.521739, c 4/23 = 0.173913, b -2/23 = -0.086957.
 *
 * Ratings {a: 5, b: 2}: rating fold-in (lambda 1) on the augmented vectors [q, 1]: targets r - mu - b_i = 1.5, -1;
 * A = [[2,0,1],[0,2,1],[1,1,3]], rhs [1.5,-1,0.5] -> p = [0.6875, -0.5625], b_u = 0.125; predicted c 2.75, d 4.5.
 * Their implicit fold-in from {a,b}: A = [[8,1],[1,4]] (det 31), rhs [2,2], x = [6,14]/31: c 20/31 = 0.645161,
 * d 12/31 = 0.387097.
 *
 * u1 = [0,1], bias 0, seen {a,c}: rating-ranked recommendations b (3 + 0 + 1 = 4), d (3); because: for b only c
 * (cos 0.707107; a's cosine is 0, no support), for d a (1) then c (0.707107).
 */
const SQUARE: HandmadeModel = {
  kind: 'mf',
  items: [
    { id: 'a', title: 'A', tags: ['x'], vector: [1, 0], bias: 0.5 },
    { id: 'b', title: 'B', tags: ['y'], vector: [0, 1] },
    { id: 'c', title: 'C', tags: ['x', 'y'], vector: [1, 1], bias: -0.5 },
    { id: 'd', title: 'D', tags: ['x'], vector: [2, 0] },
  ],
  users: [
    { id: 'u1', vector: [0, 1], seen: ['a', 'c'] },
    { id: 'u2', vector: [1, 0], seen: ['c', 'd'] },
    { id: 'u3', vector: [0, 0], seen: ['c'] },
  ],
  globalBias: 3,
  ratingRange: [1, 5],
  foldin: { implicit: { alpha: 1, lambda: 1 }, rating: { lambda: 1 } },
};

/**
 * The same rating model with a ranker beside it: rank vectors a=[0,1], b=[1,0], c=[0,0.5], d=[0.2,0.2]; u1 ranks
 * b (1) before d (0.2) with ratings 4 and 3 from the rating model; u2 = [0,1] ranks a (1), b (0).
 */
const RANKED: HandmadeModel = {
  ...SQUARE,
  ranker: {
    spec: { kind: 'ials', alpha: 1, lambda: 1, epochs: 1 },
    items: [[0, 1], [1, 0], [0, 0.5], [0.2, 0.2]],
    users: [[1, 0], [0, 1], [0, 0]],
  },
};

interface Rec {
  id: string;
  score: number;
  rating?: number;
  because?: { id: string; title: string; similarity: number }[];
}
interface Answer {
  version: string;
  fallback?: string;
  results: Rec[];
  rating_unavailable?: string;
}

describe('visitors, popular lists, reasons and hidden items in workerd', () => {
  let worker: StartedWorker;

  beforeAll(async () => {
    worker = await startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } });
    const bucket = bucketOf(worker.bucket);
    await publishArtifact(bucket, await writeHandmadeArtifact(SQUARE), 'square');
    await publishArtifact(bucket, await writeHandmadeArtifact(RANKED), 'ranked');
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  const get = async (path: string) => {
    const res = await worker.fetch(path);
    return { status: res.status, body: (await res.json()) as Answer & { error?: { code: string; message: string } }, etag: res.headers.get('ETag') };
  };
  const post = async (path: string, body: unknown) => {
    const res = await worker.fetch(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as Answer & { error?: { code: string; message: string } } };
  };
  const ids = (a: Answer) => a.results.map((r) => r.id);

  it('popular: by training interactions, ties to the lower index, score = the count', async () => {
    const { status, body } = await get('/v1/models/square/popular?k=4');
    expect(status).toBe(200);
    expect(body.results.map((r) => [r.id, r.score])).toEqual([['c', 3], ['a', 1], ['d', 1], ['b', 0]]);
    expect(ids((await get('/v1/models/square/popular?k=2&tag=y')).body)).toEqual(['c', 'b']);
  });

  it('an unknown user gets the popular list with fallback: popular, not a 404', async () => {
    const { status, body } = await get('/v1/models/square/users/stranger/recommendations?k=3');
    expect(status).toBe(200);
    expect(body.fallback).toBe('popular');
    expect(ids(body)).toEqual(['c', 'a', 'd']);
  });

  it('a visitor folded in from ?items= gets the hand-solved ranking, the given items excluded', async () => {
    const { status, body } = await get('/v1/models/square/recommendations?items=a&k=3');
    expect(status).toBe(200);
    expect(ids(body)).toEqual(['d', 'c', 'b']);
    const scores = body.results.map((r) => r.score);
    [12 / 23, 4 / 23, -2 / 23].forEach((s, n) => expect(scores[n]).toBeCloseTo(s, 5));
  });

  it('for-ratings: ranked by the implicit fold-in, rating from the rating fold-in, both solved by hand', async () => {
    const { status, body } = await post('/v1/models/square/recommendations/for-ratings', { ratings: [['a', 5], ['b', 2]], k: 2 });
    expect(status).toBe(200);
    expect(ids(body)).toEqual(['c', 'd']);
    expect(body.results[0].score).toBeCloseTo(20 / 31, 5);
    expect(body.results[1].score).toBeCloseTo(12 / 31, 5);
    expect(body.results[0].rating).toBeCloseTo(2.75, 5);
    expect(body.results[1].rating).toBeCloseTo(4.5, 5);
  });

  it('for-ratings refuses ratings off the scale, repeated items and unknown ids, naming them', async () => {
    const off = await post('/v1/models/square/recommendations/for-ratings', { ratings: [['a', 6]] });
    expect([off.status, off.body.error?.code]).toEqual([400, 'bad_rating']);
    expect(off.body.error?.message).toContain('1..5, got 6');
    const twice = await post('/v1/models/square/recommendations/for-ratings', { ratings: [['a', 4], ['a', 5]] });
    expect([twice.status, twice.body.error?.code]).toEqual([400, 'duplicate_item']);
    const unknown = await post('/v1/models/square/recommendations/for-ratings', { ratings: [['zz', 4]] });
    expect([unknown.status, unknown.body.error?.message]).toEqual([404, 'body.ratings[0][0]: item "zz" is not in model "square"']);
    const empty = await get('/v1/models/square/recommendations?items=');
    expect([empty.status, empty.body.error?.code]).toEqual([400, 'bad_items']);
  });

  it('a method a path does not serve is a 405 naming the ones it does (Allow), not a 404', async () => {
    const wrong = await worker.fetch('/v1/models/square/recommendations/for-ratings');
    expect([wrong.status, wrong.headers.get('Allow')]).toEqual([405, 'POST']);
    expect(((await wrong.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'method_not_allowed',
      message: 'GET is not allowed on /v1/models/square/recommendations/for-ratings: use POST (see GET /openapi.json)',
    });
    const put = await worker.fetch('/v1/models/square/popular', { method: 'PUT' });
    expect([put.status, put.headers.get('Allow')]).toEqual([405, 'GET, HEAD']);
    expect((await worker.fetch('/v1/models/square/nothing')).status).toBe(404);
  });

  it('a known user: rating-ranked without a ranker, with rating = the rating route, and reasons on request', async () => {
    const { body } = await get('/v1/models/square/users/u1/recommendations?k=2&explain=true');
    expect(ids(body)).toEqual(['b', 'd']);
    expect(body.results.map((r) => r.rating)).toEqual([4, 3]);
    expect(body.results[0].because).toEqual([{ id: 'c', title: 'C', similarity: 0.707107 }]);
    expect(body.results[1].because).toEqual([
      { id: 'a', title: 'A', similarity: 1 },
      { id: 'c', title: 'C', similarity: 0.707107 },
    ]);
    for (const r of body.results) {
      const single = await get(`/v1/models/square/users/u1/items/${r.id}/rating`);
      expect((single.body as unknown as { rating: number }).rating).toBe(r.rating);
    }
  });

  it('with a ranker, recommendations rank by its dot product while rating stays the rating model', async () => {
    const { body } = await get('/v1/models/ranked/users/u1/recommendations?k=2');
    expect(body.results.map((r) => [r.id, r.score, r.rating])).toEqual([
      ['b', 1, 4],
      ['d', 0.2, 3],
    ]);
    // u2 has seen c and d: a (1) then b (0).
    expect(ids((await get('/v1/models/ranked/users/u2/recommendations?k=2')).body)).toEqual(['a', 'b']);
  });

  it('hidden items leave every answer within the TTL, change the ETag, and /healthz counts them', async () => {
    const before = await get('/v1/models/square/popular?k=4');
    await worker.bucket.put('square/HIDDEN', JSON.stringify({ items: ['c', 'not-in-model'], updatedAt: '2026-12-02T00:00:00Z' }));
    // HIDDEN is re-read in the background beside CURRENT: the answers change once that read is done.
    const seen = await pollUntil('c hidden', () => get('/v1/models/square/popular?k=4'), (a) => !ids(a.body).includes('c'));
    const after = seen[seen.length - 1];
    expect(ids(after.body)).toEqual(['a', 'd', 'b']);
    expect(after.etag).not.toBe(before.etag);
    expect(ids((await get('/v1/models/square/recommendations?items=a&k=3')).body)).toEqual(['d', 'b']);
    expect(ids((await get('/v1/models/square/users/u3/recommendations?k=3&exclude_seen=false')).body)).not.toContain('c');
    const similar = (await get('/v1/models/square/items/a/similar?k=3')).body;
    expect(ids(similar)).toEqual(['d', 'b']);
    const rated = await post('/v1/models/square/recommendations/for-ratings', { ratings: [['a', 5], ['b', 2]], k: 3 });
    expect(ids(rated.body)).toEqual(['d']);
    const examples = (await post('/v1/models/square/recommendations/from-examples', { liked: ['a'], k: 3 })).body as unknown as { best: Rec[] };
    expect(examples.best.map((r) => r.id)).not.toContain('c');
    const widget = await (await worker.fetch('/widget/square/popular?k=4')).text();
    expect([...widget.matchAll(/data-edgerec-item="([^"]*)"/g)].map((x) => x[1])).toEqual(['a', 'd', 'b']);
    const health = (await (await worker.fetch('/healthz')).json()) as { models: { model: string; hidden: number }[] };
    expect(health.models.find((m) => m.model === 'square')?.hidden).toBe(1);
    // A malformed HIDDEN keeps the last good list rather than un-hiding anything.
    await worker.bucket.put('square/HIDDEN', '{"items": "c"}');
    const squareHealth = async () => {
      await (await worker.fetch('/v1/models/square/popular?k=4')).arrayBuffer();
      return ((await (await worker.fetch('/healthz')).json()) as { models: { model: string; hidden: number; hiddenProblem?: string }[] }).models.find((m) => m.model === 'square')!;
    };
    // Once the bad list has been read (/healthz says why it was not applied), the last good one still holds.
    expect((await pollUntil('the malformed HIDDEN read', squareHealth, (m) => m.hiddenProblem !== undefined)).pop()!.hidden).toBe(1);
    expect(ids((await get('/v1/models/square/popular?k=4')).body)).toEqual(['a', 'd', 'b']);
    await worker.bucket.delete('square/HIDDEN');
    await pollUntil('c back', () => get('/v1/models/square/popular?k=4'), (a) => ids(a.body).includes('c'));
    expect(ids((await get('/v1/models/square/popular?k=4')).body)).toEqual(['c', 'a', 'd', 'b']);
  });
});
