// A small typed client for the edgerec Worker: one method per route, answers typed by the schemas the Worker's
// handlers are typed by and GET /openapi.json publishes (shared/api/answers.ts). Runtime-neutral: it uses only
// fetch, URL and URLSearchParams, so it runs in browsers, Node 18+, Deno, Bun and Workers alike.
//
// package.json exports it as edgerec/client:
//   const api = new EdgerecClient({ baseUrl: 'http://localhost:8787' });
//   const { results } = await api.similarItems('demo', '50', { k: 5 });
//
// A refusal (4xx, 5xx) throws ApiError with the status and the API's {error: {code, message}}.
import type {
  Arithmetic, ErrorBody, EventsAccepted, FromExamples, Health, Models, OpenApi, Popular, Predictions, Rating,
  RatingsRecommendations, SimilarItems, SimilarTags, UserRecommendations, VisitorRecommendations,
} from '../api/answers.js';

export type * from '../api/answers.js';

/** An id as the dataset has it: a string, or an integer for numeric ids (sent as JSON numbers in bodies). */
export type Id = string | number;

export interface ClientOptions {
  /** Where the Worker answers, e.g. https://edgerec.example.workers.dev or http://localhost:8787. */
  baseUrl: string;
  /** The fetch to use (default: the global one); e.g. a Worker's service binding's fetch, or one with a timeout. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Headers sent with every request (X-Edgerec-Visitor assigns A/B variants by visitor). */
  headers?: Record<string, string>;
}

/** The filters similar items, recommendations and the popular list take. */
export interface Filters {
  /** Only items carrying any of these tags (case-sensitive, as the items' tags are spelt). */
  tags?: readonly string[];
  /** Item ids to leave out. */
  exclude?: readonly Id[];
}

/** One feedback event, as POST /v1/events takes it. */
export interface FeedbackEventInput {
  type: 'impression' | 'click' | 'view' | 'rating';
  model: string;
  item: Id;
  /** A known user's id (give user or visitor, not both). */
  user?: Id;
  /** The host page's own id for an anonymous visitor. */
  visitor?: string;
  /** rating: the rating on the model's scale (required); other types: optional, e.g. the position shown. */
  value?: number;
  /** The variant the answer named (A/B splits). */
  variant?: string;
  /** When it happened, ISO 8601 by the client's clock (within the last 7 days). */
  at?: string;
}

/** A refusal: the HTTP status and the API's error code and message (e.g. 404 unknown_item, 400 bad_k). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The answer's body when it was the API's error envelope; undefined when something else answered (a proxy). */
  readonly body: ErrorBody | undefined;

  constructor(status: number, code: string, message: string, body?: ErrorBody) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

type Query = Record<string, string | number | boolean | readonly Id[] | undefined>;

export class EdgerecClient {
  readonly baseUrl: string;
  private readonly fetchFn: (input: string, init?: RequestInit) => Promise<Response>;
  private readonly headers: Record<string, string>;

  constructor(options: ClientOptions) {
    if (!/^https?:\/\/[^/]/.test(options.baseUrl)) {
      throw new TypeError(`baseUrl must be an absolute http(s) URL such as http://localhost:8787, got ${JSON.stringify(options.baseUrl)}`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.headers = options.headers ?? {};
  }

  /** GET /healthz: liveness, the tfjs backend and the models this isolate has loaded; `tfjs` starts tfjs and self-tests it. */
  health(options: { tfjs?: boolean } = {}): Promise<Health> {
    return this.get('/healthz', { tfjs: options.tfjs ? 1 : undefined });
  }

  /** GET /openapi.json: the OpenAPI 3.1 document of every route. */
  openApi(): Promise<OpenApi> {
    return this.get('/openapi.json');
  }

  /** GET /v1/models: the published models with their live version, kind, counts and metrics. */
  models(): Promise<Models> {
    return this.get('/v1/models');
  }

  /** GET /v1/models/:model/items/:item/similar: the k items nearest to an item (cosine), best first. */
  similarItems(model: string, item: Id, options: { k?: number } & Filters = {}): Promise<SimilarItems> {
    return this.get(`${modelPath(model)}/items/${seg(item)}/similar`, { k: options.k, ...filterQuery(options) });
  }

  /** GET /v1/models/:model/users/:user/items/:item/rating: one predicted rating, clipped to the model's scale. */
  predictRating(model: string, user: Id, item: Id): Promise<Rating> {
    return this.get(`${modelPath(model)}/users/${seg(user)}/items/${seg(item)}/rating`);
  }

  /**
   * GET /v1/models/:model/users/:user/recommendations: a known user's top k (without what they rated unless
   * excludeSeen is false); a user the model does not know gets the popular list with `fallback: "popular"`.
   */
  recommendForUser(
    model: string,
    user: Id,
    options: { k?: number; excludeSeen?: boolean; explain?: boolean } & Filters = {},
  ): Promise<UserRecommendations> {
    const { k, excludeSeen, explain } = options;
    return this.get(`${modelPath(model)}/users/${seg(user)}/recommendations`, { k, exclude_seen: excludeSeen, explain, ...filterQuery(options) });
  }

  /** GET /v1/models/:model/recommendations?items=: a visitor known by the items they viewed (1..100), folded in. */
  recommendForVisitor(model: string, items: readonly Id[], options: { k?: number; explain?: boolean } & Filters = {}): Promise<VisitorRecommendations> {
    return this.get(`${modelPath(model)}/recommendations`, { items: items.join(','), k: options.k, explain: options.explain, ...filterQuery(options) });
  }

  /** POST /v1/models/:model/recommendations/for-ratings: a visitor known by their ratings, [item, rating] pairs. */
  recommendForRatings(model: string, ratings: readonly (readonly [Id, number])[], options: { k?: number; explain?: boolean } = {}): Promise<RatingsRecommendations> {
    return this.post(`${modelPath(model)}/recommendations/for-ratings`, { ratings, ...options });
  }

  /** GET /v1/models/:model/popular: the items with the most training interactions (score = their count). */
  popular(model: string, options: { k?: number } & Filters = {}): Promise<Popular> {
    return this.get(`${modelPath(model)}/popular`, { k: options.k, ...filterQuery(options) });
  }

  /** GET /v1/models/:model/tags/:tag/similar: the k tags nearest to a tag (models with tag embeddings). */
  similarTags(model: string, tag: string, options: { k?: number } = {}): Promise<SimilarTags> {
    return this.get(`${modelPath(model)}/tags/${seg(tag)}/similar`, { k: options.k });
  }

  /** POST /v1/models/:model/items/similar: an item plus and minus tag vectors, then its k nearest items (itemtag). */
  itemTagArithmetic(model: string, query: { item: Id; plus?: readonly string[]; minus?: readonly string[]; k?: number }): Promise<Arithmetic> {
    return this.post(`${modelPath(model)}/items/similar`, query);
  }

  /** POST /v1/models/:model/recommendations/from-examples: the best and worst k items for liked/disliked examples. */
  recommendFromExamples(model: string, examples: { liked?: readonly Id[]; disliked?: readonly Id[]; k?: number }): Promise<FromExamples> {
    return this.post(`${modelPath(model)}/recommendations/from-examples`, examples);
  }

  /** POST /v1/models/:model/predict: predicted ratings for 1..1000 [user, item] pairs, in order. */
  predictRatings(model: string, pairs: readonly (readonly [Id, Id])[]): Promise<Predictions> {
    return this.post(`${modelPath(model)}/predict`, { pairs });
  }

  /**
   * POST /v1/events: 1..100 feedback events, validated and queued (202). The Worker sends no CORS headers for POST,
   * so a page on another origin cannot read this answer: send events from a server, the same origin, or /embed.js.
   */
  postEvents(events: readonly FeedbackEventInput[]): Promise<EventsAccepted> {
    return this.post('/v1/events', { events });
  }

  private get<T>(path: string, query: Query = {}): Promise<T> {
    return this.send<T>(`${path}${queryString(query)}`, { method: 'GET', headers: this.headers });
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>(path, { method: 'POST', headers: { ...this.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  private async send<T>(path: string, init: RequestInit): Promise<T> {
    const res = await this.fetchFn(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    const body = parseJson(text);
    if (res.ok && body !== undefined) return body as T;
    if (isErrorBody(body)) throw new ApiError(res.status, body.error.code, body.error.message, body);
    const what = res.ok ? 'an answer that is not JSON' : `HTTP ${res.status} without the API's error envelope`;
    throw new ApiError(res.status, 'unexpected_answer', `${init.method} ${path}: ${what}: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

function modelPath(model: string): string {
  return `/v1/models/${seg(model)}`;
}

function seg(id: Id): string {
  return encodeURIComponent(String(id));
}

function filterQuery(f: Filters): Query {
  return { tag: f.tags?.length ? f.tags : undefined, exclude: f.exclude?.length ? f.exclude : undefined };
}

/** `?a=1&tag=x&tag=y`: lists repeat their name (the Worker also splits commas), absent values are left out. */
function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(name, String(v));
    else params.append(name, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof e?.code === 'string' && typeof e.message === 'string';
}
