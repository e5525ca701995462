import { Hono, type Context } from 'hono';
import {
  forRatingsAnswer, popularAnswer, userRecommendationsAnswer, visitorAnswer,
  type Popular, type RatingsRecommendations, type UserRecommendations, type VisitorRecommendations,
} from '../../shared/api/answers.js';
import { BadRequestError } from '../../shared/errors.js';
import { explain } from '../../shared/model/explain.js';
import { buildItemFilter, recommendForUserWhere, topKWhere, type ItemFilter } from '../../shared/model/filters.js';
import { canFoldInRatings, foldInRatings, predictFolded } from '../../shared/model/foldin.js';
import { checkId } from '../../shared/model/ids.js';
import type { LoadedModel } from '../../shared/model/loaded.js';
import { popularItems } from '../../shared/model/popular.js';
import { predictRatings, seenItems, type Scored } from '../../shared/model/queries.js';
import { recommendForItems } from '../../shared/model/visitor.js';
import type { AppEnv } from '../env.js';
import { answerTag, versionView, withRequestModel } from '../variant-model.js';
import { MAX_K, parseBool, parseFilterQuery, parseK, QUERY_PARAMS } from '../params.js';
import { filterView, itemView, recommendationsView, resultsView, type RecommendationExtras } from '../present.js';
import { readBody } from '../validation/body.js';
import { indexAt } from '../validation/lookup.js';
import type { RouteSpec } from '../validation/openapi.js';
import { array, boolean, id, integer, number, object, optional, pair } from '../../shared/api/schema.js';

/**
 * Recommendation answers: for a known user, for a visitor (items they viewed, or items they rated), and the
 * popular list that also answers for a user the model does not know. Every answer names the version it came from.
 */
export const recommendationRoutes = new Hono<AppEnv>();

/** The most items a visitor's `?items=` may carry: a session's worth, and a URL well under 8 KB. */
export const MAX_VISITOR_ITEMS = 100;
/** The most ratings a for-ratings body may carry. */
export const MAX_VISITOR_RATINGS = 200;

recommendationRoutes.get('/:model/users/:user/recommendations', async (c) => {
  const { model: name, user } = c.req.param();
  const k = parseK(c.req.query('k'));
  const excludeSeen = parseBool('exclude_seen', c.req.query('exclude_seen'), true);
  const withReasons = parseBool('explain', c.req.query('explain'), false);
  const filter = parseFilterQuery((q) => c.req.queries(q));
  checkId('user', user);
  return answer<UserRecommendations>(c, name, (m) => {
    const f = buildItemFilter(m, filter);
    if (!m.users.has(user)) {
      if (m.users.size === 0) m.users.indexOf(user, name); // a model without users (itemtag): the 404 says so
      // A visitor the model has never seen gets the popular list rather than an error: a widget is never blank.
      return { user, k, fallback: 'popular', ...filterView(filter), results: resultsView(m, popular(m, k, f)) };
    }
    const u = m.users.indexOf(user, name);
    const scored = recommendForUserWhere(m, u, k, excludeSeen, f);
    const extras: RecommendationExtras = { ratings: ratingsFor(m, u, scored) };
    if (withReasons) extras.because = explain(m, seenItems(m, u), scored.map((s) => s.index));
    return { user, k, exclude_seen: excludeSeen, ...filterView(filter), results: recommendationsView(m, scored, extras) };
  });
});

recommendationRoutes.get('/:model/recommendations', async (c) => {
  const name = c.req.param('model');
  const k = parseK(c.req.query('k'));
  const withReasons = parseBool('explain', c.req.query('explain'), false);
  const filter = parseFilterQuery((q) => c.req.queries(q));
  const ids = parseVisitorItems(c.req.queries('items'));
  return answer<VisitorRecommendations>(c, name, (m) => {
    const items = Int32Array.from(new Set(ids.map((x) => m.items.indexOf(x, name))));
    const scored = recommendForItems(m, items, k, buildItemFilter(m, filter));
    const extras: RecommendationExtras = withReasons ? { because: explain(m, items, scored.map((s) => s.index)) } : {};
    return { items: Array.from(items, (i) => itemView(m, i)), k, method: 'foldin', ...filterView(filter), results: recommendationsView(m, scored, extras) };
  });
});

const forRatingsBody = object(
  {
    ratings: array(pair(id('item'), number({ minimum: -1e6, maximum: 1e6 }), 'an item and the rating the visitor gave it'), {
      minItems: 1,
      maxItems: MAX_VISITOR_RATINGS,
      description: "the visitor's ratings, on the model's rating scale",
    }),
    k: optional(integer({ minimum: 1, maximum: MAX_K, description: 'how many results' }), 10),
    explain: optional(boolean('add `because` (the rated items that support each result) to every result'), false),
  },
  { description: `1..${MAX_VISITOR_RATINGS} ratings of distinct items`, example: { ratings: [['50', 5], ['172', 4.5], ['8', 2]], k: 5 } },
);

recommendationRoutes.post('/:model/recommendations/for-ratings', async (c) => {
  const name = c.req.param('model');
  const q = await readBody(c, forRatingsBody);
  return answer<RatingsRecommendations>(c, name, (m) => {
    const seen = new Map<number, number>();
    q.ratings.forEach(([item, rating], j) => {
      const i = indexAt(m.items, item, name, `body.ratings[${j}][0]`);
      if (seen.has(i)) throw new BadRequestError(`body.ratings[${j}]: item ${JSON.stringify(item)} is rated twice; give each item once`, 'duplicate_item');
      const range = m.ratingRange;
      if (range && (rating < range[0] || rating > range[1])) {
        throw new BadRequestError(`body.ratings[${j}][1] must be on the model's scale ${range[0]}..${range[1]}, got ${rating}`, 'bad_rating');
      }
      seen.set(i, rating);
    });
    const items = Int32Array.from(seen.keys());
    const scored = recommendForItems(m, items, q.k);
    const extras: RecommendationExtras = {};
    if (canFoldInRatings(m)) {
      const folded = foldInRatings(m, items, Float32Array.from(seen.values()));
      extras.ratings = predictFolded(m, folded, Int32Array.from(scored, (s) => s.index));
    }
    if (q.explain) extras.because = explain(m, items, scored.map((s) => s.index));
    return {
      k: q.k,
      method: 'foldin',
      // Dense-head kinds rank visitors through their ranker but cannot predict a visitor's rating: say so.
      ...(m.ratingRange && !extras.ratings ? { rating_unavailable: `a ${m.manifest.model.kind} model cannot predict ratings for a visitor` } : {}),
      results: recommendationsView(m, scored, extras),
    };
  });
});

recommendationRoutes.get('/:model/popular', async (c) => {
  const name = c.req.param('model');
  const k = parseK(c.req.query('k'));
  const filter = parseFilterQuery((q) => c.req.queries(q));
  return answer<Popular>(c, name, (m) => {
    requireInteractions(m, name);
    return { k, ...filterView(filter), results: resultsView(m, popular(m, k, buildItemFilter(m, filter))) };
  });
});

const FILTERS = [QUERY_PARAMS.genre, QUERY_PARAMS.tag, QUERY_PARAMS.exclude];
const VERSION = '20261124T101500Z-1a2b3c4d';
const RESULT = { id: '181', title: 'Return of the Jedi (1983)', score: 0.93, rating: 4.41 };
const BECAUSE = { because: [{ id: '50', title: 'Star Wars (1977)', similarity: 0.87 }] };

export const RECOMMENDATION_SPECS: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/models/:model/users/:user/recommendations',
    operationId: 'recommendForUser',
    summary: 'personalised top-k for a known user; an unknown user gets the popular list with "fallback": "popular"',
    description:
      'Rating kinds rank by the implicit model trained beside the rating one (manifest.ranker) and give `rating`, ' +
      'exactly what the rating route says for the pair; bpr ranks by its own dot product. `score` is what the list is ' +
      'ranked by. Items the user interacted with are left out unless exclude_seen=false; hidden items always are.',
    query: [QUERY_PARAMS.k, QUERY_PARAMS.excludeSeen, QUERY_PARAMS.explain, ...FILTERS],
    response: {
      description: 'the user and the k best items, or for a user the model does not know the popular list',
      schema: userRecommendationsAnswer,
      example: { model: 'demo', version: VERSION, user: '1', k: 1, exclude_seen: true, results: [{ ...RESULT, ...BECAUSE }] },
    },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/v1/models/:model/recommendations',
    operationId: 'recommendForVisitor',
    summary: "top-k for a visitor from the items they viewed or liked (folded in, no retraining); those items are excluded",
    query: [QUERY_PARAMS.items, QUERY_PARAMS.k, QUERY_PARAMS.explain, ...FILTERS],
    response: {
      description: 'the given items and the k best others',
      schema: visitorAnswer,
      example: { model: 'demo', version: VERSION, items: [{ id: '50', title: 'Star Wars (1977)' }], k: 1, method: 'foldin', results: [{ id: '181', title: 'Return of the Jedi (1983)', score: 0.93 }] },
    },
    errors: [400, 404, 503],
  },
  {
    method: 'post',
    path: '/v1/models/:model/recommendations/for-ratings',
    operationId: 'recommendForRatings',
    summary: "top-k for a visitor from their ratings: ranked by the implicit fold-in, `rating` from the rating fold-in (mf, svdpp, bmf)",
    body: forRatingsBody,
    response: { description: 'the k best items not rated', schema: forRatingsAnswer, example: { model: 'demo', version: VERSION, k: 1, method: 'foldin', results: [RESULT] } },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/v1/models/:model/popular',
    operationId: 'popularItems',
    summary: 'the items with the most training interactions (score = their count)',
    query: [QUERY_PARAMS.k, ...FILTERS],
    response: { description: 'the k most popular items', schema: popularAnswer, example: { model: 'demo', version: VERSION, k: 1, results: [{ id: '50', title: 'Star Wars (1977)', score: 583 }] } },
    errors: [400, 404, 503],
  },
];

/** An answer without what answer() puts first (the model, the version, the variant), shape by shape. */
type Built<A> = A extends unknown ? Omit<A, 'model' | 'version' | 'variant'> : never;

/**
 * Runs `build` on the live model and answers it as JSON with the model and version first; records the ETag seed.
 * `A` is the route's answer type (shared/api/answers.ts): what `build` returns is checked against it.
 */
async function answer<A extends { model: string; version: string }>(c: Context<AppEnv>, name: string, build: (m: LoadedModel) => Built<A>): Promise<Response> {
  const { body, tag } = await withRequestModel(c, name, (m, v) => ({ body: { model: name, ...versionView(m, v), ...build(m) }, tag: answerTag(m, v) }));
  c.set('modelVersion', tag);
  return c.json(body);
}

/** A 400 for a model trained without user interactions (itemtag): it has no popular list to give. */
export function requireInteractions(m: LoadedModel, name: string): void {
  if (m.users.size === 0) {
    throw new BadRequestError(`model ${JSON.stringify(name)} (${m.manifest.model.kind}) was trained without user interactions, so it has no popular list`, 'no_interactions');
  }
}

function popular(m: LoadedModel, k: number, filter: ItemFilter | undefined): Scored[] {
  return topKWhere(m.items.size, k, filter, (want) => popularItems(m, want));
}

/** What the rating route says for (u, each result): the model's predicted ratings, for kinds that have a scale. */
function ratingsFor(m: LoadedModel, u: number, scored: Scored[]): Float32Array | undefined {
  if (!m.ratingRange) return undefined;
  return predictRatings(m, new Int32Array(scored.length).fill(u), Int32Array.from(scored, (s) => s.index));
}

/** `?items=a,b,c` (or repeated): 1..MAX_VISITOR_ITEMS item ids. */
function parseVisitorItems(raw: string[] | undefined): string[] {
  const ids = (raw ?? []).flatMap((r) => r.split(',').map((p) => p.trim()));
  if (ids.length === 0 || ids.some((x) => x === '')) {
    throw new BadRequestError(
      'items must list the item ids the visitor viewed or liked, comma-separated (e.g. ?items=50,172), without empty entries',
      'bad_items',
    );
  }
  if (ids.length > MAX_VISITOR_ITEMS) throw new BadRequestError(`items may list at most ${MAX_VISITOR_ITEMS} ids, got ${ids.length}`, 'bad_items');
  for (const x of ids) checkId('item', x);
  return ids;
}
