import { Hono } from 'hono';
import { predictAnswer, type Predictions } from '../../shared/api/answers.js';
import { BadRequestError } from '../../shared/errors.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings } from '../../shared/model/queries.js';
import type { AppEnv } from '../env.js';
import { versionView, withRequestModel } from '../variant-model.js';
import { round } from '../present.js';
import { readBody } from '../validation/body.js';
import { indexAt } from '../validation/lookup.js';
import type { RouteSpec } from '../validation/openapi.js';
import { array, id, object, pair } from '../../shared/api/schema.js';

/** POST /v1/models/:model/predict: predicted ratings for a batch of (user, item) pairs. */
export const predictRoutes = new Hono<AppEnv>();

export const MAX_PAIRS = 1000;

const body = object(
  { pairs: array(pair(id('user'), id('item'), '[user id, item id]'), { minItems: 1, maxItems: MAX_PAIRS, description: 'the (user, item) pairs to rate' }) },
  { example: { pairs: [['1', '50'], [1, 172]] } },
);

export const predictSpec: RouteSpec = {
  method: 'post',
  path: '/v1/models/:model/predict',
  operationId: 'predictRatings',
  summary: `predicted ratings for 1..${MAX_PAIRS} (user, item) pairs, in request order`,
  description:
    "Clipped to the dataset's rating range. Only for kinds that predict ratings (explicit feedback with users: mf, " +
    'deep, hybrid, classify); others answer 400 no_ratings. The first unknown id is a 404 naming it and its position.',
  body,
  response: {
    description: 'one prediction per pair, in order',
    schema: predictAnswer,
    example: { model: 'demo', version: '20261124T101500Z-1a2b3c4d', range: [1, 5], predictions: [{ user: '1', item: '50', rating: 4.61 }] },
  },
  errors: [400, 404, 503],
};

/** A 400 for kinds that have no users or no rating scale (itemtag, bpr): their scores are not ratings. */
export function requireRatings(m: LoadedModel): [number, number] {
  const kind = m.manifest.model.kind;
  if (m.users.size === 0) {
    throw new BadRequestError(`model ${JSON.stringify(m.name)} (kind ${kind}) has no users, so it does not predict ratings`, 'no_ratings');
  }
  if (!m.ratingRange) {
    throw new BadRequestError(
      `model ${JSON.stringify(m.name)} (kind ${kind}) was trained without a rating scale (implicit feedback), so it ranks items but does not predict ratings`,
      'no_ratings',
    );
  }
  return m.ratingRange;
}

predictRoutes.post('/:model/predict', async (c) => {
  const name = c.req.param('model');
  const { pairs } = await readBody(c, body);
  const answer = await withRequestModel(c, name, (m, v): Predictions => {
    const range = requireRatings(m);
    const users = new Int32Array(pairs.length);
    const items = new Int32Array(pairs.length);
    pairs.forEach(([user, item], p) => {
      users[p] = indexAt(m.users, user, name, `body.pairs[${p}][0]`);
      items[p] = indexAt(m.items, item, name, `body.pairs[${p}][1]`);
    });
    const ratings = predictRatings(m, users, items);
    return {
      model: name,
      ...versionView(m, v),
      range,
      predictions: pairs.map(([user, item], p) => ({ user, item, rating: round(ratings[p]) })),
    };
  });
  return c.json(answer);
});
