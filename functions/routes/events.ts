import { Hono, type Context } from 'hono';
import { eventsAnswer, type EventsAccepted } from '../../shared/api/answers.js';
import { BadRequestError, EdgerecError } from '../../shared/errors.js';
import { EVENT_TYPES, MAX_EVENTS_PER_REQUEST, VARIANT_NAME, VISITOR_ID, type EventsMessage, type FeedbackEvent } from '../../shared/events.js';
import type { AppEnv, Env } from '../env.js';
import { background } from '../model-store.js';
import { readBody } from '../validation/body.js';
import { indexAt } from '../validation/lookup.js';
import type { RouteSpec } from '../validation/openapi.js';
import { array, id, number, object, oneOf, optional, text } from '../../shared/api/schema.js';
import { withVariantModel } from '../variant-model.js';

/**
 * POST /v1/events: the Worker's one write path. Browsers call it with no secret (like any analytics beacon), so it
 * only ever appends: events are validated here, handed to the EVENTS_QUEUE and stored by the queue consumer
 * (functions/events-consumer.ts) in the events bucket, which no route reads.
 */
export const eventRoutes = new Hono<AppEnv>();

/** How far the client's `at` may lie from the Worker's clock: a beacon is sent within seconds of what it reports. */
const AT_PAST_MS = 7 * 24 * 3600 * 1000;
const AT_FUTURE_MS = 10 * 60 * 1000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

const eventSchema = object({
  type: oneOf(EVENT_TYPES, 'impression: the item was shown; click: a link to it was followed; view: its page was opened; rating: the user rated it (value)'),
  model: text({ pattern: /^[a-z0-9][a-z0-9_-]{0,63}$/, expected: 'a model name (1..64 of a-z, 0-9, - or _)', maxLength: 64, description: 'the published model the event is about' }),
  item: id('item'),
  user: optional<string | undefined>(id('user', 'a user id as in the dataset (give user or visitor, not both)'), undefined),
  visitor: optional<string | undefined>(text({ pattern: VISITOR_ID, expected: 'a visitor id of 1..128 printable ASCII characters without spaces', maxLength: 128, description: "the host page's own id for an anonymous visitor" }), undefined),
  value: optional<number | undefined>(number({ minimum: -1e6, maximum: 1e6, description: "rating: the rating on the model's scale (required); other types: optional, e.g. the position shown" }), undefined),
  variant: optional<string | undefined>(text({ pattern: VARIANT_NAME, expected: 'a variant name (1..32 of a-z, 0-9, - or _, as answers name it)', maxLength: 32, description: 'the variant the answer named (A/B splits)' }), undefined),
  at: optional<string | undefined>(text({ pattern: ISO_TIME, expected: 'an ISO 8601 time such as 2026-12-02T10:00:00Z', maxLength: 40, description: "when it happened, by the client's clock" }), undefined),
});

const body = object(
  { events: array(eventSchema, { minItems: 1, maxItems: MAX_EVENTS_PER_REQUEST, description: `1..${MAX_EVENTS_PER_REQUEST} events` }) },
  { example: { events: [{ type: 'impression', model: 'demo', item: '50', visitor: 'v-8f3a', variant: 'b' }, { type: 'click', model: 'demo', item: '50', visitor: 'v-8f3a', variant: 'b' }] } },
);

export const eventsSpec: RouteSpec = {
  method: 'post',
  path: '/v1/events',
  operationId: 'postEvents',
  summary: `feedback (impressions, clicks, views, ratings): 1..${MAX_EVENTS_PER_REQUEST} events, validated, queued and answered 202 at once`,
  description:
    'Every event names a published model and an item it has; ratings carry a value on its scale. A bad event refuses the ' +
    'whole request (nothing is stored) with the field that is wrong. Nothing stored is readable through the Worker.',
  body,
  response: { status: 202, description: 'accepted: queued for storage', schema: eventsAnswer, example: { accepted: 2, received: '2026-12-02T10:00:00.000Z' } },
  errors: [400, 404, 413, 429, 503],
};

class TooManyRequestsError extends EdgerecError {
  constructor(message: string) {
    super(429, 'rate_limited', message);
  }
}

eventRoutes.post('/', async (c) => {
  await rateLimit(c);
  const { events } = await readBody(c, body);
  const queue = c.env.EVENTS_QUEUE;
  if (!queue) throw new EdgerecError(503, 'events_unavailable', 'this Worker has no EVENTS_QUEUE binding: add the [[queues.producers]] of wrangler.toml');
  const received = new Date();
  events.forEach((e, j) => checkEvent(e, `body.events[${j}]`, received.getTime()));
  await checkAgainstModels(c, events);
  const message: EventsMessage = { received: received.toISOString(), events: events.map(compact) };
  try {
    await queue.send(message, { contentType: 'json' });
  } catch (e) {
    console.error(`edgerec: EVENTS_QUEUE.send failed: ${(e as Error).message}`);
    throw new EdgerecError(503, 'events_unavailable', 'the events queue did not accept the batch; nothing was stored: send it again shortly');
  }
  const accepted: EventsAccepted = { accepted: events.length, received: message.received };
  return c.json(accepted, 202);
});

/** Per client address, through the Workers rate limiting binding (wrangler.toml [[ratelimits]]); absent: no limit. */
async function rateLimit(c: Context<AppEnv>): Promise<void> {
  const limiter = c.env.EVENTS_RATE_LIMIT;
  if (!limiter) return;
  const key = c.req.header('CF-Connecting-IP') ?? 'unknown';
  const { success } = await limiter.limit({ key });
  if (!success) {
    c.header('Retry-After', '10');
    throw new TooManyRequestsError('too many event requests from this address: send fewer, larger batches (up to 100 events each) and retry after 10 s');
  }
}

/** What the schema cannot say: user or visitor, not both; ratings have a value; `at` near the Worker's clock. */
function checkEvent(e: FeedbackEvent, path: string, now: number): void {
  if (e.user !== undefined && e.visitor !== undefined) throw new BadRequestError(`${path} has both user and visitor: give one (a known user's id, or the page's visitor id)`, 'bad_field');
  if (e.type === 'rating' && e.value === undefined) throw new BadRequestError(`${path}.value is missing: a rating event carries the rating on the model's scale`, 'missing_field');
  if (e.at !== undefined) {
    const t = Date.parse(e.at);
    if (!Number.isFinite(t) || t < now - AT_PAST_MS || t > now + AT_FUTURE_MS) {
      throw new BadRequestError(`${path}.at must be a valid time within the last 7 days (and at most 10 minutes ahead of the Worker's clock), got ${JSON.stringify(e.at)}`, 'bad_field');
    }
  }
}

/** Each event's model is published and knows its item (in the version its variant names); ratings are on its scale. */
async function checkAgainstModels(c: Context<AppEnv>, events: FeedbackEvent[]): Promise<void> {
  const groups = new Map<string, number[]>();
  events.forEach((e, j) => {
    const key = `${e.model}\n${e.variant ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), j]);
  });
  for (const indices of groups.values()) {
    const { model: name, variant } = events[indices[0]];
    await withVariantModel(c.env as Env, name, { variant }, (m) => {
      for (const j of indices) {
        const e = events[j];
        indexAt(m.items, e.item, name, `body.events[${j}].item`);
        const range = m.ratingRange;
        if (e.type === 'rating' && range && (e.value! < range[0] || e.value! > range[1])) {
          throw new BadRequestError(`body.events[${j}].value must be on the scale of model ${JSON.stringify(name)}, ${range[0]}..${range[1]}, got ${e.value}`, 'bad_rating');
        }
      }
    }, background(c));
  }
}

/** The event without absent fields (optional() fills them with undefined). */
function compact(e: FeedbackEvent): FeedbackEvent {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as FeedbackEvent;
}
