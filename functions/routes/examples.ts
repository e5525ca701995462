import { Hono } from 'hono';
import { fromExamplesAnswer, type FromExamples } from '../../shared/api/answers.js';
import { BadRequestError } from '../../shared/errors.js';
import { MAX_EXAMPLES, recommendFromExamples } from '../../shared/model/from-examples.js';
import type { AppEnv } from '../env.js';
import { versionView, withRequestModel } from '../variant-model.js';
import { MAX_K } from '../params.js';
import { itemView, resultsView, round } from '../present.js';
import { readBody } from '../validation/body.js';
import { indexAt } from '../validation/lookup.js';
import type { RouteSpec } from '../validation/openapi.js';
import { array, id, integer, object, optional } from '../../shared/api/schema.js';

/** POST /v1/models/:model/recommendations/from-examples: cold start from liked and disliked items. */
export const exampleRoutes = new Hono<AppEnv>();

const body = object(
  {
    liked: optional(array(id('item'), { minItems: 0, maxItems: MAX_EXAMPLES, description: 'items the person likes' }), []),
    disliked: optional(array(id('item'), { minItems: 0, maxItems: MAX_EXAMPLES, description: 'items the person dislikes' }), []),
    k: optional(integer({ minimum: 1, maximum: MAX_K, description: 'how many best and how many worst items' }), 10),
  },
  {
    description: `at least one example, at most ${MAX_EXAMPLES} in all; an item may not be both liked and disliked`,
    example: { liked: ['50', '172'], disliked: ['8'], k: 5 },
  },
);

export const examplesSpec: RouteSpec = {
  method: 'post',
  path: '/v1/models/:model/recommendations/from-examples',
  operationId: 'recommendFromExamples',
  summary: 'best and worst k items for a set of liked/disliked examples (no user needed)',
  description:
    "With liked and disliked items, a logistic regression (L2, classes weighted equally) is fitted in the request on " +
    "the examples' unit embeddings and scores every item (score = w . x + b, the decision value). With only liked " +
    'items the answer ranks by cosine to their mean vector; with only disliked, by distance from theirs. `method` ' +
    'says which (logistic_regression, nearest_to_liked_mean, farthest_from_disliked_mean). Examples are never returned.',
  body,
  response: {
    description: 'the method used, the examples, and the best and worst k items',
    schema: fromExamplesAnswer,
    example: {
      model: 'demo',
      version: '20261124T101500Z-1a2b3c4d',
      method: 'logistic_regression',
      k: 1,
      liked: [{ id: '50', title: 'Star Wars (1977)' }],
      disliked: [{ id: '8', title: 'Babe (1995)' }],
      fit: { lambda: 0.5, iterations: 41, converged: true, train_accuracy: 1 },
      best: [{ id: '181', title: 'Return of the Jedi (1983)', score: 0.41 }],
      worst: [{ id: '1', title: 'Toy Story (1995)', score: -0.37 }],
    },
  },
  errors: [400, 404, 503],
};

exampleRoutes.post('/:model/recommendations/from-examples', async (c) => {
  const name = c.req.param('model');
  const q = await readBody(c, body);
  const answer = await withRequestModel(c, name, (m, v): FromExamples => {
    // Repeats within a list say nothing new: each item counts once.
    const liked = [...new Set(q.liked.map((x, j) => indexAt(m.items, x, name, `body.liked[${j}]`)))];
    const disliked = [...new Set(q.disliked.map((x, j) => indexAt(m.items, x, name, `body.disliked[${j}]`)))];
    const both = liked.find((i) => disliked.includes(i));
    if (both !== undefined) {
      throw new BadRequestError(`item ${JSON.stringify(m.items.id(both))} is both liked and disliked: keep it in one list`, 'conflicting_examples');
    }
    const a = recommendFromExamples(m, liked, disliked, q.k);
    return {
      model: name,
      ...versionView(m, v),
      method: a.method,
      k: q.k,
      liked: liked.map((i) => itemView(m, i)),
      disliked: disliked.map((i) => itemView(m, i)),
      ...(a.fit
        ? { fit: { lambda: round(a.fit.lambda), iterations: a.fit.iterations, converged: a.fit.converged, train_accuracy: round(a.fit.trainAccuracy) } }
        : {}),
      best: resultsView(m, a.best),
      worst: resultsView(m, a.worst),
    };
  });
  return c.json(answer);
});
