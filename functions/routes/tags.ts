import { Hono } from 'hono';
import { similarTagsAnswer, type SimilarTags } from '../../shared/api/answers.js';
import { checkId } from '../../shared/model/ids.js';
import { requireTags, similarTags } from '../../shared/model/tag-vectors.js';
import type { AppEnv } from '../env.js';
import { versionView, withRequestModel } from '../variant-model.js';
import { parseK, QUERY_PARAMS } from '../params.js';
import { round } from '../present.js';
import type { RouteSpec } from '../validation/openapi.js';

/** GET /v1/models/:model/tags/:tag/similar: tags by cosine of their embeddings (models that learn tag vectors). */
export const tagRoutes = new Hono<AppEnv>();

export const similarTagsSpec: RouteSpec = {
  method: 'get',
  path: '/v1/models/:model/tags/:tag/similar',
  operationId: 'similarTags',
  summary: 'cosine top-k tags',
  description: 'For models with tag embeddings (itemtag, bpr); other kinds answer 400 no_tag_embeddings.',
  query: [QUERY_PARAMS.k],
  response: {
    description: 'the tag and its k nearest tags, best first',
    schema: similarTagsAnswer,
    example: { model: 'games', version: '20261124T101500Z-1a2b3c4d', tag: 'RTS', k: 2, results: [{ tag: 'Strategy', score: 0.93 }, { tag: 'Turn-Based Strategy', score: 0.82 }] },
  },
  errors: [400, 404, 503],
};

tagRoutes.get('/:model/tags/:tag/similar', async (c) => {
  const { model: name, tag } = c.req.param();
  const k = parseK(c.req.query('k'));
  checkId('tag', tag);
  const body = await withRequestModel(c, name, (m, v): SimilarTags => {
    const tags = requireTags(m);
    const t = tags.index.indexOf(tag, name);
    const results = similarTags(m, t, k).map((s) => ({ tag: tags.index.id(s.index), score: round(s.score) }));
    return { model: name, ...versionView(m, v), tag, k, results };
  });
  c.set('modelVersion', body.version);
  return c.json(body);
});
