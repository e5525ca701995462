import { Hono } from 'hono';
import type { Rating, SimilarItems } from '../../shared/api/answers.js';
import { checkId } from '../../shared/model/ids.js';
import { buildItemFilter, similarItemsWhere } from '../../shared/model/filters.js';
import { predictRatings } from '../../shared/model/queries.js';
import type { AppEnv } from '../env.js';
import { answerTag, versionView, withRequestModel } from '../variant-model.js';
import { parseFilterQuery, parseK } from '../params.js';
import { filterView, itemView, resultsView, round } from '../present.js';
import { requireRatings } from './predict.js';

/** Per-model queries: similar items, a predicted rating (recommendations live in recommendations.ts). */
export const queryRoutes = new Hono<AppEnv>();

queryRoutes.get('/:model/items/:item/similar', async (c) => {
  const { model: name, item } = c.req.param();
  const k = parseK(c.req.query('k'));
  const filter = parseFilterQuery((q) => c.req.queries(q));
  checkId('item', item);
  const body = await withRequestModel(c, name, (m, v): SimilarItems & { tag: string } => {
    const i = m.items.indexOf(item, name);
    const results = similarItemsWhere(m, i, k, buildItemFilter(m, filter));
    return { model: name, ...versionView(m, v), item: itemView(m, i), k, ...filterView(filter), results: resultsView(m, results), tag: answerTag(m, v) };
  });
  const { tag, ...answer } = body;
  c.set('modelVersion', tag);
  return c.json(answer);
});

queryRoutes.get('/:model/users/:user/items/:item/rating', async (c) => {
  const { model: name, user, item } = c.req.param();
  checkId('user', user);
  checkId('item', item);
  const body = await withRequestModel(c, name, (m, v): Rating & { tag: string } => {
    // As the batch route: a kind without users or a rating scale (itemtag, bpr) has no rating to give.
    const range = requireRatings(m);
    const u = m.users.indexOf(user, name);
    const i = m.items.indexOf(item, name);
    const [rating] = predictRatings(m, Int32Array.of(u), Int32Array.of(i));
    return { model: name, ...versionView(m, v), user, item: itemView(m, i), rating: round(rating), range, tag: answerTag(m, v) };
  });
  const { tag, ...answer } = body;
  c.set('modelVersion', tag);
  return c.json(answer);
});
