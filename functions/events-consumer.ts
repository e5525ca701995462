// The EVENTS_QUEUE consumer: each delivered batch becomes one NDJSON object per (model, day) in the events bucket.
import { batchDigest, eventKeys, utcDate, type EventsMessage, type StoredEvent } from '../shared/events.js';
import type { Env } from './env.js';

interface Group {
  model: string;
  date: string;
  messages: Message<EventsMessage>[];
  lines: string[];
}

/**
 * Writes the batch and acks what was stored. Nothing is lost and nothing is stored twice:
 * - an object's key is a digest of its model, day and message ids (shared/events.ts batchDigest), and it is written
 *   only if absent (onlyIf etagDoesNotMatch '*'), so a batch delivered again after a failed write or a lost ack
 *   lands on the same key with the same bytes, and the second write is a no-op;
 * - each line carries `id` = <queue message id>:<index>, stable across deliveries, so if the queue regroups retried
 *   messages into a different batch the events CLI drops the repeats by id;
 * - a message is acked only once every object holding its events is written; a failed write retries it (the queue's
 *   max_retries, then its dead-letter queue, wrangler.toml).
 */
export async function consumeEvents(batch: MessageBatch<EventsMessage>, env: Env): Promise<void> {
  const bucket = env.EVENTS;
  if (!bucket) {
    console.error('edgerec: the events consumer has no EVENTS bucket binding: retrying the batch (add [[r2_buckets]] EVENTS to wrangler.toml)');
    batch.retryAll();
    return;
  }
  const groups = new Map<string, Group>();
  // In message-id order, so a redelivered batch produces the same bytes whatever order the queue delivers it in.
  const messages = [...batch.messages].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const msg of messages) {
    const { received, events } = msg.body;
    events.forEach((e, i) => {
      const date = utcDate(received);
      const key = `${e.model}\n${date}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { model: e.model, date, messages: [], lines: [] }));
      if (g.messages[g.messages.length - 1] !== msg) g.messages.push(msg);
      g.lines.push(JSON.stringify({ id: `${msg.id}:${i}`, ...e, received } satisfies StoredEvent));
    });
  }
  const failed = new Set<Message<EventsMessage>>();
  await Promise.all(
    [...groups.values()].map(async (g) => {
      const key = eventKeys.object(g.model, g.date, await batchDigest(g.model, g.date, g.messages.map((m) => m.id)));
      try {
        await bucket.put(key, g.lines.join('\n') + '\n', { onlyIf: { etagDoesNotMatch: '*' }, httpMetadata: { contentType: 'application/x-ndjson' } });
      } catch (e) {
        console.error(`edgerec: writing ${key} failed (its messages will be retried): ${(e as Error).message}`);
        for (const m of g.messages) failed.add(m);
      }
    }),
  );
  for (const msg of messages) {
    if (failed.has(msg)) msg.retry();
    else msg.ack();
  }
}
