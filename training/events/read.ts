// Reading the events bucket back (npm run events): the NDJSON objects the Worker's queue consumer wrote.
import { eventKeys, parseStoredEvent, type StoredEvent } from '../../shared/events.js';
import { checkModelName } from '../../shared/registry.js';
import type { Bucket } from '../publish/publish.js';
import { UsageError } from '../options.js';

export interface EventsRead {
  events: StoredEvent[];
  /** Objects read. */
  objects: number;
  /** Lines dropped because an earlier line had the same id (a retried message the queue regrouped). */
  duplicates: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A --since value: a UTC date YYYY-MM-DD. */
export function checkSince(since: string | undefined): string | undefined {
  if (since !== undefined && (!DATE.test(since) || Number.isNaN(Date.parse(`${since}T00:00:00Z`)))) {
    throw new UsageError(`--since must be a date YYYY-MM-DD (UTC, the day events were received), got ${JSON.stringify(since)}`);
  }
  return since;
}

/** The keys of `model`'s event objects received on or after `since`, in key order (listed, or filtered from `keys`). */
export async function eventObjectKeys(bucket: Bucket, model: string, opts: { since?: string; keys?: string[] } = {}): Promise<string[]> {
  checkModelName(model);
  const prefix = eventKeys.prefix(model);
  let keys = opts.keys;
  if (!keys) {
    if (!bucket.list) throw new UsageError('this bucket cannot be listed (wrangler has no R2 list command): pass --keys <file> with the object keys, one a line');
    keys = await bucket.list(prefix);
  }
  return keys
    .filter((k) => k.startsWith(prefix) && k.endsWith('.ndjson'))
    .filter((k) => !opts.since || k.slice(prefix.length, prefix.length + 10) >= opts.since!)
    .sort();
}

/**
 * Every stored event of `model` received on or after `since` (a UTC date), in key order then line order, each id
 * once. `keys` replaces listing (the remote bucket cannot list: the keys come from an S3 listing instead).
 * A line that is not an event stops with the object key and line number: the store is written by the Worker only.
 */
export async function readEvents(bucket: Bucket, model: string, opts: { since?: string; keys?: string[] } = {}): Promise<EventsRead> {
  const wanted = await eventObjectKeys(bucket, model, opts);
  const seen = new Set<string>();
  const events: StoredEvent[] = [];
  let duplicates = 0;
  for (const key of wanted) {
    const data = await bucket.get(key);
    if (!data) throw new Error(`${key} is listed but could not be read`);
    const lines = new TextDecoder().decode(data).split('\n');
    lines.forEach((line, n) => {
      if (line.trim() === '') return;
      let e: StoredEvent;
      try {
        e = parseStoredEvent(line);
      } catch (err) {
        throw new Error(`${key} line ${n + 1}: ${(err as Error).message}`);
      }
      if (seen.has(e.id)) return void duplicates++;
      seen.add(e.id);
      events.push(e);
    });
  }
  return { events, objects: wanted.length, duplicates };
}
