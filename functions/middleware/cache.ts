import type { Context, MiddlewareHandler } from 'hono';
import { etagMatches, fnv1a64, versionEtag } from '../../shared/etag.js';
import type { AppEnv } from '../env.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The model version an answer was computed from: its ETag is derived from it (see versionEtag). */
    modelVersion: string;
  }
}

declare module '../env.js' {
  interface Env {
    /** Cache-Control max-age (browsers), seconds. */
    CACHE_MAX_AGE?: string;
    /** Cache-Control s-maxage (shared caches and the widget's Workers Cache API entry), seconds. */
    CACHE_S_MAXAGE?: string;
    /** Cache-Control stale-while-revalidate, seconds. */
    CACHE_STALE_WHILE_REVALIDATE?: string;
  }
}

export const CACHE_DEFAULTS = { maxAge: 60, sMaxAge: 300, staleWhileRevalidate: 600 } as const;

/** Paths whose successful GET answers may be cached; everything else (e.g. /healthz) is no-store. */
const CACHEABLE = /^\/(?:v1|widget)\/|^\/(?:embed\.js|openapi\.json)$/;

/** Headers a 304 keeps (RFC 9110 15.4.5), plus CORS so a cross-origin revalidation can be read. */
const RETAINED_304 = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary']);

let warned = false;

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (/^\d{1,9}$/.test(raw)) return Number(raw);
  // A typo in wrangler.toml must not take answers down: serve with the default and say so once per isolate.
  if (!warned) console.error(`edgerec: [vars] ${name} = ${JSON.stringify(raw)} is not a whole number of seconds; using ${fallback}`);
  warned = true;
  return fallback;
}

/** `public, max-age=…, s-maxage=…, stale-while-revalidate=…` from wrangler.toml [vars] (defaults: 60, 300, 600). */
export function cacheControl(env: AppEnv['Bindings']): string {
  const maxAge = seconds('CACHE_MAX_AGE', env.CACHE_MAX_AGE, CACHE_DEFAULTS.maxAge);
  const sMaxAge = seconds('CACHE_S_MAXAGE', env.CACHE_S_MAXAGE, CACHE_DEFAULTS.sMaxAge);
  const swr = seconds('CACHE_STALE_WHILE_REVALIDATE', env.CACHE_STALE_WHILE_REVALIDATE, CACHE_DEFAULTS.staleWhileRevalidate);
  return `public, max-age=${maxAge}, s-maxage=${sMaxAge}, stale-while-revalidate=${swr}`;
}

/** The ETag of an answer computed from `version` for this context's request. */
export function etagFor(c: Context, version: string, salt?: string): string {
  const url = new URL(c.req.url);
  return versionEtag({ version, method: c.req.method, path: url.pathname, search: url.search, salt });
}

/**
 * HTTP caching for every answer:
 * - successful GET/HEAD under /v1/ and /widget/, and /embed.js, /openapi.json: Cache-Control from [vars], Vary, and an
 *   ETag from the model version the route recorded with c.set('modelVersion', …) (routes that answer from no model,
 *   such as GET /v1/models or /openapi.json, get a hash of their body); If-None-Match that matches -> 304, no body;
 * - errors (any method), and every other GET answer (/healthz, redirects): Cache-Control: no-store.
 * A handler that set Cache-Control or ETag itself (the widget, served from the Cache API) keeps them.
 */
export function httpCache(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const res = c.res;
    if (res.status >= 400) {
      res.headers.set('Cache-Control', 'no-store');
      res.headers.delete('ETag');
      return;
    }
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') return;
    if (res.status !== 200 || !CACHEABLE.test(new URL(c.req.url).pathname)) {
      if (!res.headers.has('Cache-Control')) res.headers.set('Cache-Control', 'no-store');
      return;
    }
    if (!res.headers.has('Cache-Control')) res.headers.set('Cache-Control', cacheControl(c.env));
    if (!res.headers.has('Vary')) res.headers.set('Vary', 'Accept-Encoding');
    let etag = res.headers.get('ETag');
    if (!etag) {
      const version = c.get('modelVersion');
      etag = version ? etagFor(c, version) : `"${fnv1a64(await res.clone().text())}"`;
      res.headers.set('ETag', etag);
    }
    if (etagMatches(etag, c.req.header('If-None-Match'))) {
      const headers = new Headers();
      res.headers.forEach((v, k) => {
        if (RETAINED_304.has(k) || k.startsWith('access-control-')) headers.set(k, v);
      });
      await res.body?.cancel();
      // Reset first: Hono's c.res setter would otherwise copy every header of the 200 onto the 304.
      c.res = undefined;
      c.res = new Response(null, { status: 304, headers });
    }
  };
}
