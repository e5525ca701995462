import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../env.js';

const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'];

const corsForReads = cors({
  origin: '*',
  allowMethods: READ_METHODS,
  // A cross-origin caller can only revalidate (If-None-Match) if it can read the tag.
  exposeHeaders: ['ETag'],
  maxAge: 86400,
});

/**
 * CORS for reads only: any origin may GET (and preflight a GET), so embed.js on any site can fetch the widget and
 * pages can call the JSON API. Other methods get no CORS headers at all, so a browser on another origin cannot
 * read the answers of POST routes.
 */
export function readOnlyCors(): MiddlewareHandler<AppEnv> {
  return (c, next) => (READ_METHODS.includes(c.req.method) ? corsForReads(c, next) : next());
}
