import { Hono } from 'hono';
import {
  healthAnswer, htmlAnswer, modelsAnswer, openApiAnswer, ratingAnswer, scriptAnswer, similarItemsAnswer, type OpenApi,
} from '../../shared/api/answers.js';
import type { AppEnv } from '../env.js';
import { QUERY_PARAMS } from '../params.js';
import { MAX_BODY_BYTES } from '../validation/body.js';
import { openApiDocument, type RouteSpec } from '../validation/openapi.js';
import { arithmeticSpec } from './arithmetic.js';
import { eventsSpec } from './events.js';
import { examplesSpec } from './examples.js';
import { predictSpec } from './predict.js';
import { RECOMMENDATION_SPECS } from './recommendations.js';
import { similarTagsSpec } from './tags.js';

const FILTERS = [QUERY_PARAMS.genre, QUERY_PARAMS.tag, QUERY_PARAMS.exclude];
const VERSION = '20261124T101500Z-1a2b3c4d';

/** Specs of the routes whose handlers live in app.ts, catalog.ts, queries.ts, widget.ts and embed.ts. */
const CORE_SPECS: RouteSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'liveness, the tfjs backend (wasm) and the models this isolate has loaded',
    description: 'Never cached. `?tfjs` starts tfjs (if nothing has yet) and runs its self-test, a 2x2 by 2x1 matMul.',
    response: {
      description: 'ok, backend, self-test result, loaded models and versions (resident bytes, any refused or evicted version) and modelMemory (the budget and what is held against it)',
      schema: healthAnswer,
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApi',
    summary: 'this document',
    description: 'Built once per isolate from the route specs: the schemas that validate the bodies and type the answers.',
    response: { description: 'OpenAPI 3.1', schema: openApiAnswer },
    errors: [],
  },
  {
    method: 'get',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'published models: live version, kind, counts, hyper-parameters, training metrics',
    description: 'Read from the bucket (no model is loaded to answer). A model whose manifest cannot be read is listed with `error`.',
    response: { description: 'the published models, by name', schema: modelsAnswer },
    errors: [],
  },
  {
    method: 'get',
    path: '/v1/models/:model/items/:item/similar',
    operationId: 'similarItems',
    summary: 'cosine top-k items, optionally filtered by tag and excluded ids',
    description: 'The item itself and hidden items are left out. With filters, only items carrying one of the tags and not excluded.',
    query: [QUERY_PARAMS.k, ...FILTERS],
    response: {
      description: 'the item and its k nearest items, best first',
      schema: similarItemsAnswer,
      example: {
        model: 'demo',
        version: VERSION,
        item: { id: '50', title: 'Star Wars (1977)', tags: ['Action', 'Sci-Fi'] },
        k: 1,
        results: [{ id: '181', title: 'Return of the Jedi (1983)', tags: ['Action', 'Sci-Fi'], score: 0.93 }],
      },
    },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/v1/models/:model/users/:user/items/:item/rating',
    operationId: 'predictRating',
    summary: "one predicted rating, clipped to the dataset's rating range",
    description: 'Only for kinds that predict ratings (explicit feedback with users); others answer 400 no_ratings.',
    response: { description: 'the rating and the range', schema: ratingAnswer, example: { model: 'demo', version: VERSION, user: '1', item: { id: '50', title: 'Star Wars (1977)' }, rating: 4.61, range: [1, 5] } },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/widget/:model/items/:item',
    operationId: 'widgetSimilarItems',
    summary: "embeddable HTML fragment: items similar to an item (cached by the CDN; ETag tied to the model version)",
    description: 'What /embed.js inserts for an element with data-edgerec-model and data-edgerec-item. Errors are the JSON envelope.',
    query: [QUERY_PARAMS.k, { name: 'theme', in: 'query', description: 'colour theme', schema: { type: 'string' } }],
    response: { description: 'HTML', contentType: 'text/html', schema: htmlAnswer },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/widget/:model/users/:user',
    operationId: 'widgetRecommendations',
    summary: 'embeddable HTML fragment: recommendations for a user, or "Popular" for a user the model does not know (cached by the CDN; ETag tied to the model version)',
    description: 'What /embed.js inserts for an element with data-edgerec-model and data-edgerec-user. Errors are the JSON envelope.',
    query: [QUERY_PARAMS.k, { name: 'theme', in: 'query', description: 'colour theme', schema: { type: 'string' } }],
    response: { description: 'HTML', contentType: 'text/html', schema: htmlAnswer },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/widget/:model/popular',
    operationId: 'widgetPopular',
    summary: 'embeddable HTML fragment: "Popular", the items with the most training interactions',
    description: 'What /embed.js shows when a widget cannot be loaded (data-edgerec-fallback="popular"). Errors are the JSON envelope.',
    query: [QUERY_PARAMS.k, { name: 'theme', in: 'query', description: 'colour theme', schema: { type: 'string' } }],
    response: { description: 'HTML', contentType: 'text/html', schema: htmlAnswer },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/widget/:model/recommendations',
    operationId: 'widgetVisitor',
    summary: "embeddable HTML fragment: a visitor's recommendations from the items they viewed (at most 20; unknown ids ignored; none known: Popular)",
    description: 'What /embed.js inserts for a history element (data-edgerec-history="local") without an item or user. Errors are the JSON envelope.',
    query: [
      { name: 'items', in: 'query', description: 'item ids the visitor viewed, comma-separated (at most 20)', schema: { type: 'array', items: { type: 'string' }, maxItems: 20 }, style: 'form', explode: false },
      QUERY_PARAMS.k,
      { name: 'theme', in: 'query', description: 'colour theme', schema: { type: 'string' } },
    ],
    response: { description: 'HTML', contentType: 'text/html', schema: htmlAnswer },
    errors: [400, 404, 503],
  },
  {
    method: 'get',
    path: '/embed.js',
    operationId: 'embedScript',
    summary: 'the loader script host pages include to show a widget',
    description: 'Include it with a script tag; it fills the elements that carry data-edgerec-model and an item or user (see the README).',
    response: { description: 'JavaScript', contentType: 'text/javascript', schema: scriptAnswer },
    errors: [],
  },
];

export const ROUTE_SPECS: readonly RouteSpec[] = [...CORE_SPECS, ...RECOMMENDATION_SPECS, similarTagsSpec, arithmeticSpec, examplesSpec, predictSpec, eventsSpec];

/**
 * GET /openapi.json, built once per isolate from the route specs (the same schemas that validate bodies) and the
 * routes the app actually registered, so a route added without a spec still shows up (marked x-undocumented).
 */
export function openApiRoutes(registered: () => readonly { method: string; path: string }[]) {
  const routes = new Hono<AppEnv>();
  let doc: OpenApi | undefined;
  routes.get('/openapi.json', (c) => {
    doc ??= openApiDocument(ROUTE_SPECS, registered(), {
      title: 'edgerec',
      version: '1',
      description:
        'Embedding recommenders answered at the edge. All ids are the dataset\'s original ids. Errors are JSON ' +
        `{"error": {"code", "message"}}. POST bodies are JSON, at most ${MAX_BODY_BYTES} bytes; unknown fields are refused.`,
    });
    return c.json(doc);
  });
  return routes;
}
