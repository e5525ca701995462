// The JSON answers of the Worker's routes, each defined once: the route that shapes an answer is typed by its schema
// (functions/present.ts and functions/routes/*.ts), GET /openapi.json publishes the schema, and the client
// (shared/client/) returns the same types. Objects are closed (additionalProperties: false) and list what they
// always carry as required, so an answer that grows or loses a field fails test/openapi-contract.test.ts.
import {
  array, boolean, either, integer, maybe, nullable, number, object, oneOf, pair, record, scalar, string,
  literal, type Infer,
} from './schema.js';

const count = (description?: string) => integer({ minimum: 0, description });
const score = (description: string) => number({ description });

/** The version that answered and, under an A/B split, the variant (every model answer starts with these). */
const answered = {
  model: string('the model name, as in the path'),
  version: string('the live version that answered (time + checksum, e.g. 20261124T101500Z-1a2b3c4d)'),
  variant: maybe(string('the A/B variant that answered (only under a split): send it back with events')),
};

const itemFields = {
  id: string('the item id as in the dataset'),
  title: string(),
  tags: maybe(array(string(), { minItems: 1, description: "the item's tags (absent when it has none)" })),
};

export const itemView = object(itemFields, { description: 'an item: id, title and its tags when it has any' });
export const resultView = object(
  { ...itemFields, score: score('what the list is ranked by (cosine, dot product or count, by route), 6 decimals') },
  { description: 'an item and its score' },
);
const because = object({ id: string(), title: string(), similarity: score('cosine of the two item vectors') });
export const recommendationView = object(
  {
    ...itemFields,
    score: score('what the list is ranked by, 6 decimals'),
    rating: maybe(number({ description: "the predicted rating on the model's scale (rating kinds)" })),
    because: maybe(array(because, { maxItems: 3, description: 'the basis items most similar to this one (explain=true)' })),
  },
  { description: 'a recommended item: score, and for rating kinds the predicted rating' },
);
export const filterEcho = maybe(
  object({ tags: array(string()), exclude: array(string()) }, { description: 'the filters applied (only when there are any)' }),
);
/** The most results a query may ask for (`k`). */
export const MAX_K = 100;

const k = integer({ minimum: 1, maximum: MAX_K, description: 'how many results were asked for' });
const ratingRange = pair(number(), number(), "the rating scale [lowest, highest]");

export const similarItemsAnswer = object({ ...answered, item: itemView, k, filter: filterEcho, results: array(resultView) });

export const ratingAnswer = object({
  ...answered,
  user: string(),
  item: itemView,
  rating: number({ description: "clipped to the dataset's rating range" }),
  range: ratingRange,
});

export const userRecommendationsAnswer = either(
  object({ ...answered, user: string(), k, exclude_seen: boolean(), filter: filterEcho, results: array(recommendationView) }, { description: 'a known user' }),
  object(
    { ...answered, user: string(), k, fallback: literal('popular', 'the model does not know the user'), filter: filterEcho, results: array(resultView) },
    { description: 'a user the model does not know: the popular list' },
  ),
);

export const visitorAnswer = object({
  ...answered,
  items: array(itemView, { description: 'the given items (each once), which the results leave out' }),
  k,
  method: literal('foldin'),
  filter: filterEcho,
  results: array(recommendationView),
});

export const forRatingsAnswer = object({
  ...answered,
  k,
  method: literal('foldin'),
  rating_unavailable: maybe(string('why the results carry no rating (dense-head kinds cannot predict a visitor\'s rating)')),
  results: array(recommendationView),
});

export const popularAnswer = object({ ...answered, k, filter: filterEcho, results: array(resultView) });

export const similarTagsAnswer = object({
  ...answered,
  tag: string(),
  k,
  results: array(object({ tag: string(), score: score('cosine of the tag embeddings') })),
});

export const arithmeticAnswer = object({
  ...answered,
  item: itemView,
  plus: array(string()),
  minus: array(string()),
  k,
  cosine_to_item: number({ description: 'cosine between the moved vector and the item' }),
  results: array(resultView),
});

export const fromExamplesAnswer = object({
  ...answered,
  method: oneOf(['logistic_regression', 'nearest_to_liked_mean', 'farthest_from_disliked_mean'] as const),
  k,
  liked: array(itemView),
  disliked: array(itemView),
  fit: maybe(object(
    { lambda: number(), iterations: count(), converged: boolean(), train_accuracy: number({ minimum: 0, maximum: 1 }) },
    { description: 'the logistic regression (with liked and disliked items only)' },
  )),
  best: array(resultView, { description: 'highest decision value first' }),
  worst: array(resultView, { description: 'lowest first' }),
});

export const predictAnswer = object({
  ...answered,
  range: ratingRange,
  predictions: array(object({ user: string(), item: string(), rating: number() }), { description: 'one per pair, in request order' }),
});

export const eventsAnswer = object({
  accepted: integer({ minimum: 1, description: 'how many events were queued' }),
  received: string('when the Worker received them (ISO 8601)'),
});

const metrics = record(nullable(number()), 'metric name -> value (null: not measured)');
const publishedModel = object({
  name: string(),
  version: string(),
  kind: string(),
  hyper: record(scalar(), 'the hyper-parameters it was trained with'),
  counts: object({ users: count(), items: count(), tags: maybe(count()) }),
  bytes: object({ tensors: count('bytes of tensors.bin') }),
  dataset: object(
    { name: string(), fingerprint: string(), ratings: maybe(count()), split: maybe(string()) },
    { open: true, description: 'the data it was trained on, as the manifest records it (probes and imports add fields of their own)' },
  ),
  metrics: object({ float: metrics, quantized: metrics, baselines: record(metrics) }),
  createdAt: string(),
});
const unreadableModel = object({ name: string(), version: string(), error: string('why the manifest could not be read') });
export const modelsAnswer = object({ models: array(either(publishedModel, unreadableModel)) });

const loadedModel = object({
  model: string(),
  version: nullable(string()),
  kind: nullable(string()),
  items: count(),
  loadedAt: nullable(string()),
  loadMs: nullable(number()),
  residentBytes: count(),
  waited: count('requests that waited for a load'),
  hidden: count('items left out of every answer (npm run hide)'),
  hiddenProblem: maybe(string()),
  split: maybe(array(object({ variant: string(), version: string(), weight: number() }))),
  splitProblem: maybe(string()),
  phases: nullable(record(number(), 'load phase -> milliseconds')),
  refused: maybe(object({ version: string(), message: string(), at: string(), code: maybe(string()) })),
  evicted: maybe(object({ version: string(), residentBytes: count(), at: string() })),
});
export const healthAnswer = object({
  ok: literal(true),
  backend: nullable(string('the tfjs backend (wasm), null while nothing has needed tfjs')),
  initMs: nullable(number()),
  selfTest: nullable(array(array(number()))),
  memory: object({ numTensors: count(), numBytes: count() }),
  modelMemory: object({ budgetBytes: count(), residentBytes: count(), peakResidentBytes: count(), evictions: count() }),
  models: array(loadedModel),
  refusedSplits: maybe(array(object({ model: string(), message: string(), at: string() }))),
});

/** Every error: 4xx and 5xx answers are this envelope. */
export const errorAnswer = object({
  error: object({
    code: string('stable machine-readable reason, e.g. bad_field, unknown_item, bad_json'),
    message: string('what was wrong, with the value, and how to fix it'),
  }),
});

/** GET /openapi.json: an OpenAPI 3.1 document (open: its objects may carry x- extensions). */
export const openApiAnswer = object(
  {
    openapi: literal('3.1.0'),
    info: object({ title: string(), version: string(), description: string() }, { open: true }),
    servers: array(object({ url: string(), description: maybe(string()) }), { minItems: 1 }),
    security: array(record(array(string())), { description: 'what a request must present: nothing (the API is public)' }),
    paths: record(record(object({}, { open: true }))),
    components: object({}, { open: true }),
  },
  { open: true },
);

/** The bodies that are not JSON: an HTML fragment (the widget) and a script (/embed.js). */
export const htmlAnswer = string('an HTML fragment, escaped, safe to insert as innerHTML');
export const scriptAnswer = string('JavaScript');

/** The answers' types: what the handlers build and the client's methods return. */
export type SimilarItems = Infer<typeof similarItemsAnswer>;
export type Rating = Infer<typeof ratingAnswer>;
export type UserRecommendations = Infer<typeof userRecommendationsAnswer>;
export type VisitorRecommendations = Infer<typeof visitorAnswer>;
export type RatingsRecommendations = Infer<typeof forRatingsAnswer>;
export type Popular = Infer<typeof popularAnswer>;
export type SimilarTags = Infer<typeof similarTagsAnswer>;
export type Arithmetic = Infer<typeof arithmeticAnswer>;
export type FromExamples = Infer<typeof fromExamplesAnswer>;
export type Predictions = Infer<typeof predictAnswer>;
export type EventsAccepted = Infer<typeof eventsAnswer>;
export type Models = Infer<typeof modelsAnswer>;
export type Health = Infer<typeof healthAnswer>;
export type OpenApi = Infer<typeof openApiAnswer>;
export type ErrorBody = Infer<typeof errorAnswer>;
export type ItemView = Infer<typeof itemView>;
export type ResultView = Infer<typeof resultView>;
export type RecommendationView = Infer<typeof recommendationView>;
