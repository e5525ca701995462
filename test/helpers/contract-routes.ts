// The model routes of the HTTP API as the contract suite calls them: each with its OpenAPI operation (the suite
// checks /openapi.json lists no model route without a row here) and the one request the suite sends per model.
import type { StartedWorker } from './worker.js';

/** What a request is built from: the published model's name and ids it knows (or, for a kind without them, ids the
 * dataset has). */
export interface Probe {
  model: string;
  user: string;
  /** A user id the model was not trained on. */
  newUser: string;
  item: string;
  /** A visitor's items (viewed or rated). */
  visited: string[];
  /** Two tags of the dataset: the query tag and another one. */
  tags: [string, string];
}

export interface RouteCall {
  path: string;
  body?: unknown;
}

export interface RouteDef {
  /** As /openapi.json names it: `GET /v1/models/{model}/popular`. */
  operation: string;
  call(p: Probe): RouteCall;
}

const m = (p: Probe) => encodeURIComponent(p.model);
export const K = 5;
/** The visitor's ratings for-ratings sends, aligned with Probe.visited: on every rating kind's 1..5 scale. */
export const VISITOR_RATINGS = [5, 2, 4];

export const ROUTES = {
  similar: { operation: 'GET /v1/models/{model}/items/{item}/similar', call: (p) => ({ path: `/v1/models/${m(p)}/items/${p.item}/similar?k=${K}` }) },
  recommendations: {
    operation: 'GET /v1/models/{model}/users/{user}/recommendations',
    call: (p) => ({ path: `/v1/models/${m(p)}/users/${p.user}/recommendations?k=${K}` }),
  },
  // The same route for a user the model does not know.
  unknownUser: {
    operation: 'GET /v1/models/{model}/users/{user}/recommendations',
    call: (p) => ({ path: `/v1/models/${m(p)}/users/${p.newUser}/recommendations?k=${K}` }),
  },
  visitor: { operation: 'GET /v1/models/{model}/recommendations', call: (p) => ({ path: `/v1/models/${m(p)}/recommendations?items=${p.visited.join(',')}&k=${K}` }) },
  forRatings: {
    operation: 'POST /v1/models/{model}/recommendations/for-ratings',
    call: (p) => ({ path: `/v1/models/${m(p)}/recommendations/for-ratings`, body: { ratings: p.visited.map((id, j) => [id, VISITOR_RATINGS[j]]), k: K } }),
  },
  popular: { operation: 'GET /v1/models/{model}/popular', call: (p) => ({ path: `/v1/models/${m(p)}/popular?k=${K}` }) },
  rating: {
    operation: 'GET /v1/models/{model}/users/{user}/items/{item}/rating',
    call: (p) => ({ path: `/v1/models/${m(p)}/users/${p.user}/items/${p.item}/rating` }),
  },
  predict: {
    operation: 'POST /v1/models/{model}/predict',
    call: (p) => ({ path: `/v1/models/${m(p)}/predict`, body: { pairs: [[p.user, p.item], ...p.visited.map((id) => [p.user, id])] } }),
  },
  similarTags: { operation: 'GET /v1/models/{model}/tags/{tag}/similar', call: (p) => ({ path: `/v1/models/${m(p)}/tags/${encodeURIComponent(p.tags[0])}/similar?k=${K}` }) },
  arithmetic: {
    operation: 'POST /v1/models/{model}/items/similar',
    call: (p) => ({ path: `/v1/models/${m(p)}/items/similar`, body: { item: p.item, plus: [p.tags[1]], minus: [p.tags[0]], k: K } }),
  },
  fromExamples: {
    operation: 'POST /v1/models/{model}/recommendations/from-examples',
    call: (p) => ({ path: `/v1/models/${m(p)}/recommendations/from-examples`, body: { liked: p.visited.slice(0, 2), disliked: p.visited.slice(2), k: K } }),
  },
  events: {
    operation: 'POST /v1/events',
    call: (p) => ({ path: '/v1/events', body: { events: [{ type: 'impression', model: p.model, item: p.item, visitor: 'v-contract' }, { type: 'click', model: p.model, item: p.item, visitor: 'v-contract' }] } }),
  },
  widgetItem: { operation: 'GET /widget/{model}/items/{item}', call: (p) => ({ path: `/widget/${m(p)}/items/${p.item}?k=${K}` }) },
  widgetUser: { operation: 'GET /widget/{model}/users/{user}', call: (p) => ({ path: `/widget/${m(p)}/users/${p.user}?k=${K}` }) },
  widgetPopular: { operation: 'GET /widget/{model}/popular', call: (p) => ({ path: `/widget/${m(p)}/popular?k=${K}` }) },
  widgetVisitor: { operation: 'GET /widget/{model}/recommendations', call: (p) => ({ path: `/widget/${m(p)}/recommendations?items=${p.visited.join(',')}&k=${K}` }) },
} satisfies Record<string, RouteDef>;

export type RouteId = keyof typeof ROUTES;

/** Routes that answer the same whatever kinds are published (checked once, not per kind). */
export const KIND_FREE_OPERATIONS = ['GET /healthz', 'GET /openapi.json', 'GET /v1/models', 'GET /embed.js'];

/** Sends a route's request; JSON or HTML back, with the status. */
export async function send(fetch: StartedWorker['fetch'], c: RouteCall) {
  const res = await fetch(c.path, c.body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) });
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  return { status: res.status, type, text, json: type.includes('application/json') ? (JSON.parse(text) as unknown) : undefined };
}

/** The items a widget fragment lists, in order, and its heading. */
export function widgetItems(html: string): { heading: string; ids: string[] } {
  const heading = /<h2 tabindex="-1">(.*?)<\/h2>/.exec(html)?.[1] ?? '';
  return { heading, ids: [...html.matchAll(/data-edgerec-item="([^"]*)"/g)].map((x) => x[1]) };
}
