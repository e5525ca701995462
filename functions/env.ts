/** The Worker's bindings, declared once (wrangler.toml). */
export interface Env {
  /** The artifact store: <model>/<version>/{manifest.json,tensors.bin,items.json} and <model>/CURRENT. */
  MODELS: R2Bucket;
  /** Seconds a loaded model trusts its CURRENT pointer before reading it again. */
  CURRENT_TTL_SECONDS?: string;
  /** 'tfjs': score q8 artifacts with tfjs matMul + topk rather than the int8 kernel (functions/engine.ts). */
  EDGEREC_SCORER?: string;
  /** Tensor bytes (MB) the models of one isolate may hold together; least recently used models are evicted past it. */
  MODEL_MEMORY_BUDGET_MB?: string;
  /** Where POST /v1/events puts accepted batches; the Worker's own queue handler consumes them. */
  EVENTS_QUEUE?: Queue<import('../shared/events.js').EventsMessage>;
  /** The events store: events/<model>/<date>/<digest>.ndjson, written by the queue consumer only, read by no route. */
  EVENTS?: R2Bucket;
  /** Requests per client address on POST /v1/events (wrangler.toml [[ratelimits]]). */
  EVENTS_RATE_LIMIT?: RateLimit;
}

export type AppEnv = { Bindings: Env };
