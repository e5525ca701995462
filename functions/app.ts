import * as tf from '@tensorflow/tfjs-core';
import { Hono } from 'hono';
import type { Health } from '../shared/api/answers.js';
import { EdgerecError } from '../shared/errors.js';
import type { AppEnv } from './env.js';
import { httpCache } from './middleware/cache.js';
import { readOnlyCors } from './middleware/read-cors.js';
import { loadedModels, modelMemory } from './model-store.js';
import { arithmeticRoutes } from './routes/arithmetic.js';
import { catalogRoutes } from './routes/catalog.js';
import { embedRoutes } from './routes/embed.js';
import { eventRoutes } from './routes/events.js';
import { exampleRoutes } from './routes/examples.js';
import { openApiRoutes } from './routes/openapi.js';
import { predictRoutes } from './routes/predict.js';
import { queryRoutes } from './routes/queries.js';
import { recommendationRoutes } from './routes/recommendations.js';
import { tagRoutes } from './routes/tags.js';
import { widgetRoutes } from './routes/widget.js';
import { backendInfo, ensureWasmBackend, tfReady } from './tf-backend.js';
import { limitBody } from './validation/body.js';
import { refusedSplits } from './variant-model.js';

export function createApp() {
  const app = new Hono<AppEnv>();
  // Cache-Control / ETag / 304 on GET answers, no-store on errors and /healthz (functions/middleware/cache.ts).
  app.use('*', httpCache());
  app.use('/v1/*', readOnlyCors());
  app.use('/widget/*', readOnlyCors());
  app.use('/embed.js', readOnlyCors());
  // Every POST body: 413 in the JSON envelope past 64 KB (functions/validation/body.ts).
  app.use('*', limitBody);

  // Once per isolate: a real kernel, so a backend whose kernels do not run fails health and not a query. tfjs starts
  // only when something needs it (functions/tf-backend.ts tfReady): /healthz?tfjs starts it to check it.
  let selfTest: number[][] | undefined;
  app.get('/healthz', async (c) => {
    if (c.req.query('tfjs') !== undefined) await ensureWasmBackend();
    if (tfReady()) selfTest ??= tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).arraySync() as number[][]);
    // Tensors resident in the backend: after a swap settles they are the live versions' alone (the old is disposed).
    const { numTensors, numBytes } = tfReady() ? tf.memory() : { numTensors: 0, numBytes: 0 };
    // modelMemory: MODEL_MEMORY_BUDGET_MB in bytes, the models' tensor bytes held against it (the sum of the models'
    // residentBytes), the most ever held at once (a swap holds two versions for a moment) and evictions so far.
    const health: Health = { ok: true, ...backendInfo(), selfTest: selfTest ?? null, memory: { numTensors, numBytes }, modelMemory: modelMemory(c.env), models: loadedModels(), ...splitsView() };
    return c.json(health);
  });
  app.route('/v1/models', catalogRoutes);
  app.route('/v1/models', queryRoutes);
  app.route('/v1/models', recommendationRoutes);
  app.route('/v1/models', tagRoutes);
  app.route('/v1/models', arithmeticRoutes);
  app.route('/v1/models', exampleRoutes);
  app.route('/v1/models', predictRoutes);
  app.route('/v1/events', eventRoutes);
  app.route('/', openApiRoutes(() => app.routes));
  app.route('/widget', widgetRoutes);
  app.route('/', embedRoutes);

  // A path that exists for other methods is a 405 naming them (Allow), not a 404: GET on a POST route says so.
  let allowed: ((path: string) => string[]) | undefined;
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    allowed ??= allowedMethods(app.routes);
    const methods = allowed(path);
    if (methods.length) {
      c.header('Allow', methods.join(', '));
      return c.json(
        { error: { code: 'method_not_allowed', message: `${c.req.method} is not allowed on ${clip(path)}: use ${methods.join(' or ')} (see GET /openapi.json)` } },
        405,
      );
    }
    return c.json({ error: { code: 'no_route', message: `no route for ${c.req.method} ${clip(path)}: see GET /openapi.json` } }, 404);
  });
  app.onError((err, c) => {
    if (err instanceof EdgerecError && err.status !== 500) {
      return c.json({ error: { code: err.code, message: err.message } }, err.status);
    }
    // Unknown failures are logged here and answered generically: no stack traces to clients.
    console.error('edgerec: unhandled error', err);
    return c.json({ error: { code: 'internal', message: 'internal error; see the Worker logs' } }, 500);
  });
  return app;
}

/** Splits this isolate refused (a variant that could not be resident), only when there are any. */
function splitsView() {
  const refused = refusedSplits();
  return refused.length ? { refusedSplits: refused } : {};
}

/** For a path, the methods some registered route answers it with (HEAD beside GET), from Hono's route table. */
function allowedMethods(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  const table = routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({ method: r.method, re: new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}/?$`) }));
  return (path) => {
    const methods = new Set(table.filter((r) => r.re.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/** Echo at most 200 characters of a client's path: the message must not grow with whatever was sent. */
function clip(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}... (${path.length} characters)` : path;
}
