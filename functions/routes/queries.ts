import { Hono } from 'hono';
import { checkId } from '../../shared/model/ids.js';
import { predictRatings, recommendForUser, similarItems } from '../../shared/model/queries.js';
import type { AppEnv } from '../env.js';
import { withModel } from '../model-store.js';
import { parseBool, parseK } from '../params.js';
import { itemView, resultsView, round } from '../present.js';

/** Per-model queries: similar items, recommendations for a user, a predicted rating. */
export const queryRoutes = new Hono<AppEnv>();

queryRoutes.get('/:model/items/:item/similar', async (c) => {
  const { model: name, item } = c.req.param();
  const k = parseK(c.req.query('k'));
  checkId('item', item);
  const body = await withModel(c.env, name, (m) => {
    const i = m.items.indexOf(item, name);
    return { model: name, version: m.version, item: itemView(m, i), k, results: resultsView(m, similarItems(m, i, k)) };
  });
  return c.json(body);
});

queryRoutes.get('/:model/users/:user/recommendations', async (c) => {
  const { model: name, user } = c.req.param();
  const k = parseK(c.req.query('k'));
  const excludeSeen = parseBool('exclude_seen', c.req.query('exclude_seen'), true);
  checkId('user', user);
  const body = await withModel(c.env, name, (m) => {
    const u = m.users.indexOf(user, name);
    return {
      model: name,
      version: m.version,
      user,
      k,
      exclude_seen: excludeSeen,
      results: resultsView(m, recommendForUser(m, u, k, excludeSeen)),
    };
  });
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
  return c.json(body);
});
