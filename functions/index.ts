// The Worker: a Hono app over the model bucket, and the consumer of its own events queue. Bindings are declared in
// wrangler.toml and typed in env.ts.
import { createApp } from './app.js';
import type { Env } from './env.js';
import { consumeEvents } from './events-consumer.js';

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consumeEvents,
} satisfies ExportedHandler<Env, import('../shared/events.js').EventsMessage>;
