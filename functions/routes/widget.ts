import { Hono, type Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { BadRequestError } from '../../shared/errors.js';
import { versionEtag } from '../../shared/etag.js';
import { explain, type Reason } from '../../shared/model/explain.js';
import { checkId } from '../../shared/model/ids.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { popularItems } from '../../shared/model/popular.js';
import { recommendForUser, similarItems, type Scored } from '../../shared/model/queries.js';
import { recommendForItems } from '../../shared/model/visitor.js';
import { requireInteractions } from './recommendations.js';
import { checkModelName } from '../../shared/registry.js';
import type { AppEnv } from '../env.js';
import { answerTag, requestUnit, versionView, withRequestModel } from '../variant-model.js';
import { cacheControl } from '../middleware/cache.js';
import { parseK } from '../params.js';
import { cachedAnswer, storeAnswer } from '../widget/edge-cache.js';
import { renderWidget, THEMES, WIDGET_MARKUP_VERSION, type Theme, type WidgetView } from '../widget/render.js';

/** A lower ceiling than the JSON API's 100: it keeps the fragment under 10 KB with titles of ordinary length. */
export const WIDGET_MAX_K = 30;

/** How many item ids a visitor's history may list (embed.js keeps the 20 most recent). */
export const WIDGET_MAX_HISTORY = 20;

export const POPULAR_HEADING = 'Popular';
export const FOR_YOU_HEADING = 'Recommended for you';

/**
 * The embeddable HTML widget:
 * - GET /widget/:model/items/:item: "Similar to ...";
 * - GET /widget/:model/users/:user: "Recommended for you" (a user the model does not know: the popular list);
 * - GET /widget/:model/popular: the items with the most training interactions;
 * - GET /widget/:model/recommendations?items=a,b: a visitor folded in from the items they viewed (the widget twin of
 *   the JSON API's /v1/models/:model/recommendations?items=, as items/:item and users/:user are of theirs).
 */
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

/** What a route shows: a heading and ranked items. */
interface Shown {
  heading: string;
  results: Scored[];
}

widgetRoutes.get('/:model/items/:item', (c) => {
  const item = c.req.param('item');
  return serveWidget(c, () => (checkId('item', item), ''), (m, name, k) => {
    const i = m.items.indexOf(item, name);
    return { heading: `Similar to ${m.item(i).title}`, results: similarItems(m, i, k) };
  });
});

widgetRoutes.get('/:model/users/:user', (c) => {
  const user = c.req.param('user');
  return serveWidget(c, () => (checkId('user', user), ''), (m, name, k) =>
    // A visitor the model was not trained on (a new sign-up, an id from another system): never a blank widget. A model
    // without users (itemtag) has no popular list either: its 404 says it has no users, as the JSON route's does.
    m.users.has(user) || m.users.size === 0
      ? { heading: FOR_YOU_HEADING, results: recommendForUser(m, m.users.indexOf(user, name), k, true) }
      : popular(m, name, k),
  );
});

widgetRoutes.get('/:model/popular', (c) => serveWidget(c, () => '', (m, name, k) => popular(m, name, k)));

widgetRoutes.get('/:model/recommendations', (c) => {
  let ids: string[] = [];
  return serveWidget(
    c,
    () => {
      ids = parseHistory(c.req.queries('items'));
      // The cache key and the ETag name the set of ids, so a,b and b,a share one entry (the answer does not depend
      // on the order: the fold-in weighs every item alike and runs over them in index order).
      return ids.length ? `items=${ids.map(encodeURIComponent).join(',')}` : '';
    },
    (m, name, k) => forVisitor(m, name, ids, k),
  );
});

/** The popular list; a model without interactions (itemtag) has none: a 400, as the JSON route answers. */
function popular(m: LoadedModel, name: string, k: number, exclude?: ReadonlySet<number>): Shown {
  requireInteractions(m, name);
  return { heading: POPULAR_HEADING, results: popularItems(m, k, exclude) };
}

/**
 * A visitor's recommendations from the items they viewed: folded in (shared/model/foldin.ts) and ranked without
 * those items. Ids the model does not know are ignored (a visitor's localStorage outlives model versions); with none
 * known, or a model that cannot fold visitors in, the popular list (still without the viewed items).
 */
function forVisitor(m: LoadedModel, name: string, ids: readonly string[], k: number): Shown {
  const known = Int32Array.from(new Set(ids.filter((id) => m.items.has(id)).map((id) => m.items.indexOf(id, m.name)))).sort();
  const exclude = new Set(known);
  if (known.length === 0 || !m.manifest.foldin?.implicit) return popular(m, name, k, exclude);
  const results = recommendForItems(m, known, k);
  return { heading: becauseHeading(m, explain(m, known, results.map((r) => r.index), 1)), results };
}

/**
 * "Because you viewed X": X is the viewed item that is the closest one (explain's first reason) to the most
 * recommendations, ties going to the one closest to a higher-ranked recommendation. No positive similarity at all:
 * "Recommended for you".
 */
function becauseHeading(m: LoadedModel, reasons: Reason[][]): string {
  const counts = new Map<number, number>();
  for (const r of reasons) if (r.length) counts.set(r[0].index, (counts.get(r[0].index) ?? 0) + 1);
  let best = -1;
  for (const [index, n] of counts) if (best < 0 || n > counts.get(best)!) best = index;
  return best < 0 ? FOR_YOU_HEADING : `Because you viewed ${m.item(best).title}`;
}

/**
 * `items`: comma-separated item ids (or the parameter repeated), at most WIDGET_MAX_HISTORY; more is a 400 rather
 * than a silent cut, so a caller that sends too many finds out. Returned deduplicated and sorted: the normal form.
 */
function parseHistory(values: string[] | undefined): string[] {
  const ids = (values ?? []).filter((v) => v !== '').flatMap((v) => v.split(',').map((p) => p.trim()));
  if (ids.some((p) => p === '')) {
    throw new BadRequestError('items must be a comma-separated list of item ids without empty entries', 'bad_items');
  }
  if (ids.length > WIDGET_MAX_HISTORY) {
    throw new BadRequestError(`items lists at most ${WIDGET_MAX_HISTORY} item ids (a visitor's most recent), got ${ids.length}`, 'bad_items');
  }
  for (const id of ids) checkId('item', id);
  return [...new Set(ids)].sort();
}

function parseTheme(raw: string | undefined): Theme | undefined {
  if (raw === undefined) return undefined;
  if ((THEMES as readonly string[]).includes(raw)) return raw as Theme;
  throw new BadRequestError(`theme must be ${THEMES.join(' or ')}, got ${JSON.stringify(raw.slice(0, 40))}`, 'bad_theme');
}

/**
 * One widget answer: from the data centre's cache when it has it, else rendered from the live model and stored.
 * `params` checks the route's own parameters (after the model name, before k and theme, as errors have always been
 * ordered) and returns their normal form: with k and theme it makes the cache key and the ETag, so parameters that
 * do not change the answer (tracking, order) do not split the cache.
 */
async function serveWidget(
  c: Context<AppEnv>,
  params: () => string,
  show: (m: LoadedModel, name: string, k: number) => Shown,
): Promise<Response> {
  const name = checkModelName(c.req.param('model')!);
  const extra = params();
  const k = parseK(c.req.query('k'));
  if (k > WIDGET_MAX_K) {
    throw new BadRequestError(`k must be an integer from 1 to ${WIDGET_MAX_K} for the widget, got ${k}: use the JSON API for longer lists`, 'bad_k');
  }
  const theme = parseTheme(c.req.query('theme'));
  const unit = requestUnit(c);
  const url = new URL(c.req.url);
  // Item links keep k and theme (not the route's own parameters): each is that item's "similar items" widget.
  const linkSearch = `?k=${k}${theme ? `&theme=${theme}` : ''}`;
  // Under a split the answer depends on who asks: the visitor and the named variant are part of the key.
  const who = [unit.variant !== undefined ? `variant=${unit.variant}` : '', unit.visitor !== undefined ? `visitor=${encodeURIComponent(unit.visitor)}` : ''].filter(Boolean);
  const search = `?${[extra, linkSearch.slice(1), ...who].filter(Boolean).join('&')}`;
  const key = `${url.origin}${url.pathname}${search}`;

  const hit = await cachedAnswer(key);
  if (hit) {
    hit.headers.set('X-Edgerec-Cache', 'hit');
    return hit;
  }

  // Under a split, links name the variant, so the next widget comes from the same one and events can say which.
  const hrefOf = (itemId: string, variant: string | undefined) =>
    `${url.origin}/widget/${encodeURIComponent(name)}/items/${encodeURIComponent(itemId)}${linkSearch}${variant ? `&variant=${variant}` : ''}`;
  const { version, view } = await withRequestModel(c, name, (m, v) => {
    const { heading, results } = show(m, name, k);
    const items = results.map((s) => {
      const meta = m.item(s.index);
      return { id: meta.id, title: meta.title, href: hrefOf(meta.id, v?.name) };
    });
    const view: WidgetView = { heading, items, theme, ...versionView(m, v) };
    // The hidden set is part of the version an answer depends on (npm run hide changes the ETag).
    return { version: answerTag(m, v), view };
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
