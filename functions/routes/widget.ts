import { Hono, type Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { BadRequestError } from '../../shared/errors.js';
import { versionEtag } from '../../shared/etag.js';
import { checkId } from '../../shared/model/ids.js';
import { recommendForUser, similarItems } from '../../shared/model/queries.js';
import { checkModelName } from '../../shared/registry.js';
import type { AppEnv } from '../env.js';
import { cacheControl } from '../middleware/cache.js';
import { withModel } from '../model-store.js';
import { parseK } from '../params.js';
import { cachedAnswer, storeAnswer } from '../widget/edge-cache.js';
import { renderWidget, THEMES, WIDGET_MARKUP_VERSION, type Theme, type WidgetView } from '../widget/render.js';

/** A lower ceiling than the JSON API's 100: it keeps the fragment under 10 KB with titles of ordinary length. */
export const WIDGET_MAX_K = 30;

/** GET /widget/:model/items/:item and /widget/:model/users/:user: the embeddable HTML widget. */
export const widgetRoutes = new Hono<AppEnv>();

widgetRoutes.use(
  '*',
  secureHeaders({
    // Nothing in the fragment loads or runs anything: only its inline <style> is allowed.
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      // Made to be embedded: framing it (instead of embed.js) is allowed; it has no state-changing actions.
      frameAncestors: ['*'],
    },
    xFrameOptions: false,
    // embed.js fetches it cross-origin; same-origin (the default) would block it for no-cors embedders.
    crossOriginResourcePolicy: 'cross-origin',
  }),
);

widgetRoutes.get('/:model/items/:item', (c) => serveWidget(c, 'item', c.req.param('item')));
widgetRoutes.get('/:model/users/:user', (c) => serveWidget(c, 'user', c.req.param('user')));

function parseTheme(raw: string | undefined): Theme | undefined {
  if (raw === undefined) return undefined;
  if ((THEMES as readonly string[]).includes(raw)) return raw as Theme;
  throw new BadRequestError(`theme must be ${THEMES.join(' or ')}, got ${JSON.stringify(raw.slice(0, 40))}`, 'bad_theme');
}

async function serveWidget(c: Context<AppEnv>, kind: 'item' | 'user', id: string): Promise<Response> {
  const name = checkModelName(c.req.param('model')!);
  checkId(kind, id);
  const k = parseK(c.req.query('k'));
  if (k > WIDGET_MAX_K) {
    throw new BadRequestError(`k must be an integer from 1 to ${WIDGET_MAX_K} for the widget, got ${k}: use the JSON API for longer lists`, 'bad_k');
  }
  const theme = parseTheme(c.req.query('theme'));
  const url = new URL(c.req.url);
  const search = `?k=${k}${theme ? `&theme=${theme}` : ''}`;
  const key = `${url.origin}${url.pathname}${search}`;

  const hit = await cachedAnswer(key);
  if (hit) {
    hit.headers.set('X-Edgerec-Cache', 'hit');
    return hit;
  }

  const hrefOf = (itemId: string) =>
    `${url.origin}/widget/${encodeURIComponent(name)}/items/${encodeURIComponent(itemId)}${search}`;
  const { version, view } = await withModel(c.env, name, (m) => {
    const i = kind === 'item' ? m.items.indexOf(id, name) : -1;
    const scored = kind === 'item' ? similarItems(m, i, k) : recommendForUser(m, m.users.indexOf(id, name), k, true);
    const items = scored.map((s) => {
      const meta = m.itemMeta[s.index];
      return { id: meta.id, title: meta.title, href: hrefOf(meta.id) };
    });
    const heading = kind === 'item' ? `Similar to ${m.itemMeta[i].title}` : 'Recommended for you';
    const view: WidgetView = { heading, items, theme };
    return { version: m.version, view };
  });
  c.set('modelVersion', version);
  const res = new Response(await renderWidget(view), {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': cacheControl(c.env),
      ETag: versionEtag({ version, method: c.req.method, path: url.pathname, search, salt: WIDGET_MARKUP_VERSION }),
      Vary: 'Accept-Encoding',
    },
  });
  storeAnswer(c, key, res);
  res.headers.set('X-Edgerec-Cache', 'miss');
  return res;
}
