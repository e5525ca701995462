// The feedback loop once, as the demo shows it: simulated visitors browse a running Worker (impressions, clicks and
// views through POST /v1/events), the Worker's queue consumer stores them, npm run events' reader pulls them into
// train's CSV, and a model trained on that CSV is published beside the first. Each step is the product's own code.
import path from 'node:path';
import { loadDataset } from '../data/load.js';
import { toInteractions, writeInteractionsCsv } from '../events/interactions.js';
import { readEvents } from '../events/read.js';
import { publishArtifact, type Bucket, type Published } from '../publish/publish.js';
import { trainMfPipeline } from './train-mf.js';

export interface EventsLoopOptions {
  /** The running Worker, e.g. http://localhost:8787. */
  base: string;
  /** The published model the visitors browse. */
  model: string;
  /** Where the events bucket (EVENTS) and the model bucket (MODELS) of that Worker are read and written. */
  eventsBucket: Bucket;
  modelsBucket: Bucket;
  workDir: string;
  visitors?: number;
  seed?: number;
  /** How long to wait for the queue consumer to store every event (it batches for up to 5 s). */
  timeoutMs?: number;
  log: (s: string) => void;
}

export interface EventsLoopResult {
  posted: number;
  stored: number;
  rows: number;
  csv: string;
  /** Published as `<model>-events`. */
  published: Published;
  exampleVisitor: string;
}

const PER_REQUEST = 100;

export async function runEventsLoop(o: EventsLoopOptions): Promise<EventsLoopResult> {
  const popular = await getJson<{ results: { id: string }[] }>(`${o.base}/v1/models/${encodeURIComponent(o.model)}/popular?k=40`);
  const items = popular.results.map((r) => r.id);
  if (items.length < 4) throw new Error(`model ${o.model} lists ${items.length} popular items: too few to simulate visitors`);
  const events = simulatedTraffic(o.model, items, o.visitors ?? 150, o.seed ?? 7);
  const before = (await readEvents(o.eventsBucket, o.model)).events.length;
  for (let at = 0; at < events.length; at += PER_REQUEST) {
    const res = await fetch(`${o.base}/v1/events`, { method: 'POST', body: JSON.stringify({ events: events.slice(at, at + PER_REQUEST) }) });
    if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  o.log(`posted ${events.length} events (impressions, clicks, views) of ${o.visitors ?? 150} simulated visitors to ${o.base}/v1/events`);
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  let read = await readEvents(o.eventsBucket, o.model);
  while (read.events.length < before + events.length) {
    if (Date.now() > deadline) throw new Error(`the queue consumer stored ${read.events.length - before} of ${events.length} events within ${(o.timeoutMs ?? 30_000) / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
    read = await readEvents(o.eventsBucket, o.model);
  }
  const x = toInteractions(read.events);
  const csv = path.join(o.workDir, 'events-ratings.csv');
  await writeInteractionsCsv(csv, x.rows);
  o.log(`pulled ${read.events.length} stored events from ${read.objects} objects into ${csv}: ${x.rows.length} (visitor, item) rows`);
  const dataset = await loadDataset(csv);
  const out = path.join(o.workDir, 'artifacts', `${o.model}-events`);
  const report = await trainMfPipeline({ dataset, split: 'random-80-20', options: { seed: 42 }, quantization: 'q8', out });
  const published = await publishArtifact(o.modelsBucket, out, `${o.model}-events`);
  o.log(`trained mf on them (test RMSE ${report.metrics.rmse.toFixed(3)}) and published ${o.model}-events version ${published.version}`);
  return { posted: events.length, stored: read.events.length - before, rows: x.rows.length, csv, published, exampleVisitor: 'demo-v0' };
}

/**
 * Seeded visitors with a taste: each prefers one half of the popular list, sees six items (mostly from that half),
 * clicks two of them and views one more: enough structure for the trained model's neighbours to follow the halves.
 */
export function simulatedTraffic(model: string, items: readonly string[], visitors: number, seed: number) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const half = Math.floor(items.length / 2);
  const out: { type: 'impression' | 'click' | 'view'; model: string; item: string; visitor: string }[] = [];
  for (let v = 0; v < visitors; v++) {
    const visitor = `demo-v${v}`;
    const from = v % 2 === 0 ? items.slice(0, half) : items.slice(half);
    const shown = new Set<string>();
    while (shown.size < Math.min(6, from.length)) shown.add(rand() < 0.85 ? from[Math.floor(rand() * from.length)] : items[Math.floor(rand() * items.length)]);
    const list = [...shown];
    for (const item of list) out.push({ type: 'impression', model, item, visitor });
    for (const item of list.slice(0, 2)) out.push({ type: 'click', model, item, visitor });
    out.push({ type: 'view', model, item: list[2], visitor });
  }
  return out;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}
