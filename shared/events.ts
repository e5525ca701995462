// Feedback events: what POST /v1/events accepts, what the queue consumer stores in the events bucket, and how
// the events CLI reads it back. One contract, two consumers (functions/ writes, training/ reads).
import { sha256Hex } from './artifact/sha256.js';

export const EVENT_TYPES = ['impression', 'click', 'view', 'rating'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The most events one POST may carry: a page's worth of impressions and clicks, well under the 64 KB body limit. */
export const MAX_EVENTS_PER_REQUEST = 100;

/** Variant names (a split's `variants[].name`, an event's `variant`): short, URL- and key-safe. */
export const VARIANT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Visitor ids come from host pages: printable ASCII without spaces, bounded. */
export const VISITOR_ID = /^[\x21-\x7e]{1,128}$/;

/** An event as validated at the edge (ids as strings). */
export interface FeedbackEvent {
  type: EventType;
  model: string;
  item: string;
  user?: string;
  visitor?: string;
  value?: number;
  variant?: string;
  /** When it happened, by the client's clock (ISO 8601), if it said. */
  at?: string;
}

/** One queue message: one accepted request's events and when the Worker received them. */
export interface EventsMessage {
  received: string;
  events: FeedbackEvent[];
}

/** One NDJSON line of a stored object: the event, its id (queue message id : index) and when it was received. */
export interface StoredEvent extends FeedbackEvent {
  id: string;
  received: string;
}

/** Keys in the events bucket: events/<model>/<YYYY-MM-DD of receipt, UTC>/<digest>.ndjson, never overwritten with other content. */
export const eventKeys = {
  prefix: (model: string) => `events/${model}/`,
  day: (model: string, date: string) => `events/${model}/${date}/`,
  object: (model: string, date: string, digest: string) => `events/${model}/${date}/${digest}.ndjson`,
};

/** The UTC date (YYYY-MM-DD) of an ISO time. */
export const utcDate = (iso: string) => iso.slice(0, 10);

/**
 * The name of the object holding these queue messages' events: a digest of the model, the day and the sorted message
 * ids. A batch delivered again (a retry after a failed write or a lost ack) has the same messages, so it is written
 * to the same key with the same bytes instead of a second object.
 */
export async function batchDigest(model: string, date: string, messageIds: readonly string[]): Promise<string> {
  const text = [model, date, ...[...messageIds].sort()].join('\n');
  return (await sha256Hex(new TextEncoder().encode(text))).slice(0, 32);
}

/** Parses one stored line; throws naming what is wrong (the CLI adds the object key and line number). */
export function parseStoredEvent(line: string): StoredEvent {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  const e = v as Partial<StoredEvent> | null;
  if (!e || typeof e !== 'object') throw new Error('not an event object');
  for (const f of ['id', 'model', 'item', 'received'] as const) if (typeof e[f] !== 'string' || !e[f]) throw new Error(`field ${f} is missing or not a string`);
  if (!(EVENT_TYPES as readonly string[]).includes(e.type as string)) throw new Error(`type ${JSON.stringify(e.type)} is not one of ${EVENT_TYPES.join(', ')}`);
  if (e.value !== undefined && (typeof e.value !== 'number' || !Number.isFinite(e.value))) throw new Error(`value ${JSON.stringify(e.value)} is not a finite number`);
  return e as StoredEvent;
}
