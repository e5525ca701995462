import { errorAnswer } from '../../shared/api/answers.js';
import { MAX_BODY_BYTES } from './body.js';
import type { JsonSchema, Schema } from '../../shared/api/schema.js';

export type ErrorStatus = 400 | 404 | 413 | 429 | 503;

export interface ParamSpec {
  name: string;
  in: 'query' | 'path';
  description: string;
  schema: JsonSchema;
  style?: string;
  explode?: boolean;
}

/** One route as GET /openapi.json describes it. `path` is in Hono's form (/v1/models/:model/...). */
export interface RouteSpec {
  method: 'get' | 'post';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** Query parameters (path parameters are derived from `path`). */
  query?: readonly ParamSpec[];
  /** The request body's schema: the same object that validates it. */
  body?: Schema<unknown>;
  /**
   * The success answer (200 unless `status` says otherwise); JSON unless `contentType` says otherwise. `schema` is the
   * one the handler's answer is typed by (shared/api/answers.ts), or the string a non-JSON body is.
   */
  response: { description: string; schema: Schema<unknown>; example?: unknown; contentType?: string; status?: 200 | 202 };
  errors: readonly ErrorStatus[];
}

const PATH_PARAMS: Record<string, string> = {
  model: 'model name (lowercase letters, digits, - and _), as published',
  item: 'item id as in the dataset',
  user: 'user id as in the dataset',
  tag: 'tag as in the dataset (case-sensitive)',
};

const ERRORS: Record<ErrorStatus, string> = {
  400: 'bad input: a parameter, id or body field is malformed (the message names it, with the value and what was expected), or the model cannot answer this query',
  404: 'unknown model, item, user, tag or route (the message names it)',
  413: `request body larger than ${MAX_BODY_BYTES} bytes`,
  429: 'too many requests from this client: wait for the seconds Retry-After names',
  503: 'nothing is published yet (no_model), the published model failed to load (model_unavailable), or it is larger than the isolate\'s memory budget (model_too_large)',
};

/** `/v1/models/:model/items/:item/similar` -> `/v1/models/{model}/items/{item}/similar`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/**
 * The OpenAPI 3.1 document for `specs`. Routes the app registers without a spec (`registered`) still appear, marked
 * `x-undocumented`, so the document never hides a route and a test can insist there are none.
 */
export function openApiDocument(
  specs: readonly RouteSpec[],
  registered: readonly { method: string; path: string }[],
  info: { title: string; version: string; description: string },
) {
  const paths: Record<string, Record<string, object>> = {};
  const add = (method: string, path: string, op: object) => ((paths[openApiPath(path)] ??= {})[method] = op);
  for (const s of specs) add(s.method, s.path, operation(s));
  for (const r of registered) {
    const method = r.method.toLowerCase();
    if (method === 'all' || paths[openApiPath(r.path)]?.[method]) continue;
    add(method, r.path, {
      summary: `${r.method} ${r.path} (no spec yet)`,
      'x-undocumented': true,
      parameters: pathParams(r.path),
      responses: { 200: { description: 'see the README' } },
    });
  }
  return {
    openapi: '3.1.0' as const,
    info,
    // Relative: resolved against where the document was fetched, so it holds on wrangler dev, workers.dev and a custom domain.
    servers: [{ url: '/', description: 'the Worker that served this document' }],
    // No route takes credentials: reads are public, and POST /v1/events only appends (rate-limited per address).
    // Publishing, rollback and hiding write the bucket from the CLI with Cloudflare credentials, never through the Worker.
    security: [],
    paths,
    components: {
      schemas: { Error: errorAnswer.json },
      responses: Object.fromEntries(
        Object.entries(ERRORS).map(([status, description]) => [
          String(status),
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}

function pathParams(path: string) {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMS[name] ?? name,
    schema: { type: 'string', minLength: 1, maxLength: 256 },
  }));
}

function operation(s: RouteSpec) {
  const errors = new Set<ErrorStatus>(s.errors);
  if (s.body) errors.add(400).add(413);
  return {
    operationId: s.operationId,
    summary: s.summary,
    ...(s.description ? { description: s.description } : {}),
    parameters: [...pathParams(s.path), ...(s.query ?? []).map((q) => ({ required: false, ...q }))],
    ...(s.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: s.body.json } } } }
      : {}),
    responses: {
      [s.response.status ?? 200]: {
        description: s.response.description,
        content: {
          [s.response.contentType ?? 'application/json']: {
            schema: s.response.schema.json,
            ...(s.response.example !== undefined ? { example: s.response.example } : {}),
          },
        },
      },
      ...Object.fromEntries([...errors].sort().map((status) => [String(status), { $ref: `#/components/responses/${status}` }])),
    },
  };
}
