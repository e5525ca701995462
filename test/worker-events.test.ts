// Events in and out, in workerd through Miniflare's Queues and R2 simulations: POST /v1/events -> EVENTS_QUEUE ->
// the Worker's own queue consumer -> NDJSON objects in the EVENTS bucket -> readEvents / toInteractions (npm run
// events) -> a CSV that train's loader reads. Bad events get the JSON error envelope and are never stored; a batch
// delivered twice writes one object.
import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventsMessage, StoredEvent } from '../shared/events.js';
import { loadDataset } from '../training/data/load.js';
import { ctrByVariant, wilson } from '../training/events/ctr.js';
import { toInteractions, writeInteractionsCsv } from '../training/events/interactions.js';
import { saveEvents } from '../training/events/folder.js';
import { readEvents } from '../training/events/read.js';
import { runEventsLoop } from '../training/pipeline/events-loop.js';
import { onlineSection, readOnlineMetrics } from '../training/report/online.js';
import { bucketOverR2 } from '../training/publish/local-bucket.js';
import { publishArtifact } from '../training/publish/publish.js';
import { writeHandmadeArtifact } from './helpers/handmade-artifact.js';
import { pollUntil } from './helpers/poll.js';
import { swapPair } from './helpers/robust-models.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

const QUEUE = 'edgerec-events';

describe('POST /v1/events through the queue into R2', () => {
  let worker: StartedWorker;
  const post = (body: unknown) => worker.fetch('/v1/events', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const stored = async () => (await readEvents(bucketOverR2(worker.events!), 'ev')).events;

  beforeAll(async () => {
    const [w, dir] = await Promise.all([
      startWorker({ queueConsumer: { maxBatchTimeout: 0.2 } }),
      writeHandmadeArtifact(swapPair({ items: 12, users: 3, dim: 4 })[0]),
    ]);
    worker = w;
    await publishArtifact(bucketOverR2(worker.bucket), dir, 'ev', 'v1');
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it('202 at once; the consumer writes each batch as NDJSON under events/<model>/<date>/<digest>.ndjson; readEvents and the CSV give them back', async () => {
    const batches = [
      [
        { type: 'impression', model: 'ev', item: 'i1', visitor: 'v-1', variant: 'a' },
        { type: 'click', model: 'ev', item: 'i1', visitor: 'v-1', variant: 'a', at: new Date().toISOString() },
      ],
      [{ type: 'rating', model: 'ev', item: 'i2', user: 'u1', value: 4.5 }, { type: 'view', model: 'ev', item: 'i3', user: 'u1' }],
      [{ type: 'impression', model: 'ev', item: 'i1', visitor: 'v-2', variant: 'b' }, { type: 'view', model: 'ev', item: 'i4' }],
    ];
    for (const events of batches) {
      const res = await post({ events });
      expect([res.status, res.status === 202 ? '' : await res.clone().text()]).toEqual([202, '']);
      const body = (await res.json()) as { accepted: number; received: string };
      expect(body.accepted).toBe(events.length);
      expect(Date.parse(body.received)).toBeGreaterThan(0);
    }
    const seen = await pollUntil('6 events stored', stored, (e) => e.length >= 6);
    const events = seen[seen.length - 1];
    expect(events).toHaveLength(6);
    const keys = (await worker.events!.list({ prefix: 'events/ev/' })).objects.map((o) => o.key);
    const today = new Date().toISOString().slice(0, 10);
    for (const k of keys) expect(k).toMatch(new RegExp(`^events/ev/${today}/[0-9a-f]{32}\\.ndjson$`));
    // Each line: the event as sent (numeric ids as strings, absent fields absent), its id and when it was received.
    const byType = (t: string) => events.filter((e) => e.type === t);
    expect(byType('rating')).toEqual([{ id: expect.stringMatching(/:0$/), type: 'rating', model: 'ev', item: 'i2', user: 'u1', value: 4.5, received: expect.any(String) }]);
    expect(byType('view').map((e) => [e.item, e.user ?? null]).sort()).toEqual([['i3', 'u1'], ['i4', null]]);
    expect(new Set(events.map((e) => e.id)).size).toBe(6);

    const x = toInteractions(events);
    expect(x).toMatchObject({ used: 3, impressions: 2, anonymous: 1 });
    expect(x.rows.map((r) => [r.user, r.item, r.value])).toEqual([['u1', 'i2', 4.5], ['u1', 'i3', 3], ['visitor:v-1', 'i1', 4]]);
    expect(ctrByVariant(events)).toEqual([
      { variant: 'a', impressions: 1, clicks: 1, ctr: 1, ci95: wilson(1, 1) },
      { variant: 'b', impressions: 1, clicks: 0, ctr: 0, ci95: wilson(0, 1) },
    ]);
    // train's own loader reads the file: the generic user,item,rating,timestamp CSV.
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'edgerec-events-')), 'ratings.csv');
    await writeInteractionsCsv(file, x.rows);
    const ds = await loadDataset(file);
    expect(ds.userIds).toEqual(['u1', 'visitor:v-1']);
    expect(ds.itemIds).toEqual(['i2', 'i3', 'i1']);
    expect(Array.from(ds.ratings.rating)).toEqual([4.5, 3, 4]);
    expect((await readFile(file, 'utf8')).split('\n')[0]).toBe('user,item,rating,timestamp');

    // An events folder (npm run events -- --save) holds the same objects; the report's online section reads it.
    const folder = await mkdtemp(path.join(tmpdir(), 'edgerec-events-folder-'));
    expect(await saveEvents(bucketOverR2(worker.events!), 'ev', folder)).toBe(keys.length);
    const online = await readOnlineMetrics(folder);
    expect(online).toEqual({ model: 'ev', events: 6, objects: keys.length, duplicates: 0, variants: ctrByVariant(events) });
    const html = onlineSection(online);
    expect(html).toContain('<tr><td>a</td><td>1</td><td>1</td><td>100.00%</td>');
    expect(html).toContain('<tr><td>b</td><td>1</td><td>0</td><td>0.00%</td>');
    await expect(readOnlineMetrics(folder, 'other')).rejects.toThrow(`${folder} has no events of model "other"; it has ev`);
    await expect(readOnlineMetrics(path.join(folder, 'events'))).rejects.toThrow(/is not an events folder: it has no events\/ folder/);
  });

  it('the loop once (what npm start shows): simulated visitors -> events -> CSV -> train -> a published model that knows them', async () => {
    const workDir = await mkdtemp(path.join(tmpdir(), 'edgerec-loop-'));
    const base = (await worker.mf.ready).origin;
    const loop = await runEventsLoop({ base, model: 'ev', eventsBucket: bucketOverR2(worker.events!), modelsBucket: bucketOverR2(worker.bucket), workDir, visitors: 40, log: () => {} });
    // 40 visitors x (6 impressions + 2 clicks + 1 view), all stored; one row per clicked or viewed (visitor, item).
    // The CSV also holds the rows of the events posted before (the first test's): the loop trains on every event.
    const ds = await loadDataset(loop.csv);
    const simulated = ds.userIds.filter((u) => u.startsWith('visitor:demo-v'));
    expect([loop.posted, loop.stored, simulated.length]).toEqual([360, 360, 40]);
    const rowsOf = (u: string) => Array.from(ds.ratings.user).filter((x) => ds.userIds[x] === u).length;
    expect(simulated.map(rowsOf)).toEqual(Array(40).fill(3));
    const res = await worker.fetch(`/v1/models/ev-events/users/${encodeURIComponent('visitor:demo-v0')}/recommendations?k=3`);
    const body = (await res.json()) as { version: string; results: { id: string }[] };
    expect([res.status, body.version]).toEqual([200, loop.published.version]);
    expect(body.results).toHaveLength(3);
  });

  // The 64 KB body limit (413 body_too_large) is the app-wide middleware every POST route shares; worker-queries tests
  // it over a raw socket (a fetch client races the Worker's early answer).
  it('bad events: the JSON envelope with the right 4xx naming the field, and nothing of them is stored', async () => {
    const before = (await stored()).length;
    const ok = { type: 'click', model: 'ev', item: 'i1' };
    const cases: [unknown, number, string, RegExp][] = [
      ['{"events": [', 400, 'bad_json', /not valid JSON/],
      [{ events: [] }, 400, 'bad_field', /body\.events must hold 1 to 100 items, got 0/],
      [{ events: Array(101).fill(ok) }, 400, 'bad_field', /at most|1 to 100 items, got 101/],
      [{ events: [ok], extra: 1 }, 400, 'unknown_field', /no field "extra"/],
      [{ events: [{ ...ok, type: 'purchase' }] }, 400, 'bad_field', /body\.events\[0\]\.type must be one of impression, click, view, rating, got "purchase"/],
      [{ events: [{ type: 'click', model: 'ev' }] }, 400, 'missing_field', /body\.events\[0\]\.item is missing/],
      [{ events: [ok, { ...ok, user: 'u1', visitor: 'v' }] }, 400, 'bad_field', /body\.events\[1\] has both user and visitor/],
      [{ events: [{ ...ok, type: 'rating' }] }, 400, 'missing_field', /body\.events\[0\]\.value is missing/],
      [{ events: [{ ...ok, type: 'rating', value: 9 }] }, 400, 'bad_rating', /body\.events\[0\]\.value must be on the scale of model "ev", 1\.\.5, got 9/],
      [{ events: [{ ...ok, at: '2001-01-01T00:00:00Z' }] }, 400, 'bad_field', /body\.events\[0\]\.at must be a valid time within the last 7 days/],
      [{ events: [{ ...ok, visitor: 'has space' }] }, 400, 'bad_field', /body\.events\[0\]\.visitor must be a visitor id/],
      [{ events: [{ ...ok, variant: 'B!' }] }, 400, 'bad_field', /body\.events\[0\]\.variant must be a variant name/],
      [{ events: [ok, { ...ok, item: 'nope' }] }, 404, 'unknown_item', /^body\.events\[1\]\.item: item "nope" is not in model "ev"$/],
      [{ events: [{ ...ok, model: 'ghost' }] }, 404, 'unknown_model', /model "ghost" is not published/],
      [{ events: [{ ...ok, model: 'Bad Name' }] }, 400, 'bad_field', /body\.events\[0\]\.model must be a model name/],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await post(body);
      const got = (await res.json()) as { error: { code: string; message: string } };
      expect([res.status, got.error.code], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
      expect(Object.keys(got)).toEqual(['error']);
      expect(got.error.message).toMatch(message);
    }
    // A good batch sent after them arrives; none of the bad ones did (the good item i1 of the refused batches neither).
    expect((await post({ events: [{ type: 'view', model: 'ev', item: 'i9', user: 'u2' }] })).status).toBe(202);
    // (The loop test's visitors view i9 too: the sentinel is u2's.)
    const sentinel = (x: StoredEvent) => x.item === 'i9' && x.user === 'u2';
    const seen = await pollUntil('the sentinel stored', stored, (e) => e.some(sentinel));
    const after = seen[seen.length - 1];
    expect(after.length).toBe(before + 1);
    expect(after.filter(sentinel)).toHaveLength(1);
  });

  it('a batch delivered again writes no second object, byte for byte; a regrouped retry repeats lines that readEvents drops by id', async () => {
    const consumer = await worker.mf.getWorker();
    const received = '2026-12-01T10:00:00.000Z';
    const msg = (id: string, item: string) => ({
      id,
      timestamp: new Date(received),
      attempts: 1,
      body: { received, events: [{ type: 'view', model: 'ev', item, user: 'u0' }] } satisfies EventsMessage,
    });
    const prefix = 'events/ev/2026-12-01/';
    const objects = async () => {
      const list = (await worker.events!.list({ prefix })).objects;
      return Promise.all(list.map(async (o) => [o.key, await (await worker.events!.get(o.key))!.text()] as const));
    };
    const first = await consumer.queue(QUEUE, [msg('m-1', 'i5'), msg('m-2', 'i6')]);
    expect(first.outcome).toBe('ok');
    const once = await objects();
    expect(once).toHaveLength(1);
    // The queue redelivers the same messages (lost ack, failed write), in another order: same key, same bytes.
    await consumer.queue(QUEUE, [msg('m-2', 'i6'), msg('m-1', 'i5')]);
    expect(await objects()).toEqual(once);
    expect(once[0][1].trim().split('\n').map((l) => (JSON.parse(l) as StoredEvent).id)).toEqual(['m-1:0', 'm-2:0']);
    // Regrouped with a new message: a second object holds m-1's line again; reading keeps one of each id.
    await consumer.queue(QUEUE, [msg('m-1', 'i5'), msg('m-3', 'i7')]);
    expect(await objects()).toHaveLength(2);
    const read = await readEvents(bucketOverR2(worker.events!), 'ev', { since: '2026-12-01', keys: (await objects()).map(([k]) => k) });
    expect(read.duplicates).toBe(1);
    expect(read.events.map((e) => [e.id, e.item])).toEqual(
      expect.arrayContaining([['m-1:0', 'i5'], ['m-2:0', 'i6'], ['m-3:0', 'i7']]),
    );
    expect(read.events).toHaveLength(3);
  });
});
