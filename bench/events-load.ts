// Events under load and the memory cost of a split, in workerd through Miniflare (npx tsx bench/events-load.ts).
//   1. POST /v1/events with autocannon at 1 and 4 connections on loopback, 10 events per request, 3,000 requests;
//      then waits for the queue consumer and counts what is in the events bucket: events in = events stored.
//   2. Two q8 versions of a 20,000 x 64 catalogue under a 50/50 split: the model store's resident bytes with one
//      version (no split) and with both (a user of each variant asked once): the split's memory cost.
// Prints one JSON object. Not part of npm run bench (its parts do not run a queue); timings are this machine's.
import path from 'node:path';
import autocannon from 'autocannon';
import { assignVariant } from '../shared/split.js';
import { readEvents } from '../training/events/read.js';
import { bucketOverR2 } from '../training/publish/local-bucket.js';
import { publishArtifact } from '../training/publish/publish.js';
import { writeSplit } from '../training/publish/split-ops.js';
import { writeHandmadeArtifact } from '../test/helpers/handmade-artifact.js';
import { swapPair } from '../test/helpers/robust-models.js';
import { buildWorkerBundle, REPO_ROOT, startWorker, type StartedWorker } from '../test/helpers/worker.js';

const DIST = path.join(REPO_ROOT, '.wrangler/bench-events-dist');
// A fixed number of requests (not a duration): autocannon stops a timed run with one request per connection in
// flight, which the Worker accepts but autocannon does not count, so only a fixed amount makes in = stored exact.
const REQUESTS = Number(process.env.EDGEREC_EVENTS_REQUESTS ?? 3000);
const PER_REQUEST = 10;

function body(model: string): string {
  const events = Array.from({ length: PER_REQUEST }, (_, i) => ({ type: i % 5 === 0 ? 'click' : 'impression', model, item: `i${i}`, visitor: 'bench-visitor', variant: i % 2 ? 'a' : 'b' }));
  return JSON.stringify({ events });
}

async function load(worker: StartedWorker, model: string, connections: number) {
  const url = (await worker.mf.ready).origin;
  const before = (await readEvents(bucketOverR2(worker.events!), model)).events.length;
  const result = await new Promise<{ duration: number; '2xx': number; non2xx: number; errors: number }>((resolve, reject) =>
    autocannon({ url: `${url}/v1/events`, method: 'POST', body: body(model), headers: { 'content-type': 'text/plain' }, connections, amount: REQUESTS }, (err, r) => (err ? reject(err) : resolve(r))),
  );
  const sent = result['2xx'] * PER_REQUEST;
  // The consumer drains the queue after the load; a last partial batch waits max_batch_timeout (5 s). Stop when all
  // arrived, or when nothing new arrived for 15 s (then whatever is missing counts as lost).
  let stored = before;
  let grewAt = performance.now();
  const t0 = performance.now();
  while (stored - before < sent && performance.now() - grewAt < 15_000) {
    await new Promise((r) => setTimeout(r, 500));
    const now = (await readEvents(bucketOverR2(worker.events!), model)).events.length;
    if (now !== stored) grewAt = performance.now();
    stored = now;
  }
  const inStore = stored - before;
  return {
    connections,
    seconds: result.duration,
    requests2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    eventsIn: sent,
    eventsStored: inStore,
    lost: sent - inStore,
    eventsPerSecond: Math.round(sent / result.duration),
    drainSeconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

async function splitMemory() {
  const worker = await startWorker({ distDir: DIST });
  try {
    const models = swapPair({ items: 20_000, users: 200, dim: 64 }).map((m) => ({ ...m, quantization: 'q8' as const }));
    const dirs = await Promise.all(models.map((m) => writeHandmadeArtifact(m)));
    const bucket = bucketOverR2(worker.bucket);
    const v1 = (await publishArtifact(bucket, dirs[0], 'ab', 'v1')).version;
    await publishArtifact(bucket, dirs[1], 'ab', 'v2');
    await bucket.put('ab/CURRENT', v1);
    const health = async () => ((await (await worker.fetch('/healthz')).json()) as { modelMemory: { residentBytes: number; budgetBytes: number } }).modelMemory;
    await worker.fetch('/v1/models/ab/users/u0/recommendations?k=5').then((r) => r.arrayBuffer());
    const one = await health();
    const written = await writeSplit(bucket, 'ab', [{ name: 'a', version: 'v1', weight: 50 }, { name: 'b', version: 'v2', weight: 50 }], { budgetBytes: one.budgetBytes, salt: 'bench' });
    // A fresh Worker reads the split with CURRENT on its first load; then one user of each variant.
    await worker.dispose();
    const w2 = await startWorker({ distDir: DIST, r2Persist: false });
    const b2 = bucketOverR2(w2.bucket);
    await publishArtifact(b2, dirs[0], 'ab', 'v1');
    await publishArtifact(b2, dirs[1], 'ab', 'v2');
    await b2.put('ab/CURRENT', 'v1');
    await b2.put('ab/SPLIT', JSON.stringify(written.split));
    const users = Array.from({ length: 200 }, (_, u) => `u${u}`);
    for (const name of ['a', 'b']) {
      const user = users.find((u) => assignVariant(written.split, 'ab', { user: u }).name === name)!;
      const a = (await (await w2.fetch(`/v1/models/ab/users/${user}/recommendations?k=5`)).json()) as { variant: string };
      if (a.variant !== name) throw new Error(`expected variant ${name}, got ${JSON.stringify(a)}`);
    }
    const both = ((await (await w2.fetch('/healthz')).json()) as { modelMemory: { residentBytes: number } }).modelMemory;
    await w2.dispose();
    return { catalogue: '20,000 items x 64, q8, 200 users', oneVersionBytes: one.residentBytes, splitBytes: both.residentBytes, cliMeasured: written.memory, budgetBytes: one.budgetBytes };
  } finally {
    await worker.dispose().catch(() => {});
  }
}

const meta = await buildWorkerBundle(DIST);
const worker = await startWorker({ distDir: DIST, rateLimits: { EVENTS_RATE_LIMIT: 1e9 } });
try {
  const dir = await writeHandmadeArtifact(swapPair({ items: 20, users: 3, dim: 4 })[0]);
  await publishArtifact(bucketOverR2(worker.bucket), dir, 'load', 'v1');
  const runs = [];
  for (const c of [1, 4]) runs.push(await load(worker, 'load', c));
  const memory = await splitMemory();
  process.stdout.write(JSON.stringify({ bundleBytes: meta.bundleBytes, eventsPerRequest: PER_REQUEST, runs, split: memory }, null, 2) + '\n');
} finally {
  await worker.dispose();
}
