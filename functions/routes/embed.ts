import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { fnv1a64 } from '../../shared/etag.js';
import type { AppEnv } from '../env.js';
import { cacheControl } from '../middleware/cache.js';
import { EMBED_SCRIPT } from '../widget/embed-script.js';

/** GET /embed.js: the loader host pages include with a <script> tag (see the README for the snippet). */
export const embedRoutes = new Hono<AppEnv>();

const ETAG = `"${fnv1a64(EMBED_SCRIPT)}"`;

embedRoutes.get(
  '/embed.js',
  // A cross-origin <script src> is a no-cors load: Cross-Origin-Resource-Policy same-origin would block it.
  secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }),
  (c) =>
    c.body(EMBED_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': cacheControl(c.env),
      ETag: ETAG,
    }),
);
