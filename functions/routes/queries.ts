import { Hono } from 'hono';
import { checkId } from '../../shared/model/ids.js';
import { buildItemFilter, recommendForUserWhere, similarItemsWhere } from '../../shared/model/filters.js';
import { predictRatings } from '../../shared/model/queries.js';
import type { AppEnv } from '../env.js';
import { withModel } from '../model-store.js';
import { parseBool, parseFilterQuery, parseK } from '../params.js';
import { itemView, resultsView, round } from '../present.js';

/** Per-model queries: similar items, recommendations for a user, a predicted rating. */
export const queryRoutes = new Hono<AppEnv>();

queryRoutes.get('/:model/items/:item/similar', async (c) => {
  const { model: name, item } = c.req.param();
  const k = parseK(c.req.query('k'));
  const filter = parseFilterQuery((q) => c.req.queries(q));
  checkId('item', item);
  const body = await withModel(c.env, name, (m) => {
    const i = m.items.indexOf(item, name);
    const results = similarItemsWhere(m, i, k, buildItemFilter(m, filter));
    return { model: name, version: m.version, item: itemView(m, i), k, ...filterView(filter), results: resultsView(m, results) };
  });
  c.set('modelVersion', body.version);
  return c.json(body);
});

queryRoutes.get('/:model/users/:user/recommendations', async (c) => {
  const { model: name, user } = c.req.param();
  const k = parseK(c.req.query('k'));
  const excludeSeen = parseBool('exclude_seen', c.req.query('exclude_seen'), true);
  const filter = parseFilterQuery((q) => c.req.queries(q));
  checkId('user', user);
  const body = await withModel(c.env, name, (m) => {
    const u = m.users.indexOf(user, name);
    return {
      model: name,
      version: m.version,
      user,
      k,
      exclude_seen: excludeSeen,
      ...filterView(filter),
      results: resultsView(m, recommendForUserWhere(m, u, k, excludeSeen, buildItemFilter(m, filter))),
    };
  });
  c.set('modelVersion', body.version);
  return c.json(body);
});

queryRoutes.get('/:model/users/:user/items/:item/rating', async (c) => {
  const { model: name, user, item } = c.req.param();
  checkId('user', user);
  checkId('item', item);
  const body = await withModel(c.env, name, (m) => {
    const u = m.users.indexOf(user, name);
    const i = m.items.indexOf(item, name);
    const [rating] = predictRatings(m, Int32Array.of(u), Int32Array.of(i));
    return { model: name, version: m.version, user, item: itemView(m, i), rating: round(rating), range: m.ratingRange ?? null };
  });
  c.set('modelVersion', body.version);
  return c.json(body);
});

/** Echoes the filters applied (only when there are any, so unfiltered answers keep their shape). */
function filterView(f: { tags: string[]; exclude: string[] }) {
  return f.tags.length || f.exclude.length ? { filter: { tags: f.tags, exclude: f.exclude } } : {};
}
