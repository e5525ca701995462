import * as tf from '@tensorflow/tfjs-core';
import { Hono } from 'hono';
import { EdgerecError } from '../shared/errors.js';
import type { AppEnv } from './env.js';
import { loadedModels } from './model-store.js';
import { catalogRoutes } from './routes/catalog.js';
import { queryRoutes } from './routes/queries.js';
import { backendInfo, ensureWasmBackend } from './tf-backend.js';

export function createApp() {
  const app = new Hono<AppEnv>();

  // Once per isolate: a real kernel, so a backend whose kernels do not run fails health and not a query.
  let selfTest: number[][] | undefined;
  app.get('/healthz', async (c) => {
    await ensureWasmBackend();
    selfTest ??= tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).arraySync() as number[][]);
    return c.json({ ok: true, ...backendInfo(), selfTest, models: loadedModels() });
  });
  app.route('/v1/models', catalogRoutes);
  app.route('/v1/models', queryRoutes);

  app.notFound((c) =>
    c.json({ error: { code: 'no_route', message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}: see the README's API table` } }, 404),
  );
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
