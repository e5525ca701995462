import { Hono } from 'hono';
import { arithmeticAnswer, type Arithmetic } from '../../shared/api/answers.js';
import { itemArithmetic } from '../../shared/model/arithmetic.js';
import { requireTagsInItemSpace } from '../../shared/model/tag-vectors.js';
import type { AppEnv } from '../env.js';
import { versionView, withRequestModel } from '../variant-model.js';
import { MAX_K } from '../params.js';
import { itemView, resultsView, round } from '../present.js';
import { readBody } from '../validation/body.js';
import { indexAt } from '../validation/lookup.js';
import type { RouteSpec } from '../validation/openapi.js';
import { array, id, integer, object, optional } from '../../shared/api/schema.js';

/** POST /v1/models/:model/items/similar: an item moved along tag directions, then its nearest items. */
export const arithmeticRoutes = new Hono<AppEnv>();

const MAX_TAGS = 20;

const body = object(
  {
    item: id('item', 'the item to start from'),
    plus: optional(array(id('tag'), { minItems: 0, maxItems: MAX_TAGS, description: 'tags whose unit vectors are added' }), []),
    minus: optional(array(id('tag'), { minItems: 0, maxItems: MAX_TAGS, description: 'tags whose unit vectors are subtracted' }), []),
    k: optional(integer({ minimum: 1, maximum: MAX_K, description: 'how many results' }), 10),
  },
  { example: { item: '42', minus: ['Fantasy'], k: 5 } },
);

export const arithmeticSpec: RouteSpec = {
  method: 'post',
  path: '/v1/models/:model/items/similar',
  operationId: 'itemTagArithmetic',
  summary: 'embedding arithmetic: item plus/minus tag vectors, renormalised, cosine top-k',
  description:
    "The item's unit vector plus the plus tags' unit vectors minus the minus tags', renormalised; the k items with " +
    'the highest cosine to it, the item itself excluded. Only for models whose tags live in the item space ' +
    '(itemtag); others answer 400 no_tag_embeddings or tags_not_in_item_space.',
  body,
  response: {
    description: 'the starting item, the tags applied, and the k nearest items to the moved vector',
    schema: arithmeticAnswer,
    example: {
      model: 'games',
      version: '20261124T101500Z-1a2b3c4d',
      item: { id: '42', title: 'Age of Mythology', tags: ['Strategy', 'Fantasy'] },
      plus: [],
      minus: ['Fantasy'],
      k: 1,
      cosine_to_item: 0.92,
      results: [{ id: '7', title: 'Rise of Nations', tags: ['Strategy'], score: 0.84 }],
    },
  },
  errors: [400, 404, 503],
};

arithmeticRoutes.post('/:model/items/similar', async (c) => {
  const name = c.req.param('model');
  const q = await readBody(c, body);
  const answer = await withRequestModel(c, name, (m, v): Arithmetic => {
    const tags = requireTagsInItemSpace(m);
    const item = indexAt(m.items, q.item, name, 'body.item');
    const plus = q.plus.map((t, j) => indexAt(tags.index, t, name, `body.plus[${j}]`));
    const minus = q.minus.map((t, j) => indexAt(tags.index, t, name, `body.minus[${j}]`));
    const { results, cosineToItem } = itemArithmetic(m, { item, plus, minus }, q.k);
    return {
      model: name,
      ...versionView(m, v),
      item: itemView(m, item),
      plus: q.plus,
      minus: q.minus,
      k: q.k,
      cosine_to_item: round(cosineToItem),
      results: resultsView(m, results),
    };
  });
  return c.json(answer);
});
