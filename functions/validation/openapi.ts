import { MAX_BODY_BYTES } from './body.js';
import type { JsonSchema, Schema } from './schema.js';

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
  /** The success answer (200 unless `status` says otherwise); JSON unless `contentType` says otherwise. */
  response: { description: string; example?: unknown; contentType?: string; status?: 200 | 202 };
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
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (method: string, path: string, op: unknown) => ((paths[openApiPath(path)] ??= {})[method] = op);
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
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', description: 'stable machine-readable reason, e.g. bad_field, unknown_item, bad_json' },
                message: { type: 'string', description: 'what was wrong, with the value, and how to fix it' },
              },
            },
          },
        },
      },
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
        content: { [s.response.contentType ?? 'application/json']: s.response.example !== undefined ? { example: s.response.example } : {} },
      },
      ...Object.fromEntries([...errors].sort().map((status) => [String(status), { $ref: `#/components/responses/${status}` }])),
    },
  };
}
